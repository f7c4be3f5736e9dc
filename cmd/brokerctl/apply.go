package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/brokerctl/brokerctl/pkg/executor"
	"github.com/brokerctl/brokerctl/pkg/manifest"
	"github.com/brokerctl/brokerctl/pkg/state"
)

func init() { register(newApplyCmd) }

// applyOptions are the flags of apply (and, in part, destroy and plan).
type applyOptions struct {
	Files       []string
	Vars        []string
	VarFiles    []string
	Parallelism int
	FailFast    bool
	Replace     []string
	Prune       bool
	// PruneAll lets --prune destroy every managed resource, or every
	// instance of a for_each block (refused otherwise).
	PruneAll bool
	Refresh  bool
	Yes      bool
	JSON     bool
	// RebindTarget lets apply record this run's target for a workspace
	// applied against another one (after rotating keys).
	RebindTarget bool
	LockTimeout  time.Duration
	RateLimit    int // --rate-limit
}

func (o *applyOptions) addManifestFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVarP(&o.Files, "file", "f", nil, "manifest file or directory (repeatable)")
	f.StringArrayVar(&o.Vars, "var", nil, "set a variable: --var name=value (repeatable)")
	f.StringArrayVar(&o.VarFiles, "var-file", nil, "YAML or JSON file of variables (repeatable)")
	f.BoolVar(&o.JSON, "json", false, "print one JSON event per line instead of text")
}

func (o *applyOptions) addRunFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&o.Parallelism, "parallelism", executor.DefaultParallelism, "resources in flight at once (the rate limiter paces requests)")
	f.BoolVar(&o.FailFast, "fail-fast", false, "start nothing new after the first failure")
	f.BoolVarP(&o.Yes, "yes", "y", false, "do not ask for confirmation (required for production without a terminal)")
	f.DurationVar(&o.LockTimeout, "lock-timeout", 10*time.Second, "how long to wait for the state lock")
	o.addRateLimitFlag(cmd)
}

func newApplyCmd(g *Globals) *cobra.Command {
	o := &applyOptions{}
	cmd := &cobra.Command{
		Use:   "apply -f MANIFEST...",
		Short: "Create, update and wait for the resources of a manifest",
		Long: `apply makes the Broker API match the manifest. It creates what state does
not have yet, resumes creates a killed run left unfinished (reconciling
before resending, so nothing is created twice), PATCHes changed accounts,
reads data sources, waits for the statuses the manifest asks for, and
records every step in state. Changed transfers, journals, batch journals
and orders cannot change in place: apply refuses them unless --replace
names them. Resources in state the manifest no longer declares (orphans,
e.g. a row removed from a CSV) are left alone; --prune destroys them too,
dependents first, as destroy would (lifecycle.protect refuses,
retain_on_destroy forgets).

Exit status: 0 success, 1 a resource failed, 2 invalid command line or manifest.`,
		Example: `  brokerctl apply -f examples/manifests/quickstart
  brokerctl apply -f onboarding.yaml --var batch=2026-11 --parallelism 64
  brokerctl apply -f seed.yaml --replace journals.seed
  brokerctl apply -f onboarding.yaml --prune`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runApply(cmd.Context(), g, o)
		},
	}
	o.addManifestFlags(cmd)
	o.addRunFlags(cmd)
	cmd.Flags().StringArrayVar(&o.Replace, "replace", nil, "replace this resource even if unchanged, or allow replacing a changed immutable one (repeatable)")
	cmd.Flags().BoolVar(&o.Prune, "prune", false, "also destroy orphans: resources in state the manifest no longer declares")
	cmd.Flags().BoolVar(&o.PruneAll, "prune-all", false, "--prune even when that destroys every managed resource, or every instance of a for_each block (refused otherwise: an empty CSV export looks like that)")
	cmd.Flags().BoolVar(&o.Refresh, "refresh", false, "first read every object in state from the API, to recreate what was deleted and PATCH back what was changed outside brokerctl")
	cmd.Flags().BoolVar(&o.RebindTarget, "rebind-target", false, "after rotating keys of the same broker account: record this run's new key for the same endpoint URL (checked by reading one of the workspace's accounts)")
	return cmd
}

func runApply(ctx context.Context, g *Globals, o *applyOptions) error {
	o.Prune = o.Prune || o.PruneAll
	if err := o.checkRunValues(); err != nil {
		return err
	}
	ctx, stopSignals := interruptible(ctx)
	defer stopSignals()
	sess, err := openSession(ctx, g, o, "apply")
	if err != nil {
		return err
	}
	defer sess.Close()
	if err := confirmPrune(ctx, g, o, sess); err != nil {
		return err
	}
	res, err := sess.engine.Apply(ctx)
	if err := sess.finish(ctx, res, err); err != nil {
		return err
	}
	if !o.JSON && len(res.Outputs) > 0 {
		fmt.Fprintln(g.Stdout, "\nOutputs:")
		printOutputsText(g.Stdout, res.Outputs, false)
	}
	return sess.failure(ctx, res)
}

// session is what a run that sends requests holds open: the target, the
// locked state and the engine with its reporter.
type session struct {
	g          *Globals
	o          *applyOptions
	op         string
	tgt        *target
	ws         state.Workspace
	engine     *executor.Engine
	stopReport func()
}

// openSession loads the manifest, connects to the target (asking for
// confirmation where needed), locks the workspace and builds the engine.
func openSession(ctx context.Context, g *Globals, o *applyOptions, op string) (*session, error) {
	var cfg *manifest.Config
	var err error
	switch {
	case op == "destroy" && len(o.Files) == 0:
		// destroy acts on state: without -f every recorded resource is
		// an orphan and goes (dependents first, protect still refuses).
		cfg = &manifest.Config{}
	case op == "destroy":
		if cfg, err = loadManifest(g, o); err != nil {
			var ee *ExitError
			if errors.As(err, &ee) && ee.Code == exitUsage {
				ee.Err = fmt.Errorf("%w; destroy acts on state: run it without -f to remove everything recorded in workspace %s", ee.Err, g.Workspace)
			}
			return nil, err
		}
	default:
		if cfg, err = loadManifest(g, o); err != nil {
			return nil, err
		}
	}
	nodes, outputs, err := executor.FromManifest(cfg)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	if err := checkReplace(o.Replace, nodes); err != nil {
		return nil, err
	}
	if _, err := stateLocation(g); err != nil {
		return nil, err // a bad --workspace fails before any file is created
	}
	spec, err := o.resolveRunTarget(g)
	if err != nil {
		return nil, err
	}
	s := &session{g: g, o: o, op: op, stopReport: func() {}}
	if spec.Kind != kindBuiltin {
		// Confirmation and the pre-flight come before state is opened: a
		// wrong key pair or a dead endpoint leaves no file behind.
		if s.tgt, err = connect(ctx, g, spec, o.Yes, o.JSON, op); err != nil {
			return nil, err
		}
		if op == "destroy" && spec.Name != "production" {
			where := "the sandbox"
			if spec.Name == "endpoint" {
				where = spec.BaseURL
			}
			if err := confirm(g, o.Yes, op, where); err != nil {
				s.Close()
				return nil, err
			}
		}
	}
	if s.ws, err = lockState(ctx, g, op, o.LockTimeout); err != nil {
		s.Close()
		return nil, err
	}
	// State belongs to the target it was applied against: never run it
	// against another (e.g. the built-in emulator because CI secrets were
	// empty), which would report live objects as gone.
	record, err := checkBinding(ctx, g, s.ws, spec, o.RebindTarget, s.verifyAccount)
	if err != nil {
		s.Close()
		return nil, err
	}
	if record && op == "apply" {
		if err := recordTarget(ctx, g, s.ws, spec); err != nil {
			s.Close()
			return nil, err
		}
	}
	if spec.Kind == kindBuiltin {
		if s.tgt, err = connect(ctx, g, spec, o.Yes, o.JSON, op); err != nil {
			s.Close()
			return nil, err
		}
	}
	refresh := o.Refresh
	if spec.Kind == kindBuiltin && !refresh && op == "apply" {
		// After a kill -9 the built-in emulator may have lost what it
		// created since its last snapshot while state kept it: read every
		// recorded object first (local requests, no API budget), so lost
		// ones are created again, exactly once.
		n, err := emulatorBehindState(ctx, s.ws, s.tgt.savedAt)
		if err != nil {
			s.Close()
			return nil, err
		}
		if n > 0 {
			refresh = true
			fmt.Fprintf(g.Stderr, "brokerctl: state recorded %d object(s) after the built-in emulator last saved its data (an interrupted run?); refreshing every recorded object first\n", n)
		}
	}
	store, err := executor.NewStateStore(ctx, s.ws)
	if err != nil {
		s.Close()
		return nil, err
	}
	var rep executor.Reporter
	rep, s.stopReport = newReporter(ctx, g, o.JSON, len(nodes), s.tgt.Remote.Requests)
	s.engine = executor.New(s.tgt.Remote, store, nodes, outputs, executor.Options{
		Workspace: g.Workspace, Parallelism: o.Parallelism, FailFast: o.FailFast, Replace: o.Replace, Prune: o.Prune, Refresh: refresh,
		Reporter: rep, RequestsPerMinute: s.tgt.RPM,
	})
	return s, nil
}

// verifyAccount reads one account through the connected target (for
// --rebind-target).
func (s *session) verifyAccount(ctx context.Context, accountID string) error {
	if s.tgt == nil {
		return errors.New("not connected")
	}
	br, ok := s.tgt.Remote.(*executor.BrokerRemote)
	if !ok {
		return errors.New("the target cannot read accounts")
	}
	_, err := br.Client().GetAccount(ctx, accountID)
	return err
}

// Close releases the state lock and the target.
func (s *session) Close() {
	s.stopReport()
	if s.ws != nil {
		s.ws.Close()
	}
	if s.tgt != nil {
		s.tgt.Close()
	}
}

// finish stops the progress display, maps a refused run to exit 1 and
// prints the summary table.
func (s *session) finish(ctx context.Context, res *executor.Result, err error) error {
	s.stopReport()
	s.stopReport = func() {}
	if err != nil {
		var refused *executor.RefusedError
		var protected *executor.ProtectedError
		if errors.As(err, &refused) || errors.As(err, &protected) {
			return &ExitError{Code: exitFailure, Err: err}
		}
		return err
	}
	if !s.o.JSON {
		fmt.Fprintln(s.g.Stdout)
		fmt.Fprint(s.g.Stdout, res.Table())
	}
	return nil
}

// failure is the run's exit: nil, or exit 1 naming the root causes.
func (s *session) failure(ctx context.Context, res *executor.Result) error {
	werr := res.Err()
	if werr == nil {
		return nil
	}
	if br, ok := s.tgt.Remote.(*executor.BrokerRemote); ok && br.Rejected() != nil {
		// One error for the run, not one per resource.
		return &ExitError{Code: exitFailure, Err: br.Rejected()}
	}
	if ctx.Err() != nil {
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("interrupted: state records every step; run %s again to resume", s.op)}
	}
	return &ExitError{Code: exitFailure, Err: fmt.Errorf("%s failed: %w", s.op, werr)}
}

// interruptible cancels ctx on SIGINT or SIGTERM, so a run stops sending
// and leaves state consistent (a second signal kills as usual).
func interruptible(ctx context.Context) (context.Context, func()) {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // restore default handling: a second Ctrl-C exits at once
	}()
	return ctx, stop
}

// loadManifest loads and validates the manifests; problems exit 2.
func loadManifest(g *Globals, o *applyOptions) (*manifest.Config, error) {
	if len(o.Files) == 0 {
		return nil, &UsageError{Err: errors.New("no manifest: pass -f FILE (or a directory), repeatable")}
	}
	vars := map[string]string{}
	for _, v := range o.Vars {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, &UsageError{Err: fmt.Errorf("--var %q: want name=value", v)}
		}
		vars[k] = val
	}
	cfg, diags := manifest.Load(o.Files, manifest.Options{
		Vars: vars, VarFiles: o.VarFiles,
		Getenv: func(k string) (string, bool) { v := g.Getenv(k); return v, v != "" },
	})
	for _, d := range diags {
		if !o.JSON {
			fmt.Fprintln(g.Stderr, d.Error())
			continue
		}
		ev := executor.Event{Level: d.Severity.String(), Message: d.Error(), Time: time.Now().UTC(), Type: executor.EventDiagnostic,
			Diagnostic: &executor.Diagnostic{Severity: d.Severity.String(), Summary: d.Summary, Detail: d.Detail, Address: d.Path}}
		if d.Pos.File != "" {
			ev.Diagnostic.Range = &executor.Range{Filename: d.Pos.File, Line: d.Pos.Line, Column: d.Pos.Col}
		}
		executor.NewJSONReporter(g.Stdout).Report(ev)
	}
	if diags.HasErrors() {
		return nil, &ExitError{Code: exitUsage, Err: fmt.Errorf("%d error(s) in the manifest", len(diags.Errors()))}
	}
	return cfg, nil
}

// newReporter picks JSON lines, a live display on a terminal, or plain lines.
func newReporter(ctx context.Context, g *Globals, jsonOut bool, total int, requests func() int64) (executor.Reporter, func()) {
	if jsonOut {
		return executor.NewJSONReporter(g.Stdout), func() {}
	}
	if f, ok := g.Stdout.(*os.File); ok && !g.NoColor && term.IsTerminal(int(f.Fd())) {
		live := executor.NewLiveReporter(g.Stdout, total, requests)
		live.Start(ctx, 200*time.Millisecond)
		return live, live.Stop
	}
	return executor.NewLineReporter(g.Stdout), func() {}
}

func lockState(ctx context.Context, g *Globals, op string, timeout time.Duration) (state.Workspace, error) {
	path, err := stateLocation(g)
	if err != nil {
		return nil, err
	}
	if !state.IsPostgres(path) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("state directory: %w", err)
		}
	}
	be, err := state.Open(ctx, path)
	if err != nil {
		return nil, err // state.Open names the file, or the server with its password removed
	}
	ws, err := be.Lock(ctx, g.Workspace, state.NewLockInfo(op, versionString()), timeout)
	if err != nil {
		be.Close()
		return nil, err
	}
	return closingWorkspace{Workspace: ws, be: be}, nil
}

// closingWorkspace closes the backend with the workspace.
type closingWorkspace struct {
	state.Workspace
	be state.Backend
}

func (c closingWorkspace) Close() error {
	return errors.Join(c.Workspace.Close(), c.be.Close())
}

// debugLogger logs one line per request to stderr with --debug (the
// client never logs secrets, bodies or query strings); nil otherwise.
func debugLogger(g *Globals) *slog.Logger {
	if !g.Debug {
		return nil
	}
	return slog.New(slog.NewTextHandler(g.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// confirm accepts --yes, or asks for "yes" on a terminal; without a
// terminal it refuses.
func confirm(g *Globals, yes bool, op, where string) error {
	if yes {
		return nil
	}
	f, ok := g.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &UsageError{Err: fmt.Errorf("refusing to %s in %s without confirmation: pass --yes", op, strings.ToLower(where))}
	}
	fmt.Fprintf(g.Stderr, "This will %s resources in %s. Type 'yes' to continue: ", op, where)
	return readYes(g.Stdin, op)
}

func readYes(r io.Reader, op string) error {
	line, _ := bufio.NewReader(r).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("%s cancelled", op)}
	}
	return nil
}

// printOutputsText prints "name = value" lines; sensitive values are hidden
// unless reveal.
func printOutputsText(w io.Writer, outs map[string]executor.OutputValue, reveal bool) {
	names := make([]string, 0, len(outs))
	for k := range outs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := outs[k]
		if v.Sensitive && !reveal {
			fmt.Fprintf(w, "%s = <sensitive>\n", k)
			continue
		}
		fmt.Fprintf(w, "%s = %s\n", k, formatValue(v.Value))
	}
}

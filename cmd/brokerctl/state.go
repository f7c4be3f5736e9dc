package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/brokerctl/brokerctl/pkg/state"
)

func init() { register(newStateCmd) }

func newStateCmd(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Inspect, unlock, migrate and edit state",
		Long: `State records what brokerctl created in each workspace, so apply can be
repeated or resumed without creating anything twice. It lives in
.brokerctl/<workspace>.db (SQLite) unless --state or BROKERCTL_STATE names
another file or a postgres:// URL. Personal data is stored only as salted
hashes; state show prints records as stored.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newStateListCmd(g), newStateShowCmd(g), newStateWorkspacesCmd(g),
		newStateHistoryCmd(g), newStateUnlockCmd(g), newStateMigrateCmd(g), newStateForgetCmd(g))
	return cmd
}

// stateLocation is the state DSN for the selected workspace.
func stateLocation(g *Globals) (string, error) {
	if err := state.ValidateWorkspace(g.Workspace); err != nil {
		return "", &UsageError{Err: err}
	}
	if g.StatePath != "" {
		return g.StatePath, nil
	}
	return state.DefaultPath(g.Workspace), nil
}

// errNoState reports a SQLite state file that does not exist.
type errNoState struct{ path string }

func (e errNoState) Error() string {
	return fmt.Sprintf("no state at %s: nothing has been applied there yet", e.path)
}

// openStateBackend opens the backend at loc without creating a missing
// SQLite file (read-only commands must not leave files behind).
func openStateBackend(ctx context.Context, loc string) (state.Backend, error) {
	if !state.IsPostgres(loc) {
		if _, err := os.Stat(loc); errors.Is(err, os.ErrNotExist) {
			return nil, errNoState{loc}
		}
	}
	be, err := state.Open(ctx, loc)
	if err != nil {
		return nil, err
	}
	return be, nil
}

// openSelectedState opens the backend that --state (or BROKERCTL_STATE)
// selects, after checking the location and the workspace name.
func openSelectedState(ctx context.Context, g *Globals) (state.Backend, error) {
	loc, err := stateLocation(g)
	if err != nil {
		return nil, err
	}
	return openStateBackend(ctx, loc)
}

// openStateReader opens the selected workspace read-only; done closes it.
func openStateReader(ctx context.Context, g *Globals) (r state.Reader, done func(), err error) {
	be, err := openSelectedState(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	r, err = be.Open(ctx, g.Workspace)
	if err != nil {
		be.Close()
		return nil, nil, err
	}
	return r, func() { r.Close(); be.Close() }, nil
}

func newStateListCmd(g *Globals) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the resources recorded in a workspace",
		Example: `  brokerctl state list
  brokerctl state list --workspace ci -o json
  brokerctl state list --state postgres://brokerctl@db.internal/brokerctl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return &UsageError{Err: fmt.Errorf("invalid --output %q: use table or json", output)}
			}
			ctx := cmd.Context()
			be, err := openSelectedState(ctx, g)
			var recs []state.Record
			switch {
			case errors.As(err, new(errNoState)):
				be = nil
			case err != nil:
				return err
			default:
				defer be.Close()
				r, err := be.Open(ctx, g.Workspace)
				if err != nil {
					return err
				}
				defer r.Close()
				if recs, err = r.List(ctx); err != nil {
					return err
				}
			}
			if output == "json" {
				if recs == nil {
					recs = []state.Record{}
				}
				return stateWriteJSON(g.Stdout, recs)
			}
			if len(recs) == 0 {
				fmt.Fprintf(g.Stdout, "No resources in workspace %s.\n", g.Workspace)
			} else {
				tw := tabwriter.NewWriter(g.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ADDRESS\tKIND\tPHASE\tSTATUS\tREMOTE ID\tUPDATED")
				for _, rec := range recs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", rec.Address, rec.Kind, rec.Phase, stateDash(rec.Status), stateDash(rec.RemoteID),
						rec.UpdatedAt.UTC().Format(time.RFC3339))
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			if be != nil {
				holder, err := be.LockHolder(ctx, g.Workspace)
				if err != nil {
					return err
				}
				if holder != nil {
					fmt.Fprintf(g.Stdout, "\n%s (lock ID %s).\n", (&state.LockedError{Workspace: g.Workspace, Holder: holder}).Error(), stateDash(holder.ID))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

func stateDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func stateWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newStateShowCmd(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show ADDRESS",
		Short: "Print one resource's state record as JSON",
		Long: `Print one resource's state record as JSON: phase, remote id, idempotency
key, last known status and object, and the request as sent. Personal data
appears as it is stored: masked or as salted hashes, never in plain text.`,
		Example: `  brokerctl state show accounts.alice`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			r, done, err := openStateReader(ctx, g)
			if err != nil {
				return err
			}
			defer done()
			rec, ok, err := r.Get(ctx, args[0])
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("no resource %s in workspace %s (see brokerctl state list)", args[0], g.Workspace)
			}
			return stateWriteJSON(g.Stdout, rec)
		},
	}
}

func newStateWorkspacesCmd(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "workspaces",
		Short: "List the workspaces a state file or database holds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			be, err := openSelectedState(cmd.Context(), g)
			if errors.As(err, new(errNoState)) {
				return nil
			}
			if err != nil {
				return err
			}
			defer be.Close()
			names, err := be.Workspaces(cmd.Context())
			if err != nil {
				return err
			}
			for _, n := range names {
				fmt.Fprintln(g.Stdout, n)
			}
			return nil
		},
	}
}

func newStateUnlockCmd(g *Globals) *cobra.Command {
	var force, yes bool
	cmd := &cobra.Command{
		Use:   "unlock LOCK_ID",
		Short: "Remove a workspace lock left by a run that is gone",
		Long: `Remove the lock of the selected workspace (--workspace). LOCK_ID is the lock ID
"brokerctl state list" prints under the resources, so the wrong lock is never
removed.

A lock normally goes away by itself when its holder exits, even when it is
killed: use unlock for a record left behind, or with --force for a holder
that hangs. With --force on PostgreSQL state the holder's database session
is terminated, so it can no longer write; SQLite locks cannot be broken while
their process is alive: stop that process instead.

unlock asks for confirmation on a terminal; elsewhere pass --yes.`,
		Example: `  brokerctl state unlock 01jdx6w8z3k4m5n6p7q8r9s0tv
  brokerctl state unlock --force --yes 01jdx6w8z3k4m5n6p7q8r9s0tv --state "$BROKERCTL_STATE"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, lockID := cmd.Context(), args[0]
			be, err := openSelectedState(ctx, g)
			if err != nil {
				return err
			}
			defer be.Close()
			holder, err := be.LockHolder(ctx, g.Workspace)
			if err != nil {
				return err
			}
			what := "the lock record left by a run that is no longer running"
			if holder != nil {
				if holder.ID != lockID {
					return fmt.Errorf("workspace %s is locked with ID %s, not %s: check the ID with brokerctl state list", g.Workspace, stateDash(holder.ID), lockID)
				}
				desc := strings.TrimPrefix((&state.LockedError{Workspace: g.Workspace, Holder: holder}).Error(), "workspace "+g.Workspace+" is ")
				if !force {
					return fmt.Errorf("workspace %s is %s, and that holder is still running: wait for it, stop it, or pass --force to break its lock", g.Workspace, desc)
				}
				what = "the lock of a RUNNING holder (" + desc + "); its run will stop writing state"
			}
			if !yes {
				ok, err := stateConfirm(g, fmt.Sprintf("Remove %s on workspace %s?", what, g.Workspace))
				if err != nil {
					return err
				}
				if !ok {
					return &ExitError{Code: exitFailure, Err: errors.New("unlock cancelled")}
				}
			}
			if err := be.ForceUnlock(ctx, g.Workspace, lockID); err != nil {
				return err
			}
			_, err = fmt.Fprintf(g.Stdout, "Workspace %s unlocked (lock ID %s).\n", g.Workspace, lockID)
			return err
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "also break a lock whose holder is still running (PostgreSQL: terminates its session)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation (required when stdin is not a terminal)")
	return cmd
}

// stateConfirm asks question on a terminal and accepts only "yes". Without a
// terminal it refuses: a script must say --yes.
func stateConfirm(g *Globals, question string) (bool, error) {
	f, ok := g.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, &UsageError{Err: errors.New("refusing to unlock without confirmation: stdin is not a terminal; pass --yes")}
	}
	fmt.Fprintf(g.Stderr, "%s\nOnly 'yes' will be accepted: ", question)
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	return strings.TrimSpace(line) == "yes", nil
}

func newStateMigrateCmd(g *Globals) *cobra.Command {
	var from, to, toWorkspace string
	var force bool
	var lockTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "migrate --to DSN",
		Short: "Copy a workspace's state to another backend (e.g. SQLite to PostgreSQL)",
		Long: `Copy the selected workspace (--workspace) from one state backend to another:
records, outputs and the workspace salt (so hashes of personal data stay
comparable). Both workspaces are locked while copying. The source is left
untouched; point --state (or BROKERCTL_STATE) at the destination afterwards.

migrate refuses a destination workspace that already has state unless
--force is given, in which case that state is replaced.`,
		Example: `  brokerctl state migrate --from .brokerctl/default.db --to postgres://brokerctl@db.internal/brokerctl
  brokerctl state migrate --workspace ci --to "postgres://ci@db/brokerctl?schema=team_a" --to-workspace ci`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			loc, err := stateLocation(g)
			if err != nil {
				return err
			}
			if from == "" {
				from = loc
			}
			if to == "" {
				return &UsageError{Err: errors.New("--to is required: a postgres:// URL or a SQLite file")}
			}
			if err := checkLockTimeout(lockTimeout); err != nil {
				return err
			}
			if toWorkspace == "" {
				toWorkspace = g.Workspace
			}
			if from == to && toWorkspace == g.Workspace {
				return &UsageError{Err: errors.New("--from and --to name the same workspace")}
			}
			src, err := openStateBackend(ctx, from)
			if err != nil {
				return err
			}
			defer src.Close()
			dst, err := state.Open(ctx, to)
			if err != nil {
				return err
			}
			defer dst.Close()
			res, err := state.Migrate(ctx, src, dst, state.MigrateOptions{
				From: g.Workspace, To: toWorkspace, Force: force, LockTimeout: lockTimeout,
				Lock: state.NewLockInfo("migrate", versionString()),
			})
			if errors.Is(err, state.ErrNotEmpty) {
				// The library's hint names its option; say the flag instead.
				msg := strings.Replace(err.Error(), " (MigrateOptions.Force replaces them)", "", 1)
				return fmt.Errorf("%s; pass --force to replace them", msg)
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(g.Stdout, "Migrated workspace %s from %s to workspace %s at %s: %d records, %d outputs and the salt.\n",
				g.Workspace, state.RedactDSN(from), toWorkspace, state.RedactDSN(to), res.Records, res.Outputs)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "source state: a SQLite file or postgres:// URL (default: --state, or .brokerctl/<workspace>.db)")
	f.StringVar(&to, "to", "", "destination state: a postgres:// URL or a SQLite file")
	f.StringVar(&toWorkspace, "to-workspace", "", "destination workspace (default: the source workspace)")
	f.BoolVar(&force, "force", false, "replace a destination workspace that already has state")
	f.DurationVar(&lockTimeout, "lock-timeout", 10*time.Second, "how long to wait for each workspace's lock")
	return cmd
}

func newStateHistoryCmd(g *Globals) *cobra.Command {
	var limit int
	var output string
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the recent runs that locked a workspace",
		Long: `List the runs that locked the selected workspace, newest first: operation,
lock ID, start and end, and result: running, finished (lock released) or
interrupted (the process died or its lock was broken; the next apply resumes
it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return &UsageError{Err: fmt.Errorf("invalid --output %q: use table or json", output)}
			}
			if limit < 1 {
				return &UsageError{Err: fmt.Errorf("invalid --limit %d: must be at least 1", limit)}
			}
			ctx := cmd.Context()
			loc, err := stateLocation(g)
			if err != nil {
				return err
			}
			var runs []state.Run
			be, err := openStateBackend(ctx, loc)
			switch {
			case errors.As(err, new(errNoState)):
			case err != nil:
				return err
			default:
				defer be.Close()
				h, ok := be.(state.RunHistory)
				if !ok {
					return errors.New("this state backend keeps no run history")
				}
				if runs, err = h.Runs(ctx, g.Workspace, limit); err != nil {
					return err
				}
			}
			if output == "json" {
				if runs == nil {
					runs = []state.Run{}
				}
				return stateWriteJSON(g.Stdout, runs)
			}
			if len(runs) == 0 {
				_, err := fmt.Fprintf(g.Stdout, "No runs in workspace %s.\n", g.Workspace)
				return err
			}
			tw := tabwriter.NewWriter(g.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "STARTED\tOPERATION\tRESULT\tDURATION\tLOCK ID")
			for _, r := range runs {
				dur := "-"
				if !r.Finished.IsZero() {
					dur = r.Finished.Sub(r.Started).Round(time.Second).String()
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Started.UTC().Format(time.RFC3339), r.Operation, r.Result, dur, r.LockID)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVarP(&limit, "limit", "n", 20, "show at most this many runs")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

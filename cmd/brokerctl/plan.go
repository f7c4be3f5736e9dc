package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/brokerctl/brokerctl/pkg/executor"
	"github.com/brokerctl/brokerctl/pkg/state"
)

func init() { register(newPlanCmd) }

func newPlanCmd(g *Globals) *cobra.Command {
	o := &applyOptions{}
	var detailed bool
	cmd := &cobra.Command{
		Use:   "plan -f MANIFEST...",
		Short: "Show what apply would do, and how many requests it would take",
		Long: `plan compares the manifest with the state of the last apply and lists, for
every resource, whether apply would create, update, replace, resume or
leave it, plus resources in state the manifest no longer declares
(orphaned: apply leaves them, apply --prune destroys them; plan --prune
shows that). It sends no request: state is trusted. With --refresh it first
reads every object in state from the API (a few list requests; the cost is
printed), so objects deleted or changed outside brokerctl show up. It also
states how many HTTP calls apply will make (creates, updates, reconciles,
waits: about zero each with event streams, at least one each when polling)
and the least time they take at the rate limit. Personal data is never
printed.

With --detailed-exitcode: 0 no changes, 2 changes, 1 error.`,
		Example: `  brokerctl plan -f onboarding.yaml
  brokerctl plan -f onboarding.yaml --detailed-exitcode --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPlan(cmd.Context(), g, o, detailed)
		},
	}
	o.addManifestFlags(cmd)
	cmd.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 0 with no changes, 2 with changes, 1 on error")
	cmd.Flags().StringArrayVar(&o.Replace, "replace", nil, "plan replacing this resource (repeatable)")
	cmd.Flags().BoolVar(&o.Prune, "prune", false, "plan destroying orphans, as apply --prune does")
	o.addRateLimitFlag(cmd)
	cmd.Flags().BoolVar(&o.Refresh, "refresh", false, "read every object in state from the API first (a few list requests), to see what changed outside brokerctl")
	return cmd
}

func runPlan(ctx context.Context, g *Globals, o *applyOptions, detailed bool) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if _, err := stateLocation(g); err != nil {
		return planError(detailed, err)
	}
	// The same target and credential checks as apply, so CI catches a
	// missing secret or contradictory flags at plan time.
	spec, err := o.resolveRunTarget(g)
	if err != nil {
		return planError(detailed, err)
	}
	if !o.Refresh {
		announceTarget(g, spec, nil, o.JSON) // with --refresh, connect announces it
	}
	cfg, err := loadManifest(g, o)
	if err != nil {
		return planError(detailed, err)
	}
	nodes, outputs, err := executor.FromManifest(cfg)
	if err != nil {
		return planError(detailed, &UsageError{Err: err})
	}
	if err := checkReplace(o.Replace, nodes); err != nil {
		return planError(detailed, err)
	}
	store, closeStore, err := readState(ctx, g, spec)
	if err != nil {
		return planError(detailed, err)
	}
	defer closeStore()
	var remote executor.Remote
	rpm := spec.RPM
	if o.Refresh {
		// Reading only: production needs no confirmation.
		tgt, err := connect(ctx, g, spec, true, o.JSON, "plan")
		if err != nil {
			return planError(detailed, err)
		}
		defer tgt.Close()
		remote, rpm = tgt.Remote, tgt.RPM
	}
	eng := executor.New(remote, store, nodes, outputs, executor.Options{Workspace: g.Workspace, Replace: o.Replace, Prune: o.Prune,
		Refresh: o.Refresh, RequestsPerMinute: rpm})
	p, err := eng.Plan(ctx)
	if err != nil {
		return &ExitError{Code: exitFailure, Err: err}
	}
	if o.JSON {
		rep := executor.NewJSONReporter(g.Stdout)
		for _, c := range append(append([]executor.Change{}, p.Changes...), p.Orphans...) {
			rep.Report(executor.Event{Level: "info", Type: executor.EventPlannedChange, Time: time.Now().UTC(),
				Message: fmt.Sprintf("%s: plan to %s", c.Address, c.Action),
				Hook:    &executor.Hook{Address: c.Address, Kind: c.Kind, Action: c.Action, RemoteID: c.RemoteID, Reason: joinReason(c.Reason, c.Blocked), Drift: c.Drift}})
		}
		s := p.Summary
		rep.Report(executor.Event{Level: "info", Type: executor.EventChangeSummary, Time: time.Now().UTC(), Changes: &s,
			Message: summaryLine(p)})
	} else {
		printPlan(g.Stdout, p)
	}
	if detailed && p.HasChanges() {
		return &ExitError{Code: 2}
	}
	return nil
}

// planError keeps exit 2 for "changes" under --detailed-exitcode: there,
// every error (usage errors included) exits 1.
func planError(detailed bool, err error) error {
	if detailed {
		return &ExitError{Code: exitFailure, Err: err}
	}
	return err
}

// readState opens the workspace read-only; a missing state file is empty state.
func readState(ctx context.Context, g *Globals, spec *targetSpec) (executor.Store, func(), error) {
	path, err := stateLocation(g)
	if err != nil {
		return nil, nil, err
	}
	if !state.IsPostgres(path) {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return emptyStore{}, func() {}, nil
		}
	}
	be, err := state.Open(ctx, path)
	if err != nil {
		return nil, nil, err // state.Open names the file, or the server with its password removed
	}
	r, err := be.Open(ctx, g.Workspace)
	if err != nil {
		be.Close()
		return nil, nil, err
	}
	if _, err := checkBinding(ctx, g, r, spec, false, nil); err != nil {
		r.Close()
		be.Close()
		return nil, nil, err
	}
	store, err := executor.NewReadOnlyStore(ctx, r)
	if err != nil {
		r.Close()
		be.Close()
		return nil, nil, err
	}
	return store, func() { r.Close(); be.Close() }, nil
}

// emptyStore is the state of a workspace never applied.
type emptyStore struct{}

func (emptyStore) Salt() []byte                                    { return nil }
func (emptyStore) List(context.Context) ([]executor.Record, error) { return nil, nil }
func (emptyStore) Get(context.Context, string) (executor.Record, bool, error) {
	return executor.Record{}, false, nil
}
func (emptyStore) Put(context.Context, executor.Record) error { return fmt.Errorf("read-only") }
func (emptyStore) SetOutputs(context.Context, map[string]executor.OutputValue) error {
	return fmt.Errorf("read-only")
}

var planSymbols = map[executor.Action]string{
	executor.ActionCreate: "+", executor.ActionResume: "~+", executor.ActionUpdate: "~", executor.ActionReplace: "-/+",
	executor.ActionNoOp: " ", executor.ActionRead: "<=", executor.ActionImport: "<-", executor.ActionOrphan: "?", executor.ActionDelete: "-",
}

func printPlan(w io.Writer, p *executor.Plan) {
	for _, c := range append(append([]executor.Change{}, p.Changes...), p.Orphans...) {
		if c.Action == executor.ActionNoOp && c.Drift == "" && c.Blocked == "" {
			continue
		}
		sym := planSymbols[c.Action]
		if c.Action == executor.ActionNoOp || c.Blocked != "" {
			sym = "!"
		}
		line := fmt.Sprintf("%3s %s: %s", sym, c.Address, c.Action)
		if c.RemoteID != "" {
			line += " (id " + c.RemoteID + ")"
		}
		if len(c.Fields) > 0 {
			line += " fields: " + strings.Join(c.Fields, ", ")
		}
		if c.Reason != "" {
			line += " - " + c.Reason
		}
		if c.Blocked != "" {
			line += " - " + c.Blocked
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, summaryLine(p))
	c := p.Calls
	fmt.Fprintf(w, "Requests: %d (creates %d, updates %d, reconciles %d, reads %d, deletes %d); %d status waits cost ~0 requests with event streams, at least %d when polling.\n",
		c.Total(false), c.Creates, c.Updates, c.Reconciles, c.Reads, c.Deletes, c.Waits, c.Waits)
	fmt.Fprintf(w, "Lower bound at the rate limit: %s (streams) to %s (polling): the shared requests, or the busiest account's, ÷ %d/min (account-scoped paths have a quota per account).\n",
		roundDuration(p.LowerBound), roundDuration(lowerBoundPolling(p)), p.RequestsPerMinute)
	switch {
	case p.Refresh != nil:
		fmt.Fprintf(w, "Refreshed %d resources from the API with %d requests.\n", p.Refresh.Resources, p.Refresh.Requests)
	case p.RefreshEstimate > 0:
		fmt.Fprintf(w, "State was not refreshed: objects deleted or changed outside brokerctl are not seen (--refresh reads them, about %d %s).\n", p.RefreshEstimate, map[bool]string{true: "request", false: "requests"}[p.RefreshEstimate == 1])
	}
}

func lowerBoundPolling(p *executor.Plan) time.Duration { return p.LowerBoundPolling }

func summaryLine(p *executor.Plan) string {
	s := p.Summary
	line := fmt.Sprintf("Plan: %d to add, %d to change, %d to replace, %d to import, %d to read, %d unchanged.", s.Add, s.Change, s.Replace, s.Import, s.Read, s.NoOp)
	if s.Remove > 0 {
		line = strings.TrimSuffix(line, ".") + fmt.Sprintf(", %d to destroy.", s.Remove)
	}
	if s.Orphaned > 0 {
		line += fmt.Sprintf(" %d orphaned (in state, not in the manifest).", s.Orphaned)
	}
	if s.Blocked > 0 {
		line += fmt.Sprintf(" %d blocked (apply fails on them as things stand: see the ! lines).", s.Blocked)
	}
	if !p.HasChanges() {
		line = "No changes. " + line
	}
	return line
}

// roundDuration keeps two significant figures or so: 480ms, 7.2s, 4m0s.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < time.Second:
		return d.Round(10 * time.Millisecond)
	case d < time.Minute:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

// joinReason appends a blocked note to a reason.
func joinReason(reason, blocked string) string {
	if reason == "" || blocked == "" {
		return reason + blocked
	}
	return reason + "; " + blocked
}

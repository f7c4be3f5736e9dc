package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/brokerctl/brokerctl/pkg/executor"
)

func init() { register(newDestroyCmd) }

func newDestroyCmd(g *Globals) *cobra.Command {
	o := &applyOptions{}
	cmd := &cobra.Command{
		Use:   "destroy -f MANIFEST...",
		Short: "Cancel, delete and close what apply created",
		Long: `destroy removes, in reverse dependency order, everything this workspace's
state says apply created: it cancels open orders, cancels pending
transfers and journals, deletes ACH and bank relationships and closes
accounts. Objects that can no longer be undone (filled orders, completed
transfers, executed journals) are left as they are and forgotten.
lifecycle.protect makes destroy refuse; lifecycle.retain_on_destroy
forgets the object without a request. Every step is recorded, so an
interrupted destroy can simply be run again.

Against sandbox or production, destroy asks for confirmation unless --yes.`,
		Example: `  brokerctl destroy -f examples/manifests/quickstart.yaml
  brokerctl destroy -f seed.yaml --target sandbox --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDestroy(cmd.Context(), g, o)
		},
	}
	o.addManifestFlags(cmd)
	o.addRunFlags(cmd)
	return cmd
}

func runDestroy(ctx context.Context, g *Globals, o *applyOptions) error {
	ctx, stopSignals := interruptible(ctx)
	defer stopSignals()
	cfg, err := loadManifest(g, o)
	if err != nil {
		return err
	}
	nodes, outputs, err := executor.FromManifest(cfg)
	if err != nil {
		return &UsageError{Err: err}
	}
	tgt, err := connect(ctx, g, o.Yes, "destroy")
	if err != nil {
		return err
	}
	defer tgt.Close()
	if tgt.Name == "sandbox" {
		if err := confirm(g, o.Yes, "destroy", "the sandbox"); err != nil {
			return err
		}
	}
	ws, err := lockState(ctx, g, "destroy", o.LockTimeout)
	if err != nil {
		return err
	}
	defer ws.Close()
	store, err := executor.NewStateStore(ctx, ws)
	if err != nil {
		return err
	}
	rep, stop := newReporter(ctx, g, o.JSON, len(nodes), tgt.Remote.Requests)
	eng := executor.New(tgt.Remote, store, nodes, outputs, executor.Options{
		Workspace: g.Workspace, Parallelism: o.Parallelism, FailFast: o.FailFast, Reporter: rep, RequestsPerMinute: tgt.RPM,
	})
	res, err := eng.Destroy(ctx)
	stop()
	if err != nil {
		var pe *executor.ProtectedError
		if errors.As(err, &pe) {
			return &ExitError{Code: exitFailure, Err: err}
		}
		return err
	}
	if !o.JSON {
		fmt.Fprintln(g.Stdout)
		fmt.Fprint(g.Stdout, res.Table())
	}
	if werr := res.Err(); werr != nil {
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("destroy failed: %w", werr)}
	}
	return nil
}

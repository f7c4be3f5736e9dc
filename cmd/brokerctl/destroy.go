package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/brokerctl/brokerctl/pkg/executor"
)

func init() { register(newDestroyCmd) }

func newDestroyCmd(g *Globals) *cobra.Command {
	o := &applyOptions{}
	cmd := &cobra.Command{
		Use:   "destroy [-f MANIFEST...] [ADDRESS...]",
		Short: "Cancel, delete and close what apply created",
		Long: `destroy removes, in reverse dependency order, everything this workspace's
state says apply created: it cancels open orders, cancels pending
transfers and journals, deletes ACH and bank relationships and closes
accounts. Objects that can no longer be undone (filled orders, completed
transfers, executed journals) are left as they are and forgotten.
lifecycle.protect makes destroy refuse; lifecycle.retain_on_destroy
forgets the object without a request. Every step is recorded, so an
interrupted destroy can simply be run again.

With ADDRESS arguments, destroy removes only those resources and every
resource in state that depends on them (an account's relationships,
transfers and orders), listing them first; when that adds resources you did
not name it asks for confirmation (or --yes). The addresses may be orphans
(no longer in the manifest, see plan); outputs are left as they are.
"brokerctl apply --prune" removes all orphans; "brokerctl state forget"
stops managing a resource without touching it.

Without -f, destroy works from state alone: it removes everything
recorded in the workspace (e.g. once the batch's CSV is gone); with -f the
manifest must still validate.

Against sandbox or production, destroy asks for confirmation unless --yes.`,
		Example: `  brokerctl destroy -f examples/manifests/quickstart
  brokerctl destroy --workspace batch-2026-11 --yes
  brokerctl destroy -f seed.yaml --target sandbox --yes
  brokerctl destroy -f onboarding.yaml 'accounts.customer["C-1042"]'`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDestroy(cmd.Context(), g, o, args)
		},
	}
	o.addManifestFlags(cmd)
	o.addRunFlags(cmd)
	return cmd
}

func runDestroy(ctx context.Context, g *Globals, o *applyOptions, addrs []string) error {
	if err := o.checkRunValues(); err != nil {
		return err
	}
	ctx, stopSignals := interruptible(ctx)
	defer stopSignals()
	sess, err := openSession(ctx, g, o, "destroy")
	if err != nil {
		return err
	}
	defer sess.Close()
	var res *executor.Result
	if len(addrs) == 0 {
		res, err = sess.engine.Destroy(ctx)
	} else {
		set, serr := sess.engine.DestroySet(ctx, addrs)
		var te *executor.TargetError
		if errors.As(serr, &te) {
			return &UsageError{Err: serr}
		}
		if serr != nil {
			return serr
		}
		if err := confirmTargets(g, o.Yes, addrs, set); err != nil {
			return err
		}
		res, err = sess.engine.DestroyTargets(ctx, addrs)
	}
	if err := sess.finish(ctx, res, err); err != nil {
		return err
	}
	return sess.failure(ctx, res)
}

package main

import (
	"context"

	"github.com/spf13/cobra"
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
	sess, err := openSession(ctx, g, o, "destroy")
	if err != nil {
		return err
	}
	defer sess.Close()
	res, err := sess.engine.Destroy(ctx)
	if err := sess.finish(ctx, res, err); err != nil {
		return err
	}
	return sess.failure(ctx, res)
}

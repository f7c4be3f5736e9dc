package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/brokerctl/brokerctl/pkg/state"
)

func newStateForgetCmd(g *Globals) *cobra.Command {
	var yes bool
	var lockTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "forget ADDRESS...",
		Short: "Stop managing resources: drop them from state without touching the API",
		Long: `forget removes the named resources' records from the selected workspace.
No request is sent: the remote objects stay as they are, and brokerctl no
longer knows them (destroy will not remove them, plan will not list them as
orphaned). A resource still declared in the manifest is created afresh by
the next apply (an account then needs another email, or lifecycle.import
to adopt the existing one).

Resources in state that depend on a forgotten one stay managed; forget asks
for confirmation on a terminal, and needs --yes elsewhere.`,
		Example: `  brokerctl state forget 'accounts.customer["C-1042"]' --yes
  brokerctl state forget transfers.old_deposit`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if err := checkLockTimeout(lockTimeout); err != nil {
				return err
			}
			be, err := openSelectedState(ctx, g)
			if err != nil {
				return err
			}
			defer be.Close()
			ws, err := be.Lock(ctx, g.Workspace, state.NewLockInfo("state forget", versionString()), lockTimeout)
			if err != nil {
				return err
			}
			defer ws.Close()
			recs, err := ws.List(ctx)
			if err != nil {
				return err
			}
			byAddr := map[string]state.Record{}
			for _, r := range recs {
				byAddr[r.Address] = r
			}
			var lines, notes []string
			for _, a := range args {
				r, ok := byAddr[a]
				if !ok {
					return &UsageError{Err: fmt.Errorf("no resource %s in workspace %s (see brokerctl state list)", a, g.Workspace)}
				}
				lines = append(lines, fmt.Sprintf("%s (%s, id %s)", a, r.Phase, stateDash(r.RemoteID)))
				var deps []string
				for _, o := range recs {
					if o.Phase != state.PhaseDeleted && !slices.Contains(args, o.Address) && slices.Contains(o.Dependencies, a) {
						deps = append(deps, o.Address)
					}
				}
				if len(deps) > 0 {
					notes = append(notes, fmt.Sprintf("%s depend(s) on %s and stay managed", strings.Join(deps, ", "), a))
				}
			}
			fmt.Fprintf(g.Stderr, "forget drops %d record(s) from workspace %s; the remote objects are not touched:\n  %s\n", len(args), g.Workspace, strings.Join(lines, "\n  "))
			for _, n := range notes {
				fmt.Fprintf(g.Stderr, "note: %s\n", n)
			}
			if !yes {
				if err := askYes(g, "forget", "Forget them?"); err != nil {
					return err
				}
			}
			for _, a := range args {
				if err := ws.Delete(ctx, a); err != nil {
					return fmt.Errorf("forget %s: %w", a, err)
				}
				fmt.Fprintf(g.Stdout, "Forgot %s: brokerctl no longer manages it; the remote object was not changed.\n", a)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation (required when stdin is not a terminal)")
	cmd.Flags().DurationVar(&lockTimeout, "lock-timeout", 10*time.Second, "how long to wait for the state lock")
	return cmd
}

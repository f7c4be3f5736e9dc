package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"golang.org/x/term"

	"github.com/brokerctl/brokerctl/pkg/executor"
)

// confirmPrune lists the orphans apply --prune will destroy and, outside
// the built-in emulator, asks for confirmation (or --yes) first.
func confirmPrune(ctx context.Context, g *Globals, o *applyOptions, sess *session) error {
	if !o.Prune {
		return nil
	}
	p, err := sess.engine.Plan(ctx)
	if err != nil {
		return nil // Apply reports it, with its exit code
	}
	var addrs []string
	for _, c := range p.Orphans {
		if c.Action == executor.ActionDelete {
			addrs = append(addrs, describeRecord(c.Address, c.RemoteID))
		}
	}
	if len(addrs) == 0 {
		return nil
	}
	fmt.Fprintf(g.Stderr, "--prune destroys %d resource(s) no longer in the manifest:\n  %s\n", len(addrs), strings.Join(addrs, "\n  "))
	if sess.tgt.Name == "emulator" || o.Yes {
		return nil
	}
	return askYes(g, "prune", fmt.Sprintf("Destroy these %d resource(s) in %s?", len(addrs), targetWhere(sess.tgt.Name)))
}

// confirmTargets lists what destroy ADDRESS... removes. When that is more
// than the addresses named (resources in state that depend on them), it
// asks for confirmation, or --yes.
func confirmTargets(g *Globals, yes bool, named, set []string) error {
	var lines, extra []string
	for _, a := range set {
		if slices.Contains(named, a) {
			lines = append(lines, a)
			continue
		}
		lines = append(lines, a+" (depends on a resource named)")
		extra = append(extra, a)
	}
	fmt.Fprintf(g.Stderr, "destroy removes %d resource(s):\n  %s\n", len(set), strings.Join(lines, "\n  "))
	if len(extra) == 0 || yes {
		return nil
	}
	return askYes(g, "destroy", fmt.Sprintf("%d of them depend on what you named and are destroyed first. Continue?", len(extra)))
}

// askYes asks question on a terminal and accepts only "yes"; without a
// terminal it refuses, naming --yes.
func askYes(g *Globals, op, question string) error {
	f, ok := g.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &UsageError{Err: fmt.Errorf("refusing to %s without confirmation (stdin is not a terminal): pass --yes", op)}
	}
	fmt.Fprintf(g.Stderr, "%s Type 'yes' to continue: ", question)
	return readYes(g.Stdin, op)
}

func targetWhere(name string) string {
	if name == "production" {
		return "PRODUCTION"
	}
	return "the " + name
}

func describeRecord(addr, id string) string {
	if id == "" {
		return addr
	}
	return addr + " (id " + id + ")"
}

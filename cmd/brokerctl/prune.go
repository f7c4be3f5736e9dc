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
	if err := checkPruneAll(p, o.PruneAll); err != nil {
		return err
	}
	fmt.Fprintf(g.Stderr, "--prune destroys %d resource(s) no longer in the manifest:\n  %s\n", len(addrs), strings.Join(addrs, "\n  "))
	if sess.tgt.Name == "emulator" || o.Yes {
		return nil
	}
	return askYes(g, "prune", fmt.Sprintf("Destroy these %d resource(s) in %s?", len(addrs), targetWhere(sess.tgt.Name)))
}

// checkPruneAll refuses (exit 2) a prune that would destroy every
// managed resource of the workspace, or every instance of a for_each
// block, unless --prune-all: that is what a CSV export that came out
// header-only looks like, not a cleanup.
func checkPruneAll(p *executor.Plan, pruneAll bool) error {
	if pruneAll {
		return nil
	}
	declared := map[string]int{} // block -> declared instances
	managed := 0
	for _, c := range p.Changes {
		if strings.HasPrefix(c.Address, "data.") {
			continue
		}
		managed++
		declared[blockOf(c.Address)]++
	}
	pruned := map[string]int{}
	total := 0
	for _, c := range p.Orphans {
		if c.Action != executor.ActionDelete || strings.HasPrefix(c.Address, "data.") {
			continue
		}
		total++
		if strings.Contains(c.Address, "[") {
			pruned[blockOf(c.Address)]++
		}
	}
	if total == 0 {
		return nil
	}
	if managed == 0 {
		return &UsageError{Err: fmt.Errorf("refusing --prune: it would destroy all %d managed resource(s) of the workspace, as the manifest declares none (a for_each file with no data rows?); pass --prune-all if that is what you mean", total)}
	}
	var blocks []string
	for b, n := range pruned {
		if declared[b] == 0 {
			blocks = append(blocks, fmt.Sprintf("%s (all %d instances)", b, n))
		}
	}
	if len(blocks) == 0 {
		return nil
	}
	slices.Sort(blocks)
	return &UsageError{Err: fmt.Errorf("refusing --prune: it would destroy every instance of %s, as the manifest declares none (a for_each file with no data rows?); pass --prune-all if that is what you mean", strings.Join(blocks, ", "))}
}

// blockOf is an address without its instance key: accounts.customer for
// accounts.customer["a@example.com"].
func blockOf(addr string) string {
	b, _, _ := strings.Cut(addr, "[")
	return b
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

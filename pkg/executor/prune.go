package executor

import (
	"context"
	"slices"

	"github.com/brokerctl/brokerctl/pkg/dag"
)

// removable reports whether destroy has anything to end for r: it is not
// destroyed already, and (unless it failed before getting an id) it has or
// may have a remote object.
func removable(r Record) bool {
	return r.Phase != PhaseDeleted && !(r.Phase == PhaseFailed && r.RemoteID == "")
}

// dependentsClosure returns, sorted, addrs plus every live record that
// depends on one of them, directly or through others.
func dependentsClosure(records map[string]Record, addrs []string) []string {
	in := map[string]bool{}
	queue := slices.Clone(addrs)
	for len(queue) > 0 {
		a := queue[0]
		queue = queue[1:]
		if in[a] {
			continue
		}
		in[a] = true
		for addr, r := range records {
			if !in[addr] && r.Phase != PhaseDeleted && slices.Contains(r.Deps, a) {
				queue = append(queue, addr)
			}
		}
	}
	out := make([]string, 0, len(in))
	for a := range in {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// lifecycleKey is where a record's Request keeps the lifecycle options
// destroy must honour (protect, retain_on_destroy), so they still apply
// once the resource has left the manifest.
const lifecycleKey = "lifecycle"

// withLifecycle returns req (copied) carrying n's protect and
// retain_on_destroy, or without them when n sets neither.
func withLifecycle(req Object, n *Node) Object {
	out := Object{}
	for k, v := range req {
		out[k] = v
	}
	delete(out, lifecycleKey)
	lc := Object{}
	if n.Protect {
		lc["protect"] = true
	}
	if n.RetainOnDestroy {
		lc["retain_on_destroy"] = true
	}
	if len(lc) > 0 {
		out[lifecycleKey] = lc
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// storedLifecycle returns the protect and retain_on_destroy flags state
// recorded for r.
func storedLifecycle(r Record) (protect, retain bool) {
	lc, _ := r.Request[lifecycleKey].(map[string]any)
	protect, _ = lc["protect"].(bool)
	retain, _ = lc["retain_on_destroy"].(bool)
	return protect, retain
}

// protected reports whether r may not be destroyed: the manifest says so,
// or, for a resource no longer declared, state recorded it protected.
func (e *Engine) protected(r Record) bool {
	if n := e.nodes[r.Address]; n != nil {
		return n.Protect
	}
	p, _ := storedLifecycle(r)
	return p
}

// retained reports whether destroying r only forgets it (retain_on_destroy).
func (e *Engine) retained(r Record) bool {
	if n := e.nodes[r.Address]; n != nil {
		return n.RetainOnDestroy
	}
	_, keep := storedLifecycle(r)
	return keep
}

// syncLifecycle records n's current lifecycle flags on an unchanged
// resource whose record holds others (a state write, no request).
func (e *Engine) syncLifecycle(ctx context.Context, n *Node) error {
	rec, ok := e.record(n.Addr)
	if !ok || rec.Phase != PhaseCreated || n.Data {
		return nil
	}
	p, r := storedLifecycle(rec)
	if p == n.Protect && r == n.RetainOnDestroy {
		return nil
	}
	rec.Request = withLifecycle(rec.Request, n)
	return e.put(ctx, rec)
}

// pruneSet lists the orphans apply --prune removes: records the manifest no
// longer declares that are not destroyed yet (failed creates included, so
// that they stop showing as orphaned).
func (e *Engine) pruneSet() []string {
	var out []string
	for addr, r := range e.records {
		if e.nodes[addr] == nil && r.Phase != PhaseDeleted {
			out = append(out, addr)
		}
	}
	slices.Sort(out)
	return out
}

// checkPrunable refuses a prune that would touch a protected orphan,
// before anything is sent.
func (e *Engine) checkPrunable() error {
	var protected []string
	for _, addr := range e.pruneSet() {
		if e.protected(e.records[addr]) {
			protected = append(protected, addr)
		}
	}
	if len(protected) > 0 {
		return &ProtectedError{Addresses: protected, Undeclared: protected}
	}
	return nil
}

// mergeWalks adds the results of a second walk over other vertices to w.
func mergeWalks(w, other *dag.WalkResult) {
	if other == nil {
		return
	}
	w.Completed = append(w.Completed, other.Completed...)
	if len(other.Errors) > 0 && w.Errors == nil {
		w.Errors = map[string]error{}
	}
	for k, v := range other.Errors {
		w.Errors[k] = v
	}
	if len(other.Skipped) > 0 && w.Skipped == nil {
		w.Skipped = map[string]string{}
	}
	for k, v := range other.Skipped {
		w.Skipped[k] = v
	}
	w.NotRun = append(w.NotRun, other.NotRun...)
	slices.Sort(w.NotRun)
}

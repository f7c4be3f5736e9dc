package executor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/brokerctl/brokerctl/pkg/dag"
)

// ProtectedError lists protected resources a destroy (or a prune) refuses
// to touch. Undeclared are those no longer in the manifest, protected when
// they were last applied.
type ProtectedError struct {
	Addresses  []string
	Undeclared []string
}

func (e *ProtectedError) Error() string {
	var declared []string
	for _, a := range e.Addresses {
		if !slices.Contains(e.Undeclared, a) {
			declared = append(declared, a)
		}
	}
	var parts []string
	if len(declared) > 0 {
		parts = append(parts, strings.Join(declared, ", ")+" (remove lifecycle.protect first)")
	}
	if len(e.Undeclared) > 0 {
		parts = append(parts, strings.Join(e.Undeclared, ", ")+" (no longer in the manifest, protected when last applied: declare it again without lifecycle.protect and apply, or run `brokerctl state forget ADDRESS` to leave it in place unmanaged)")
	}
	return "refusing to destroy protected resources: " + strings.Join(parts, "; ")
}

// openStatuses are the statuses from which destroy cancels an object;
// objects in other statuses (filled orders, completed transfers, executed
// journals) cannot be undone and are only forgotten.
var openStatuses = map[string][]string{
	"orders":         {"new", "accepted", "pending_new", "partially_filled", "accepted_for_bidding", "held", "pending_replace", "calculated"},
	"transfers":      {"QUEUED", "PENDING", "APPROVAL_PENDING"},
	"journals":       {"pending"},
	"batch_journals": {"pending"},
}

// Destroy removes, in reverse dependency order, every object this workspace
// created: it cancels open orders, cancels pending transfers and journals,
// deletes ACH and bank relationships and closes accounts. Resources marked
// retain_on_destroy are forgotten without a request; protected resources
// make the whole destroy refuse before anything is sent. Every step is
// recorded in state, so an interrupted destroy can be run again.
func (e *Engine) Destroy(ctx context.Context) (*Result, error) {
	start := time.Now()
	if err := e.loadState(ctx); err != nil {
		return nil, err
	}
	var sel []string
	for addr, r := range e.records {
		if removable(r) {
			sel = append(sel, addr)
		}
	}
	res := &Result{}
	before := e.remote.Requests()
	walk, err := e.destroyWalk(ctx, sel)
	if err != nil {
		return nil, err
	}
	res.Walk = walk
	if walk.OK() {
		if err := e.store.SetOutputs(ctx, map[string]OutputValue{}); err != nil {
			return res, fmt.Errorf("clear outputs: %w", err)
		}
	}
	e.finish(res, "destroy", start, before)
	return res, nil
}

// DestroyTargets destroys the resources at addrs and every resource in
// state that depends on one of them (see DestroySet), with the same order
// and safety as Destroy. Outputs are left as the last apply saved them.
func (e *Engine) DestroyTargets(ctx context.Context, addrs []string) (*Result, error) {
	start := time.Now()
	sel, err := e.DestroySet(ctx, addrs)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	before := e.remote.Requests()
	walk, err := e.destroyWalk(ctx, sel)
	if err != nil {
		return nil, err
	}
	res.Walk = walk
	e.finish(res, "destroy", start, before)
	return res, nil
}

// DestroySet returns, sorted, the addresses DestroyTargets(addrs) removes:
// addrs themselves and, transitively, every resource in state that depends
// on one of them (a transfer on its account, an order on its transfer). An
// address that is not in state, or already destroyed, is an error.
func (e *Engine) DestroySet(ctx context.Context, addrs []string) ([]string, error) {
	if err := e.loadState(ctx); err != nil {
		return nil, err
	}
	for _, a := range addrs {
		r, ok := e.records[a]
		switch {
		case !ok:
			return nil, &TargetError{Address: a, Reason: "is not in state (see brokerctl state list)"}
		case r.Phase == PhaseDeleted:
			return nil, &TargetError{Address: a, Reason: "was already destroyed"}
		}
	}
	return dependentsClosure(e.records, addrs), nil
}

// TargetError reports an address a targeted destroy cannot act on.
type TargetError struct{ Address, Reason string }

func (e *TargetError) Error() string { return e.Address + " " + e.Reason }

// destroyWalk ends the recorded objects at sel, dependents first. It
// refuses, before sending anything, when one of them is protected.
func (e *Engine) destroyWalk(ctx context.Context, sel []string) (*dag.WalkResult, error) {
	g := dag.New()
	var protected, undeclared []string
	for _, addr := range sel {
		r := e.records[addr]
		if e.protected(r) {
			protected = append(protected, addr)
			if e.nodes[addr] == nil {
				undeclared = append(undeclared, addr)
			}
		}
		g.AddVertex(addr)
	}
	if len(protected) > 0 {
		slices.Sort(protected)
		slices.Sort(undeclared)
		return nil, &ProtectedError{Addresses: protected, Undeclared: undeclared}
	}
	for _, addr := range g.Vertices() {
		for _, d := range e.records[addr].Deps {
			if g.HasVertex(d) {
				g.Connect(addr, d)
			}
		}
	}
	// Dependents go first: walk the reversed graph.
	rev := g.Reverse()
	if e.tally == nil {
		e.tally = newTally(rev.Len())
	}
	walk := rev.Walk(ctx, dag.WalkOptions{Parallelism: walkParallelism(rev), FailFast: e.opts.FailFast}, e.destroyNode)
	notStarted(walk)
	e.reportSkips(walk)
	return walk, nil
}

func (e *Engine) destroyNode(ctx context.Context, addr string) error {
	rec, _ := e.record(addr)
	h := Hook{Address: addr, Kind: rec.Kind, Action: ActionDelete, RemoteID: rec.RemoteID}
	e.report(EventApplyStart, h, addr+": Destroying...")
	if err := e.acquire(ctx); err != nil {
		return err
	}
	result, err := e.remove(ctx, rec)
	if err != nil {
		e.failed() // before the slot is free, so nothing slips in
	}
	e.release()
	if err != nil {
		h.Error = errText(err)
		e.setRow(ResultRow{Address: addr, Result: "failed", Status: firstLine(h.Error), ID: rec.RemoteID})
		e.report(EventApplyErrored, h, fmt.Sprintf("%s: destroy failed: %s", addr, h.Error))
		return err
	}
	row := ResultRow{Address: addr, Result: "destroyed", Status: result, ID: rec.RemoteID}
	switch {
	case strings.HasPrefix(result, "left as is ("):
		// The status in the status column; the event says why.
		row.Result = "left as is"
		row.Status = strings.TrimSuffix(strings.TrimPrefix(result, "left as is ("), " cannot be undone)")
	case strings.HasPrefix(result, "retained") || strings.HasPrefix(result, "forgotten") || result == "nothing was created":
		row.Result = "forgotten"
	}
	e.setRow(row)
	e.report(EventApplyComplete, h, fmt.Sprintf("%s: %s", addr, result))
	return nil
}

// remove ends one recorded object and records it deleted. It returns a
// short description of what was done.
func (e *Engine) remove(ctx context.Context, rec Record) (string, error) {
	n := e.nodes[rec.Address]
	var what string
	switch {
	case rec.Kind == "" || strings.HasPrefix(rec.Address, "data."):
		what = "forgotten (data source)"
	case n != nil && n.Data:
		what = "forgotten (data source)"
	case e.retained(rec):
		what = "retained remotely (retain_on_destroy), forgotten"
	case rec.Phase == PhaseFailed && rec.RemoteID == "":
		what = "forgotten (its create had failed: nothing to remove)"
	case rec.Phase == PhaseIntent:
		// The create may have landed: find it before deciding.
		q := ReconcileQuery{Kind: rec.Kind, AccountID: rec.AccountID, Key: rec.Key, Since: rec.IntentAt.Add(-e.opts.ClockSkew), Claimed: e.claimedBy(rec.Address)}
		if n != nil {
			if body, _, err := n.Render(e.lookup); err == nil {
				q.Body = body
			}
		}
		if q.Body == nil || keyed(rec.Kind) {
			if n == nil {
				return "", fmt.Errorf("%s has an unfinished create and is no longer in the manifest: declare it again and run apply to reconcile it, or `brokerctl state forget %s`", rec.Address, rec.Address)
			}
			return "", fmt.Errorf("%s has an unfinished create; run apply to reconcile it before destroying", rec.Address)
		}
		obj, found, err := e.reconcile(ctx, &Node{Addr: rec.Address, Kind: rec.Kind}, q)
		if err != nil {
			return "", err
		}
		if !found {
			what = "nothing was created"
			break
		}
		rec.RemoteID = idOf(obj)
		fallthrough
	default:
		before := rec
		rec.Phase = PhaseDeleting
		if err := e.put(ctx, rec); err != nil {
			return "", err
		}
		if err := hook(e.opts.Hooks.AfterDeleting, rec.Address); err != nil {
			return "", err
		}
		var err error
		what, err = e.end(ctx, &rec)
		if err != nil {
			rec.Error = errText(err)
			if IsCredentialsError(err) {
				rec = before // refused before anything was done: state stays as it was
			}
			_ = e.put(ctx, rec)
			return "", fmt.Errorf("destroy %s: %w", rec.Address, err)
		}
	}
	rec.Phase, rec.Error = PhaseDeleted, ""
	return what, e.put(ctx, rec)
}

// endStatuses are the statuses the API documents for an object destroy
// has closed, deleted or canceled; destroy records them without reading
// the object again.
var endStatuses = map[string]string{
	"accounts":           "ACCOUNT_CLOSED",
	"ach_relationships":  "CANCELED",
	"bank_relationships": "CANCELED",
	"transfers":          "CANCELED",
	"journals":           "canceled",
	"batch_journals":     "canceled",
	"orders":             "canceled",
}

// end cancels, deletes or closes one remote object, skipping objects whose
// status can no longer be undone. It sets rec's status (and its object's)
// to what it found or caused: the status of an object left as is, the
// closed or canceled status after a request, empty for an object gone.
func (e *Engine) end(ctx context.Context, rec *Record) (string, error) {
	obj, err := e.remote.Get(ctx, rec.Kind, rec.AccountID, rec.RemoteID)
	if errors.Is(err, ErrGone) {
		setEndStatus(rec, nil, "")
		return "already gone", nil
	}
	if err != nil {
		return "", err
	}
	st := StatusOf(obj)
	setEndStatus(rec, obj, st)
	if open, ok := openStatuses[rec.Kind]; ok && !containsFold(open, st) {
		return fmt.Sprintf("left as is (%s cannot be undone)", st), nil
	}
	if lc := LifecycleOf(rec.Kind); lc != nil && lc.IsFailure(st) {
		return fmt.Sprintf("already ended (%s)", st), nil
	}
	if err := e.remote.Remove(ctx, rec.Kind, rec.AccountID, rec.RemoteID); err != nil {
		if errors.Is(err, ErrGone) {
			setEndStatus(rec, nil, "")
			return "already gone", nil
		}
		return "", err
	}
	setEndStatus(rec, obj, endStatuses[rec.Kind])
	switch rec.Kind {
	case "accounts":
		return "closed", nil
	case "orders", "transfers", "journals", "batch_journals":
		return "canceled", nil
	}
	return "deleted", nil
}

// removeForReplace ends the current object of n before its replacement is
// created.
func (e *Engine) removeForReplace(ctx context.Context, n *Node) error {
	rec, ok := e.record(n.Addr)
	if !ok || rec.Phase == PhaseDeleted || rec.RemoteID == "" {
		return nil
	}
	if n.Protect {
		return &ProtectedError{Addresses: []string{n.Addr}}
	}
	if !n.RetainOnDestroy {
		rec.Phase = PhaseDeleting
		if err := e.put(ctx, rec); err != nil {
			return err
		}
		if _, err := e.end(ctx, &rec); err != nil {
			return fmt.Errorf("replace %s: end the old object: %w", n.Addr, err)
		}
	}
	e.mu.Lock()
	delete(e.claimed, rec.RemoteID)
	delete(e.objects, n.Addr)
	e.mu.Unlock()
	rec.Phase = PhaseDeleted
	return e.put(ctx, rec)
}

// setEndStatus records status as rec's status and in its object: the
// object read (obj) if any, else the recorded one; nil obj and an empty
// status (the object is gone) keep the recorded object for reference.
func setEndStatus(rec *Record, obj Object, status string) {
	rec.Status = status
	if obj == nil && status == "" {
		return
	}
	if obj != nil {
		rec.Object = storedObject(obj)
	}
	if rec.Object != nil {
		rec.Object = maps.Clone(rec.Object)
		rec.Object["status"] = status
	}
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

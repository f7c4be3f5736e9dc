package executor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// twoCustomers is seedNodes for customers a and b.
func twoCustomers() []*Node {
	return []*Node{
		node("accounts.a", "accounts", "h1"),
		node("ach_relationships.a", "ach_relationships", "h1", "accounts.a"),
		node("transfers.a", "transfers", "h1", "ach_relationships.a"),
		node("accounts.b", "accounts", "h1"),
		node("ach_relationships.b", "ach_relationships", "h1", "accounts.b"),
		node("transfers.b", "transfers", "h1", "ach_relationships.b"),
	}
}

func phases(t *testing.T, st Store) map[string]Phase {
	t.Helper()
	recs, err := st.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Phase{}
	for _, r := range recs {
		out[r.Address] = r.Phase
	}
	return out
}

func TestApplyPruneRemovesOnlyOrphans(t *testing.T) {
	ctx := context.Background()
	r, st := newFakeRemote(), newMemStore()
	r.initial = map[string]string{"transfers": "QUEUED"}
	if res, err := New(r, st, twoCustomers(), nil, testOpts()).Apply(ctx); err != nil || res.Err() != nil {
		t.Fatalf("apply: %v %v", err, res.Err())
	}
	onlyA := twoCustomers()[:3]

	// Without --prune the orphans are listed and left alone.
	p, err := New(r, st, onlyA, nil, testOpts()).Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var orphans []string
	for _, c := range p.Orphans {
		orphans = append(orphans, c.Address)
		if c.Action != ActionOrphan || !strings.Contains(c.Reason, "apply --prune") {
			t.Errorf("orphan %s: %s %q", c.Address, c.Action, c.Reason)
		}
	}
	if want := []string{"accounts.b", "ach_relationships.b", "transfers.b"}; !slices.Equal(orphans, want) {
		t.Fatalf("orphans %v, want %v", orphans, want)
	}
	if p.HasChanges() || p.Summary.Orphaned != 3 {
		t.Fatalf("plan without prune: changes=%v summary %+v", p.HasChanges(), p.Summary)
	}
	res, err := New(r, st, onlyA, nil, testOpts()).Apply(ctx)
	if err != nil || res.Err() != nil || r.live("accounts") != 2 {
		t.Fatalf("apply without prune: %v %v, live accounts %d", err, res.Err(), r.live("accounts"))
	}

	opts := testOpts()
	opts.Prune = true
	p, err = New(r, st, onlyA, nil, opts).Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !p.HasChanges() || p.Summary.Remove != 3 || p.Summary.Orphaned != 0 || p.Calls.Deletes != 3 {
		t.Fatalf("plan --prune: summary %+v calls %+v", p.Summary, p.Calls)
	}
	res, err = New(r, st, onlyA, nil, opts).Apply(ctx)
	if err != nil || res.Err() != nil {
		t.Fatalf("apply --prune: %v %v", err, res.Err())
	}
	if res.Summary.Remove != 3 || res.Summary.NoOp != 3 {
		t.Fatalf("apply --prune summary %+v", res.Summary)
	}
	for _, k := range []string{"accounts", "ach_relationships", "transfers"} {
		if got := r.live(k); got != 1 {
			t.Errorf("%d live %s after prune, want 1 (customer a's)", got, k)
		}
	}
	ph := phases(t, st)
	for addr, want := range map[string]Phase{"accounts.a": PhaseCreated, "transfers.a": PhaseCreated, "accounts.b": PhaseDeleted, "transfers.b": PhaseDeleted} {
		if ph[addr] != want {
			t.Errorf("%s phase %s, want %s", addr, ph[addr], want)
		}
	}
	// Nothing left to prune: a no-op.
	before := r.Requests()
	p, _ = New(r, st, onlyA, nil, opts).Plan(ctx)
	res, err = New(r, st, onlyA, nil, opts).Apply(ctx)
	if err != nil || res.Err() != nil || p.HasChanges() || r.Requests() != before {
		t.Fatalf("second prune: %v %v changes=%v requests=%d", err, res.Err(), p.HasChanges(), r.Requests()-before)
	}
}

// Protect and retain_on_destroy are remembered in state, so they hold for
// resources that have left the manifest.
func TestPruneHonoursRecordedLifecycle(t *testing.T) {
	ctx := context.Background()
	r, st := newFakeRemote(), newMemStore()
	nodes := twoCustomers()
	nodes[3].Protect = true         // accounts.b
	nodes[4].RetainOnDestroy = true // ach_relationships.b
	if res, err := New(r, st, nodes, nil, testOpts()).Apply(ctx); err != nil || res.Err() != nil {
		t.Fatalf("apply: %v %v", err, res.Err())
	}
	opts := testOpts()
	opts.Prune = true
	before := r.Requests()
	_, err := New(r, st, twoCustomers()[:3], nil, opts).Apply(ctx)
	var pe *ProtectedError
	if !errors.As(err, &pe) || !slices.Equal(pe.Undeclared, []string{"accounts.b"}) {
		t.Fatalf("err = %v, want a refusal naming accounts.b", err)
	}
	if !strings.Contains(err.Error(), "state forget") || r.Requests() != before {
		t.Fatalf("refusal %q after %d requests", err, r.Requests()-before)
	}

	// Declared again without protect (and applied, which records that), the
	// account can go; the relationship is still retained.
	nodes = twoCustomers()
	nodes[4].RetainOnDestroy = true
	if res, err := New(r, st, nodes, nil, testOpts()).Apply(ctx); err != nil || res.Err() != nil {
		t.Fatalf("re-apply: %v %v", err, res.Err())
	}
	res, err := New(r, st, twoCustomers()[:3], nil, opts).Apply(ctx)
	if err != nil || res.Err() != nil {
		t.Fatalf("prune: %v %v", err, res.Err())
	}
	if r.live("accounts") != 1 || r.live("ach_relationships") != 2 {
		t.Fatalf("live accounts %d (want 1), relationships %d (want 2: b's retained)", r.live("accounts"), r.live("ach_relationships"))
	}
}

func TestDestroyTargetsTakesDependents(t *testing.T) {
	ctx := context.Background()
	r, st := newFakeRemote(), newMemStore()
	r.initial = map[string]string{"transfers": "QUEUED"}
	if res, err := New(r, st, twoCustomers(), nil, testOpts()).Apply(ctx); err != nil || res.Err() != nil {
		t.Fatalf("apply: %v %v", err, res.Err())
	}
	e := New(r, st, twoCustomers(), nil, testOpts())
	set, err := e.DestroySet(ctx, []string{"ach_relationships.b"})
	if err != nil || !slices.Equal(set, []string{"ach_relationships.b", "transfers.b"}) {
		t.Fatalf("set %v, %v", set, err)
	}
	res, err := e.DestroyTargets(ctx, []string{"ach_relationships.b"})
	if err != nil || res.Err() != nil || res.Summary.Remove != 2 {
		t.Fatalf("destroy: %v %v %+v", err, res, res.Summary)
	}
	ph := phases(t, st)
	if ph["accounts.b"] != PhaseCreated || ph["ach_relationships.b"] != PhaseDeleted || ph["transfers.b"] != PhaseDeleted || ph["transfers.a"] != PhaseCreated {
		t.Fatalf("phases %v", ph)
	}
	var te *TargetError
	if _, err := New(r, st, twoCustomers(), nil, testOpts()).DestroySet(ctx, []string{"transfers.b"}); !errors.As(err, &te) {
		t.Fatalf("destroyed address: err %v", err)
	}
	if _, err := New(r, st, twoCustomers(), nil, testOpts()).DestroySet(ctx, []string{"accounts.zz"}); !errors.As(err, &te) || !strings.Contains(err.Error(), "not in state") {
		t.Fatalf("unknown address: err %v", err)
	}
}

// Destroy records the status it caused (or found, for what it leaves), so
// state list does not keep showing the last apply's.
func TestDestroyRecordsEndStatus(t *testing.T) {
	ctx := context.Background()
	r, st := newFakeRemote(), newMemStore()
	r.initial = map[string]string{"accounts": "ACTIVE", "ach_relationships": "APPROVED", "orders": "new", "transfers": "COMPLETE", "journals": "pending"}
	if res, err := New(r, st, seedNodes(), nil, testOpts()).Apply(ctx); err != nil || res.Err() != nil {
		t.Fatalf("apply: %v %v", err, res.Err())
	}
	if res, err := New(r, st, seedNodes(), nil, testOpts()).Destroy(ctx); err != nil || res.Err() != nil {
		t.Fatalf("destroy: %v %v", err, res.Err())
	}
	want := map[string]string{"accounts.a": "ACCOUNT_CLOSED", "ach_relationships.a": "CANCELED", "orders.a": "canceled", "transfers.a": "COMPLETE", "journals.a": "canceled"}
	for addr, status := range want {
		rec, _, _ := st.Get(ctx, addr)
		if rec.Phase != PhaseDeleted || rec.Status != status || rec.Object["status"] != status {
			t.Errorf("%s: phase %s status %q object status %v, want deleted %s", addr, rec.Phase, rec.Status, rec.Object["status"], status)
		}
	}
}

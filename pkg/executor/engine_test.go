package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// node makes a test node whose body carries a "match" field the fake remote
// reconciles on.
func node(addr, kind, hash string, deps ...string) *Node {
	return &Node{Addr: addr, Kind: kind, Hash: hash, Deps: deps, Render: func(lookup LookupFunc) (Object, string, error) {
		acct := ""
		for _, d := range deps {
			o, ok := lookup(d)
			if !ok {
				return nil, "", fmt.Errorf("%s: %s not applied", addr, d)
			}
			acct = idOf(o)
		}
		return Object{"match": addr + "@" + hash}, acct, nil
	}}
}

func testOpts() Options {
	return Options{Wait: fastWait(), RetryDelay: time.Millisecond, MaxAttempts: 4}
}

func seedNodes() []*Node {
	return []*Node{
		node("accounts.a", "accounts", "h1"),
		node("ach_relationships.a", "ach_relationships", "h1", "accounts.a"),
		node("transfers.a", "transfers", "h1", "ach_relationships.a"),
		node("journals.a", "journals", "h1", "accounts.a"),
		node("orders.a", "orders", "h1", "transfers.a"),
	}
}

func TestApplyThenReapplySendsNoCreates(t *testing.T) {
	r, st := newFakeRemote(), newMemStore()
	res, err := New(r, st, seedNodes(), nil, testOpts()).Apply(context.Background())
	if err != nil || res.Err() != nil {
		t.Fatalf("apply: %v %v", err, res.Err())
	}
	if got := r.creates.Load(); got != 5 {
		t.Fatalf("creates = %d, want 5", got)
	}
	before := r.Requests()
	res, err = New(r, st, seedNodes(), nil, testOpts()).Apply(context.Background())
	if err != nil || res.Err() != nil {
		t.Fatalf("re-apply: %v %v", err, res.Err())
	}
	if r.Requests() != before || res.Summary.NoOp != 5 {
		t.Fatalf("re-apply sent %d requests, summary %+v", r.Requests()-before, res.Summary)
	}
}

func TestAmbiguousCreateReconcilesInsteadOfDuplicating(t *testing.T) {
	for _, kind := range []string{"accounts", "transfers", "journals", "orders"} {
		t.Run(kind, func(t *testing.T) {
			r, st := newFakeRemote(), newMemStore()
			r.drop = 1
			r.reconcileErrs = 2 // the look-up itself fails twice first
			res, err := New(r, st, []*Node{node(kind+".x", kind, "h")}, nil, testOpts()).Apply(context.Background())
			if err != nil || res.Err() != nil {
				t.Fatalf("apply: %v %v", err, res.Err())
			}
			if n := r.live(kind); n != 1 {
				t.Fatalf("%d live %s, want exactly 1", n, kind)
			}
			rec, _, _ := st.Get(context.Background(), kind+".x")
			if rec.Phase != PhaseCreated || rec.RemoteID == "" {
				t.Fatalf("record %+v", rec)
			}
		})
	}
}

func TestResumeAtEveryStep(t *testing.T) {
	stop := errors.New("killed")
	steps := []string{"intent", "send", "record"}
	for _, step := range steps {
		for _, n := range seedNodes() {
			t.Run(step+"/"+n.Addr, func(t *testing.T) {
				r, st := newFakeRemote(), newMemStore()
				opts := testOpts()
				h := func(addr string) error {
					if addr == n.Addr {
						return stop
					}
					return nil
				}
				switch step {
				case "intent":
					opts.Hooks.AfterIntent = h
				case "send":
					opts.Hooks.AfterSend = h
				case "record":
					opts.Hooks.AfterRecord = h
				}
				res, err := New(r, st, seedNodes(), nil, opts).Apply(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if !errors.Is(res.Err(), stop) {
					t.Fatalf("first run err = %v, want the kill", res.Err())
				}
				res, err = New(r, st, seedNodes(), nil, testOpts()).Apply(context.Background())
				if err != nil || res.Err() != nil {
					t.Fatalf("resume: %v %v", err, res.Err())
				}
				for _, k := range []string{"accounts", "ach_relationships", "transfers", "journals", "orders"} {
					if got := r.live(k); got != 1 {
						t.Fatalf("%d live %s after resume, want 1", got, k)
					}
				}
			})
		}
	}
}

func TestFailureSkipsDependentsOnly(t *testing.T) {
	r, st := newFakeRemote(), newMemStore()
	nodes := seedNodes()
	nodes[1].Render = func(LookupFunc) (Object, string, error) { return nil, "", errors.New("bad ach") }
	res, err := New(r, st, nodes, nil, testOpts()).Apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w := res.Walk
	if w.Errors["ach_relationships.a"] == nil || w.Skipped["transfers.a"] != "ach_relationships.a" || w.Skipped["orders.a"] != "ach_relationships.a" {
		t.Fatalf("walk %+v", w)
	}
	if r.live("journals") != 1 {
		t.Fatalf("independent journal not created")
	}
}

func TestChangedImmutableRefusedWithoutReplace(t *testing.T) {
	r, st := newFakeRemote(), newMemStore()
	r.initial = map[string]string{"journals": "pending"}
	if _, err := New(r, st, seedNodes(), nil, testOpts()).Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	changed := seedNodes()
	changed[3] = node("journals.a", "journals", "h2", "accounts.a")
	_, err := New(r, st, changed, nil, testOpts()).Apply(context.Background())
	var re *RefusedError
	if !errors.As(err, &re) || re.Addresses[0] != "journals.a" {
		t.Fatalf("err = %v, want refusal naming journals.a", err)
	}
	opts := testOpts()
	opts.Replace = []string{"journals.a"}
	res, err := New(r, st, changed, nil, opts).Apply(context.Background())
	if err != nil || res.Err() != nil {
		t.Fatalf("replace: %v %v", err, res.Err())
	}
	if res.Summary.Replace != 1 || r.live("journals") != 1 {
		t.Fatalf("summary %+v, live journals %d", res.Summary, r.live("journals"))
	}
}

func TestDestroyReverseOrderAndProtect(t *testing.T) {
	r, st := newFakeRemote(), newMemStore()
	r.initial = map[string]string{"orders": "new", "transfers": "QUEUED", "journals": "pending"}
	if _, err := New(r, st, seedNodes(), nil, testOpts()).Apply(context.Background()); err != nil {
		t.Fatal(err)
	}
	prot := seedNodes()
	prot[0].Protect = true
	if _, err := New(r, st, prot, nil, testOpts()).Destroy(context.Background()); err == nil {
		t.Fatal("destroy of a protected account succeeded")
	}
	res, err := New(r, st, seedNodes(), nil, testOpts()).Destroy(context.Background())
	if err != nil || res.Err() != nil {
		t.Fatalf("destroy: %v %v", err, res.Err())
	}
	for _, k := range []string{"accounts", "ach_relationships", "transfers", "journals", "orders"} {
		if got := r.live(k); got != 0 {
			t.Fatalf("%d live %s after destroy", got, k)
		}
	}
	recs, _ := st.List(context.Background())
	for _, rec := range recs {
		if rec.Phase != PhaseDeleted {
			t.Fatalf("%s left in phase %s", rec.Address, rec.Phase)
		}
	}
}

func TestWaitsDoNotHoldRequestSlots(t *testing.T) {
	r, st := newFakeRemote(), newMemStore()
	r.initial = map[string]string{"accounts": "SUBMITTED"}
	a := node("accounts.slow", "accounts", "h")
	a.WaitFor, a.WaitTimeout = []string{"ACTIVE"}, 5*time.Second
	b := node("journals.fast", "journals", "h")
	opts := testOpts()
	opts.Parallelism = 1
	done := make(chan struct{})
	opts.Reporter = ReporterFunc(func(e Event) {
		// Only once the journal is complete does the account activate:
		// with the single slot held by the waiting account, this would hang.
		if e.Type == EventApplyComplete && e.Hook.Address == "journals.fast" {
			r.mu.Lock()
			r.initial["accounts"] = "ACTIVE"
			for id, o := range r.objects {
				if r.kinds[id] == "accounts" {
					o["status"] = "ACTIVE"
				}
			}
			r.mu.Unlock()
			close(done)
		}
	})
	res, err := New(r, st, []*Node{a, b}, nil, opts).Apply(context.Background())
	if err != nil || res.Err() != nil {
		t.Fatalf("apply: %v %v", err, res.Err())
	}
	<-done
}

func TestFailFastStartsNothingNew(t *testing.T) {
	r, st := newFakeRemote(), newMemStore()
	var nodes []*Node
	bad := node("accounts.a0", "accounts", "h")
	var atFailure atomic.Int64
	bad.Render = func(LookupFunc) (Object, string, error) {
		atFailure.Store(r.creates.Load()) // a0 holds the only slot here
		return nil, "", errors.New("bad body")
	}
	nodes = append(nodes, bad)
	for i := 1; i < 6; i++ {
		nodes = append(nodes, node(fmt.Sprintf("accounts.a%d", i), "accounts", "h"))
	}
	nodes = append(nodes, node("orders.o", "orders", "h", "accounts.a5"))
	opts := testOpts()
	opts.Parallelism, opts.FailFast = 1, true
	res, err := New(r, st, nodes, nil, opts).Apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w := res.Walk
	if len(w.Errors) != 1 || w.Errors["accounts.a0"] == nil {
		t.Fatalf("errors %v, want only the root cause", w.Errors)
	}
	if after := r.creates.Load() - atFailure.Load(); after != 0 {
		t.Fatalf("%d creates sent after the failure", after)
	}
	if got := len(w.Completed) + len(w.NotRun) + len(w.Errors); got != len(nodes) || len(w.NotRun) == 0 {
		t.Fatalf("completed %v, not run %v", w.Completed, w.NotRun)
	}
}

func TestNotSentIsResentWithoutReconciling(t *testing.T) {
	r, st := newFakeRemote(), newMemStore()
	r.notSent = 2
	res, err := New(r, st, []*Node{node("accounts.a", "accounts", "h")}, nil, testOpts()).Apply(context.Background())
	if err != nil || res.Err() != nil {
		t.Fatalf("apply: %v %v", err, res.Err())
	}
	if r.reconciles.Load() != 0 || r.live("accounts") != 1 || r.creates.Load() != 3 {
		t.Fatalf("reconciles %d, live %d, creates %d", r.reconciles.Load(), r.live("accounts"), r.creates.Load())
	}

	// Interrupted before sending: recorded failed, so the next run creates
	// afresh without a reconcile.
	r2, st2 := newFakeRemote(), newMemStore()
	ctx, cancel := context.WithCancel(context.Background())
	r2.notSent = 1
	opts := testOpts()
	opts.Hooks.AfterIntent = func(string) error { cancel(); return nil }
	New(r2, st2, []*Node{node("accounts.b", "accounts", "h")}, nil, opts).Apply(ctx)
	rec, _, _ := st2.Get(context.Background(), "accounts.b")
	if rec.Phase != PhaseFailed {
		t.Fatalf("phase %s, want failed", rec.Phase)
	}
	res, err = New(r2, st2, []*Node{node("accounts.b", "accounts", "h")}, nil, testOpts()).Apply(context.Background())
	if err != nil || res.Err() != nil || r2.reconciles.Load() != 0 || r2.live("accounts") != 1 {
		t.Fatalf("resume: %v %v, reconciles %d", err, res.Err(), r2.reconciles.Load())
	}
}

func TestPersonalDataNeverInErrors(t *testing.T) {
	r, st := newFakeRemote(), newMemStore()
	r.refuse = &APIError{Status: 422, Code: 42210000, Message: "tax_id 666-55-4321 is invalid for 32131231abc"}
	n := node("accounts.a", "accounts", "h")
	n.Render = func(LookupFunc) (Object, string, error) {
		return Object{"identity": map[string]any{"tax_id": "666-55-4321"},
			"bank": map[string]any{"bank_code": "121000358", "account_number": "32131231abc"}}, "", nil
	}
	var seen []string
	opts := testOpts()
	opts.Reporter = ReporterFunc(func(e Event) { seen = append(seen, e.Message) })
	res, err := New(r, st, []*Node{n}, nil, opts).Apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rec, _, _ := st.Get(context.Background(), "accounts.a")
	texts := append(seen, rec.Error, res.Err().Error())
	for _, s := range texts {
		if strings.Contains(s, "666-55-4321") || strings.Contains(s, "32131231abc") {
			t.Fatalf("personal data leaked: %q", s)
		}
	}
	if rec.Phase != PhaseFailed || !strings.Contains(rec.Error, "tax_id *** is invalid") {
		t.Fatalf("record %+v", rec)
	}
	var ae *APIError
	if !errors.As(res.Err(), &ae) || ae.Status != 422 {
		t.Fatalf("the API error is not reachable: %v", res.Err())
	}
}

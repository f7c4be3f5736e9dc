package executor

import (
	"context"
	"strings"
	"testing"
)

// Refresh sees what changed outside brokerctl: a deleted object is created
// again; a transfer canceled outside is reported, not redone; a list per
// kind and account is used where the remote has one.
func TestRefreshPlansDrift(t *testing.T) {
	ctx := context.Background()
	r, st := newFakeRemote(), newMemStore()
	r.initial = map[string]string{"transfers": "QUEUED", "orders": "new", "journals": "pending"}
	if res, err := New(r, st, seedNodes(), nil, testOpts()).Apply(ctx); err != nil || res.Err() != nil {
		t.Fatalf("apply: %v %v", err, res.Err())
	}
	ids := map[string]string{}
	recs, _ := st.List(ctx)
	for _, rec := range recs {
		ids[rec.Address] = rec.RemoteID
	}
	// Outside brokerctl: the order disappears, the transfer is canceled.
	r.mu.Lock()
	delete(r.objects, ids["orders.a"])
	r.objects[ids["transfers.a"]]["status"] = "CANCELED"
	r.mu.Unlock()
	r.listable["transfers"] = true

	p, err := New(r, st, seedNodes(), nil, testOpts()).Plan(ctx)
	if err != nil || p.HasChanges() || p.Refresh != nil || p.RefreshEstimate != 5 {
		t.Fatalf("plan without refresh: %v changes=%v refresh=%v estimate=%d", err, p.HasChanges(), p.Refresh, p.RefreshEstimate)
	}
	opts := testOpts()
	opts.Refresh = true
	before := r.Requests()
	p, err = New(r, st, seedNodes(), nil, opts).Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// accounts, ACH, journal, order: one Get each; transfers: one list.
	if p.Refresh == nil || p.Refresh.Resources != 5 || p.Refresh.Requests != 5 || r.Requests()-before != 5 || r.lists.Load() != 1 {
		t.Fatalf("refresh %+v, %d requests, %d lists", p.Refresh, r.Requests()-before, r.lists.Load())
	}
	o, _ := p.Change("orders.a")
	if o.Action != ActionCreate || o.Drift != "deleted" || !strings.Contains(o.Reason, "deleted outside brokerctl, will be created") {
		t.Fatalf("order: %+v", o)
	}
	tr, _ := p.Change("transfers.a")
	if tr.Action != ActionNoOp || tr.Drift != "ended" || !strings.Contains(tr.Reason, "canceled outside brokerctl (status CANCELED)") || !strings.Contains(tr.Reason, "--replace transfers.a") {
		t.Fatalf("transfer: %+v", tr)
	}
	if p.Summary.Add != 1 || p.Summary.NoOp != 4 {
		t.Fatalf("summary %+v", p.Summary)
	}

	res, err := New(r, st, seedNodes(), nil, opts).Apply(ctx)
	if err != nil || res.Err() != nil || res.Summary.Add != 1 {
		t.Fatalf("apply --refresh: %v %v %+v", err, res.Err(), res.Summary)
	}
	rec, _, _ := st.Get(ctx, "transfers.a")
	if rec.Status != "CANCELED" || rec.Object["status"] != "CANCELED" {
		t.Fatalf("transfer record after apply --refresh: status %q object %v", rec.Status, rec.Object)
	}
	if rec, _, _ := st.Get(ctx, "orders.a"); rec.RemoteID == ids["orders.a"] || rec.Phase != PhaseCreated {
		t.Fatalf("order record after apply --refresh: %+v", rec)
	}
	p, err = New(r, st, seedNodes(), nil, opts).Plan(ctx)
	if err != nil || p.HasChanges() {
		t.Fatalf("second plan --refresh: %v changes=%v", err, p.HasChanges())
	}
}

func TestDriftFields(t *testing.T) {
	n := &Node{Kind: "accounts", IgnoreChanges: []string{"contact.phone_number"}}
	body := Object{
		"contact":    Object{"city": "San Mateo", "phone_number": "+1555", "street_address": []any{"20 N San Mateo Dr"}},
		"identity":   Object{"given_name": "Alice", "tax_id": "666-55-4321"},
		"agreements": []any{Object{"agreement": "customer_agreement"}},
	}
	live := Object{
		"contact":    Object{"city": "Elsewhere", "phone_number": "+1999", "street_address": []any{"1 Other St"}, "email_address": "x@example.com"},
		"identity":   Object{"given_name": "Alice", "tax_id": "***"},
		"agreements": []any{},
	}
	got := driftFields(n, body, live)
	want := []string{"contact.city", "contact.street_address"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("drift %v, want %v (phone ignored, tax id and agreements not compared)", got, want)
	}
}

// An account closed outside brokerctl is reported, and what was deleted
// with it is not created again under it.
func TestRefreshClosedAccount(t *testing.T) {
	ctx := context.Background()
	r, st := newFakeRemote(), newMemStore()
	nodes := seedNodes()[:3] // account, its ACH relationship and deposit
	if res, err := New(r, st, nodes, nil, testOpts()).Apply(ctx); err != nil || res.Err() != nil {
		t.Fatalf("apply: %v %v", err, res.Err())
	}
	recs, _ := st.List(ctx)
	r.mu.Lock()
	for _, rec := range recs {
		if rec.Kind == "accounts" {
			r.objects[rec.RemoteID]["status"] = "ACCOUNT_CLOSED"
		} else {
			delete(r.objects, rec.RemoteID)
		}
	}
	r.mu.Unlock()
	opts := testOpts()
	opts.Refresh = true
	p, err := New(r, st, seedNodes()[:3], nil, opts).Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := p.Change("accounts.a")
	ach, _ := p.Change("ach_relationships.a")
	tr, _ := p.Change("transfers.a")
	if tr.Action != ActionNoOp || !strings.Contains(tr.Reason, "because accounts.a was closed") {
		t.Errorf("deposit under the closed account: %+v", tr)
	}
	if p.HasChanges() || a.Drift != "ended" || !strings.Contains(a.Reason, "closed outside brokerctl (status ACCOUNT_CLOSED)") ||
		ach.Action != ActionNoOp || !strings.Contains(ach.Reason, "because accounts.a was closed outside brokerctl") {
		t.Fatalf("changes=%v account %+v relationship %+v", p.HasChanges(), a, ach)
	}
}

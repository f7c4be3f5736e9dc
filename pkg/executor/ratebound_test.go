package executor

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// customerNodes declares an onboarding customer: account (shared create),
// ACH relationship, deposit and order (account-scoped), each waited for
// but the order.
func customerNodes(name string, orders int) []*Node {
	acct := "accounts." + name
	ach := "ach_relationships." + name
	nodes := []*Node{
		{Addr: acct, Kind: "accounts", Hash: "h", WaitFor: []string{"ACTIVE"}},
		{Addr: ach, Kind: "ach_relationships", Hash: "h", Deps: []string{acct}, WaitFor: []string{"APPROVED"}},
		{Addr: "transfers." + name, Kind: "transfers", Hash: "h", Deps: []string{ach}, WaitFor: []string{"COMPLETE"}},
	}
	for i := range orders {
		nodes = append(nodes, &Node{Addr: fmt.Sprintf("orders.%s_%d", name, i), Kind: "orders", Hash: "h", Deps: []string{acct}})
	}
	return nodes
}

// TestPlanLowerBoundPerAccountQuotas: at 60 requests/min (1/s) per quota,
// the bound is the shared quota's requests or the busiest account's,
// whichever is larger, not all requests ÷ the limit.
func TestPlanLowerBoundPerAccountQuotas(t *testing.T) {
	customers := func(n, orders int) []*Node {
		var out []*Node
		for i := range n {
			out = append(out, customerNodes(fmt.Sprintf("c%d", i), orders)...)
		}
		return out
	}
	journals := func(n int) []*Node {
		var out []*Node
		for i := range n {
			out = append(out, &Node{Addr: fmt.Sprintf("journals.j%d", i), Kind: "journals", Hash: "h", Deps: []string{"accounts.c0"}})
		}
		return out
	}
	for _, tc := range []struct {
		name             string
		nodes            []*Node
		records          []Record
		requests         int
		streams, polling time.Duration
	}{
		// 10 account creates share a quota; each account then has 3
		// creates of its own (+3 polls: ACTIVE, APPROVED, COMPLETE).
		{"10 customers", customers(10, 1), nil, 40, 10 * time.Second, 10 * time.Second},
		// One account with 20 orders: its own quota is the bottleneck.
		{"1 customer, 20 orders", customers(1, 20), nil, 23, 22 * time.Second, 25 * time.Second},
		// Journals use the shared quota, like account creates.
		{"journals are shared", append(customers(2, 0), journals(5)...), nil, 11, 7 * time.Second, 7 * time.Second},
		// Pruned orders of one account (read + cancel each) use its quota.
		{"orphans count per account", customers(1, 0), []Record{
			{Address: "orders.x1", Kind: "orders", Phase: PhaseCreated, RemoteID: "o1", AccountID: "A"},
			{Address: "orders.x2", Kind: "orders", Phase: PhaseCreated, RemoteID: "o2", AccountID: "A"},
			{Address: "orders.y", Kind: "orders", Phase: PhaseCreated, RemoteID: "o3", AccountID: "B"},
		}, 9, 4 * time.Second, 5 * time.Second}, // polling: c0 has 2 creates + 3 polls
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newMemStore()
			for _, r := range tc.records {
				st.Put(context.Background(), r)
			}
			p, err := MakePlan(context.Background(), tc.nodes, st, 60)
			if err != nil {
				t.Fatal(err)
			}
			if tc.records != nil {
				p.prunePlan()
				p.Calls = Calls{}
				p.summarise(60)
			}
			if p.Summary.Requests != tc.requests {
				t.Errorf("requests %d, want %d", p.Summary.Requests, tc.requests)
			}
			if p.LowerBound != tc.streams || p.LowerBoundPolling != tc.polling {
				t.Errorf("lower bound %s (polling %s), want %s (%s)", p.LowerBound, p.LowerBoundPolling, tc.streams, tc.polling)
			}
		})
	}
}

package executor

import (
	"context"
	"testing"
	"time"
)

func TestPlanActions(t *testing.T) {
	salt := []byte("test-salt")
	body := Object{"match": "x", "contact": map[string]any{"city": "Austin"}}
	stored := Object{"account_id": "", "body": hashedRequest(salt, body)}
	changedBody := func(LookupFunc) (Object, string, error) {
		return Object{"match": "x", "contact": map[string]any{"city": "Oakland"}}, "", nil
	}
	tests := []struct {
		name       string
		node       *Node
		rec        *Record
		want       Action
		wantCalls  Calls
		wantFields []string
	}{
		{"new", &Node{Addr: "accounts.a", Kind: "accounts", Hash: "h"}, nil, ActionCreate, Calls{Creates: 1}, nil},
		{"new with wait", &Node{Addr: "accounts.a", Kind: "accounts", Hash: "h", WaitFor: []string{"ACTIVE"}}, nil, ActionCreate, Calls{Creates: 1, Waits: 1}, nil},
		{"import", &Node{Addr: "accounts.a", Kind: "accounts", Hash: "h", ImportID: "id9"}, nil, ActionImport, Calls{Reads: 1}, nil},
		{"data", &Node{Addr: "data.accounts.f", Kind: "accounts", Data: true}, nil, ActionRead, Calls{Reads: 1}, nil},
		{"unchanged", &Node{Addr: "accounts.a", Kind: "accounts", Hash: "h"}, &Record{Phase: PhaseCreated, SpecHash: "h", RemoteID: "id1"}, ActionNoOp, Calls{}, nil},
		{"unchanged, wait unmet", &Node{Addr: "accounts.a", Kind: "accounts", Hash: "h", WaitFor: []string{"ACTIVE"}},
			&Record{Phase: PhaseCreated, SpecHash: "h", Status: "SUBMITTED"}, ActionNoOp, Calls{Waits: 1}, nil},
		{"intent", &Node{Addr: "transfers.t", Kind: "transfers", Hash: "h"}, &Record{Phase: PhaseIntent, IntentAt: time.Now()}, ActionResume, Calls{Reconciles: 1, Creates: 1}, nil},
		{"journal intent replays its key", &Node{Addr: "journals.j", Kind: "journals", Hash: "h"}, &Record{Phase: PhaseIntent}, ActionResume, Calls{Creates: 1}, nil},
		{"failed", &Node{Addr: "orders.o", Kind: "orders", Hash: "h"}, &Record{Phase: PhaseFailed, Error: "403 forbidden\nmore"}, ActionCreate, Calls{Creates: 1}, nil},
		{"destroyed", &Node{Addr: "orders.o", Kind: "orders", Hash: "h"}, &Record{Phase: PhaseDeleted}, ActionCreate, Calls{Creates: 1}, nil},
		{"account changed", &Node{Addr: "accounts.a", Kind: "accounts", Hash: "h2", Render: changedBody},
			&Record{Phase: PhaseCreated, SpecHash: "h1", Request: stored}, ActionUpdate, Calls{Updates: 1}, []string{"contact"}},
		{"transfer changed", &Node{Addr: "transfers.t", Kind: "transfers", Hash: "h2", Render: changedBody},
			&Record{Phase: PhaseCreated, SpecHash: "h1", Request: stored}, ActionReplace, Calls{Deletes: 1, Creates: 1}, []string{"contact"}},
		{"only ignored fields changed", &Node{Addr: "transfers.t", Kind: "transfers", Hash: "h2", Render: changedBody, IgnoreChanges: []string{"contact.city"}},
			&Record{Phase: PhaseCreated, SpecHash: "h1", Request: stored}, ActionNoOp, Calls{}, nil},
		{"ignoring one field keeps its siblings", &Node{Addr: "accounts.a", Kind: "accounts", Hash: "h2", Render: changedBody, IgnoreChanges: []string{"contact.email_address"}},
			&Record{Phase: PhaseCreated, SpecHash: "h1", Request: stored}, ActionUpdate, Calls{Updates: 1}, []string{"contact"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMemStore()
			if tt.rec != nil {
				tt.rec.Address, tt.rec.Kind = tt.node.Addr, tt.node.Kind
				st.Put(context.Background(), *tt.rec)
			}
			p, err := MakePlan(context.Background(), []*Node{tt.node}, st, 1000)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := p.Change(tt.node.Addr)
			if c.Action != tt.want || c.Calls != tt.wantCalls {
				t.Fatalf("action %s calls %+v (%s), want %s %+v", c.Action, c.Calls, c.Reason, tt.want, tt.wantCalls)
			}
			if len(c.Fields) != len(tt.wantFields) || len(c.Fields) > 0 && c.Fields[0] != tt.wantFields[0] {
				t.Fatalf("fields %v, want %v", c.Fields, tt.wantFields)
			}
		})
	}
}

func TestPlanSummaryOrphansAndLowerBound(t *testing.T) {
	st := newMemStore()
	st.Put(context.Background(), Record{Address: "orders.gone", Kind: "orders", Phase: PhaseCreated, RemoteID: "o1"})
	st.Put(context.Background(), Record{Address: "orders.old", Kind: "orders", Phase: PhaseDeleted})
	var nodes []*Node
	for _, a := range []string{"accounts.a", "accounts.b", "accounts.c"} {
		nodes = append(nodes, &Node{Addr: a, Kind: "accounts", Hash: "h", WaitFor: []string{"ACTIVE"}})
	}
	p, err := MakePlan(context.Background(), nodes, st, 60) // one request per second
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Orphans) != 1 || p.Orphans[0].Address != "orders.gone" {
		t.Fatalf("orphans %+v", p.Orphans)
	}
	if p.Summary.Add != 3 || p.Summary.Requests != 3 || p.Calls.Waits != 3 || p.Calls.Total(true) != 6 {
		t.Fatalf("summary %+v calls %+v", p.Summary, p.Calls)
	}
	if p.LowerBound != 3*time.Second {
		t.Fatalf("lower bound %s, want 3s", p.LowerBound)
	}
	if !p.HasChanges() {
		t.Fatal("creates are changes")
	}
}

func TestPlanDependentOfReplacedIsReplaced(t *testing.T) {
	st := newMemStore()
	for _, a := range []string{"ach_relationships.r", "transfers.t"} {
		st.Put(context.Background(), Record{Address: a, Phase: PhaseCreated, SpecHash: "h", RemoteID: a})
	}
	nodes := []*Node{
		{Addr: "ach_relationships.r", Kind: "ach_relationships", Hash: "h2"},
		{Addr: "transfers.t", Kind: "transfers", Hash: "h", Deps: []string{"ach_relationships.r"}},
	}
	p, err := MakePlan(context.Background(), nodes, st, 0)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := p.Change("transfers.t")
	if c.Action != ActionReplace || c.Reason != "dependency ach_relationships.r gets a new remote object" {
		t.Fatalf("transfer %+v", c)
	}
}

package executor

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/brokerctl/brokerctl/pkg/emulator"
)

func (w *world) plan(nodes []*Node, opts Options) *Plan {
	w.t.Helper()
	var p *Plan
	_, err := w.run(nodes, opts, func(e *Engine) (*Result, error) {
		var err error
		p, err = e.Plan(context.Background())
		return nil, err
	})
	if err != nil {
		w.t.Fatalf("plan: %v", err)
	}
	return p
}

// An account REJECTED on its first apply: plan shows it and its dependents
// as blocked (not "unchanged" and "to add"), with the ways out, and apply's
// failure says them too.
func TestE2EPlanShowsRejectedAccountBlocked(t *testing.T) {
	w := newWorld(t, emulator.Faults{})
	nodes := seed("rita")
	nodes[0].Render = func(LookupFunc) (Object, string, error) {
		b := accountBody("rita@example.com")
		b["identity"].(map[string]any)["family_name"] = "Rejected"
		return b, "", nil
	}
	if res := w.apply(nodes, Options{}); res.Err() == nil {
		t.Fatalf("first apply succeeded:\n%s", res.Table())
	}
	p := w.plan(nodes, Options{})
	if !p.HasChanges() || p.Summary.Blocked != len(nodes) || p.Summary.Add != 0 || p.Summary.NoOp != 0 {
		t.Fatalf("summary %+v (has changes %v), want all %d blocked", p.Summary, p.HasChanges(), len(nodes))
	}
	c, _ := p.Change("accounts.rita")
	if !strings.Contains(c.Blocked, "REJECTED") || !strings.Contains(c.Blocked, "--replace accounts.rita") || !strings.Contains(c.Blocked, "state forget") {
		t.Fatalf("account blocked %q", c.Blocked)
	}
	if c, _ := p.Change("journals.rita_bonus"); !strings.Contains(c.Blocked, "accounts.rita") {
		t.Fatalf("journal blocked %q", c.Blocked)
	}
	res := w.apply(nodes, Options{})
	if err := res.Err(); err == nil || !strings.Contains(err.Error(), "--replace accounts.rita") {
		t.Fatalf("second apply: %v\n%s", err, res.Table())
	}
	if err := res.Err().Error(); !strings.HasPrefix(err, "accounts.rita: reached REJECTED while waiting for ACTIVE") {
		t.Fatalf("error %q: want the address once, then the status", err)
	}
}

// An account closed outside brokerctl: apply --refresh and every apply
// after it report it ("!") and leave it, exit 0; plan agrees ("no changes").
func TestE2EAccountClosedOutsideIsLeft(t *testing.T) {
	w := newWorld(t, emulator.Faults{})
	nodes := seed("dora")[:1]
	nodes = append(nodes, seed("dora")[3]) // the journal
	res := w.apply(nodes, Options{})
	if res.Err() != nil {
		t.Fatalf("apply: %v\n%s", res.Err(), res.Table())
	}
	ctx := context.Background()
	id := res.Rows[0].ID
	if err := w.remote.Remove(ctx, "accounts", "", id); err != nil {
		t.Fatal(err)
	}
	if p := w.plan(nodes, Options{Refresh: true}); p.HasChanges() {
		t.Fatalf("plan --refresh has changes: %+v", p.Changes)
	}
	for _, refresh := range []bool{true, false, false} {
		res := w.apply(nodes, Options{Refresh: refresh})
		if err := res.Err(); err != nil {
			t.Fatalf("apply (refresh %v): %v\n%s", refresh, err, res.Table())
		}
		if !strings.Contains(res.Table(), "! ACCOUNT_CLOSED") {
			t.Fatalf("apply (refresh %v) table:\n%s", refresh, res.Table())
		}
	}
	if p := w.plan(nodes, Options{}); p.HasChanges() {
		t.Fatalf("plan has changes: %+v", p.Changes)
	}
	// A dependent added now cannot be created in the closed account: plan
	// and apply both leave it.
	more := append(nodes, seed("dora")[1])
	p := w.plan(more, Options{})
	if c, _ := p.Change("ach_relationships.dora"); c.Action != ActionNoOp || c.Drift != "ended" {
		t.Fatalf("new dependent planned %+v", c)
	}
	if res := w.apply(more, Options{}); res.Err() != nil {
		t.Fatalf("apply with a new dependent: %v\n%s", res.Err(), res.Table())
	}
}

func TestAmbiguousErrorSaysOutcomeUnknownOnce(t *testing.T) {
	inner := errors.New("POST /v1/accounts: outcome unknown (not retried): EOF")
	if got := (&AmbiguousError{Err: inner}).Error(); strings.Count(got, "outcome unknown") != 1 {
		t.Fatalf("%q", got)
	}
	if got := (&AmbiguousError{Err: errors.New("EOF")}).Error(); got != "outcome unknown: EOF" {
		t.Fatalf("%q", got)
	}
}

package executor

import (
	"context"
	"strings"
	"testing"
)

// plan --prune predicts apply --prune's refusal of a protected orphan.
func TestPlanPruneMarksProtectedOrphan(t *testing.T) {
	ctx := context.Background()
	r, st := newFakeRemote(), newMemStore()
	nodes := twoCustomers()
	nodes[3].Protect = true // accounts.b
	if res, err := New(r, st, nodes, nil, testOpts()).Apply(ctx); err != nil || res.Err() != nil {
		t.Fatalf("apply: %v %v", err, res.Err())
	}
	opts := testOpts()
	opts.Prune = true
	p, err := New(r, st, twoCustomers()[:3], nil, opts).Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var marked, plain int
	for _, c := range p.Orphans {
		switch {
		case c.Address == "accounts.b":
			if !strings.Contains(c.Reason, "protected when last applied") || !strings.Contains(c.Blocked, "state forget accounts.b") {
				t.Fatalf("protected orphan planned %+v", c)
			}
			marked++
		case c.Blocked != "":
			t.Fatalf("unprotected orphan %s marked blocked", c.Address)
		default:
			plain++
		}
	}
	if marked != 1 || plain == 0 || p.Summary.Blocked != 1 {
		t.Fatalf("marked %d plain %d summary %+v", marked, plain, p.Summary)
	}
}

package executor

import (
	"strings"
	"testing"

	"github.com/brokerctl/brokerctl/pkg/emulator"
)

// Correcting a deposit replaces the deposit only: the order that merely
// depends_on it (it references the account) is left, and the refusal
// without --replace names only the deposit.
func TestE2EDependsOnDoesNotForceReplace(t *testing.T) {
	w := newWorld(t, emulator.Faults{})
	if res := w.apply(seed("sam"), Options{}); res.Err() != nil {
		t.Fatalf("apply: %v\n%s", res.Err(), res.Table())
	}
	changed := seed("sam")
	dep := changed[2]
	dep.Hash = "h2"
	render := dep.Render
	dep.Render = func(l LookupFunc) (Object, string, error) {
		b, a, err := render(l)
		if b != nil {
			b["amount"] = "1001"
		}
		return b, a, err
	}
	p := w.plan(changed, Options{})
	if c, _ := p.Change("transfers.sam_deposit"); c.Action != ActionReplace {
		t.Fatalf("deposit planned %+v", c)
	}
	if c, _ := p.Change("orders.sam_spy"); c.Action != ActionNoOp {
		t.Fatalf("order planned %+v, want no-op (depends_on only)", c)
	}
	_, err := w.run(changed, Options{}, func(e *Engine) (*Result, error) { return e.Apply(t.Context()) })
	if err == nil || !strings.Contains(err.Error(), "transfers.sam_deposit: the spec changed") || strings.Contains(err.Error(), "orders.") {
		t.Fatalf("refusal: %v", err)
	}
	orders := w.created("order")
	res := w.apply(changed, Options{Replace: []string{"transfers.sam_deposit"}})
	if res.Err() != nil || res.Summary.Replace != 1 {
		t.Fatalf("apply --replace: %v %+v\n%s", res.Err(), res.Summary, res.Table())
	}
	if got := w.created("order"); got != orders {
		t.Fatalf("orders created %d -> %d: the order was bought again", orders, got)
	}
}

func TestReplaceMatches(t *testing.T) {
	for _, tc := range []struct {
		arg, addr string
		want      bool
	}{
		{"transfers.deposit", `transfers.deposit["a@x"]`, true},
		{"transfers.deposit[*]", `transfers.deposit["a@x"]`, true},
		{`transfers.deposit["a@x"]`, `transfers.deposit["a@x"]`, true},
		{`transfers.deposit["a@x"]`, `transfers.deposit["b@x"]`, false},
		{"transfers.dep", `transfers.deposit["a@x"]`, false},
		{"transfers.deposit", "transfers.deposit", true},
		{"transfers.deposit", "transfers.deposit_2", false},
	} {
		if got := replaceMatches(tc.arg, tc.addr); got != tc.want {
			t.Errorf("replaceMatches(%q, %q) = %v", tc.arg, tc.addr, got)
		}
	}
}

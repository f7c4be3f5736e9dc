package executor

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func fieldOutput(name, addr, field string) OutputSpec {
	return OutputSpec{Name: name, Render: func(l LookupFunc) (any, error) {
		o, ok := l(addr)
		if !ok {
			return nil, fmt.Errorf("%s is not applied", addr)
		}
		v, ok := o[field]
		if !ok {
			return nil, fmt.Errorf("%s has no field .%s", addr, field)
		}
		return v, nil
	}}
}

// After a wait met through event streams, references read the object at
// that status: an order's filled_qty (the trade update carries the order)
// and a journal's settle_date (read once after its wait, because an output
// references it).
func TestE2EWaitedObjectIsLive(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the emulator on the wall clock")
	}
	w := newRealWorld(t, 100)
	nodes := seed("una")
	outs := []OutputSpec{
		fieldOutput("filled", "orders.una_spy", "filled_qty"),
		fieldOutput("settle", "journals.una_bonus", "settle_date"),
	}
	opts := Options{Wait: WaitOptions{PollMin: 5 * time.Second, PollMax: 5 * time.Second, StreamGrace: time.Minute, ConnectGrace: 10 * time.Second}}
	res, err := w.run(nodes, opts, func(e *Engine) (*Result, error) {
		e.outputs = outs
		return e.Apply(t.Context())
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil {
		t.Fatalf("apply: %v\n%s", err, res.Table())
	}
	q, err := decimal.NewFromString(fmt.Sprint(res.Outputs["filled"].Value))
	if err != nil || !q.IsPositive() {
		t.Fatalf("filled_qty output %v, want the filled quantity", res.Outputs["filled"].Value)
	}
	if s, _ := res.Outputs["settle"].Value.(string); s == "" {
		t.Fatalf("settle_date output %v, want a date", res.Outputs["settle"].Value)
	}
}

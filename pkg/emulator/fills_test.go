package emulator

import (
	"strings"
	"testing"
	"time"
)

func blockHarness(t *testing.T) (*harness, string) {
	t.Helper()
	h := newHarness(t, func(o *Options) { o.Speed = SpeedRealistic; o.FirmCash = "1000000" })
	return h, "/v1/trading/accounts/" + DefaultFirmAccountID + "/orders"
}

// tradeEvents lists the trade update events of one order, in order.
func tradeEvents(h *harness, orderID string) []string {
	evs, _ := h.em.hub.read(streamTrades, 0)
	var out []string
	for _, ev := range evs {
		if ev.EntityID == orderID {
			out = append(out, ev.Trade.Event+":"+ev.Trade.Qty)
		}
	}
	return out
}

// TestBlockOrderFillsInSlices: 10,000 shares fill in four executions of
// 2,500, partially_filled in between, with decimal-string quantities.
func TestBlockOrderFillsInSlices(t *testing.T) {
	h, path := blockHarness(t)
	o := h.must(200, "POST", path, mkt("F", "buy", "10000")).json(t)
	id := o["id"].(string)
	h.clock.Advance(orderRouteDelay + orderFillDelay)
	got := h.must(200, "GET", path+"/"+id, nil).json(t)
	if got["status"] != "partially_filled" || got["filled_qty"] != "2500" || got["filled_avg_price"] != "12.7" || got["filled_at"] != nil {
		t.Fatalf("after one execution: %v %v %v %v", got["status"], got["filled_qty"], got["filled_avg_price"], got["filled_at"])
	}
	if open := h.must(200, "GET", path+"?status=open", nil).list(t); len(open) != 1 {
		t.Fatalf("a partially filled order is open: %d", len(open))
	}
	h.clock.Advance(3 * orderFillDelay)
	got = h.must(200, "GET", path+"/"+id, nil).json(t)
	if got["status"] != "filled" || got["filled_qty"] != "10000" || got["filled_at"] == nil {
		t.Fatalf("after four executions: %v %v", got["status"], got["filled_qty"])
	}
	want := "accepted:,new:,partial_fill:2500,partial_fill:2500,partial_fill:2500,fill:2500"
	if ev := strings.Join(tradeEvents(h, id), ","); ev != want {
		t.Fatalf("events %s, want %s", ev, want)
	}
	if c := h.cash(DefaultFirmAccountID); c != "873000" {
		t.Fatalf("cash %s, want 1000000 - 10000 x 12.70", c)
	}
}

// TestPartialFillCancelIOCAndFOK: canceling a partially filled order keeps
// what filled and releases the rest; an ioc block order takes one slice;
// fok and small orders fill at once; $200,000 makes a block too.
func TestPartialFillCancelIOCAndFOK(t *testing.T) {
	h, path := blockHarness(t)
	o := h.must(200, "POST", path, mkt("F", "buy", "10000")).json(t)
	h.clock.Advance(orderRouteDelay + orderFillDelay)
	h.must(204, "DELETE", path+"/"+o["id"].(string), nil)
	got := h.must(200, "GET", path+"/"+o["id"].(string), nil).json(t)
	if got["status"] != "canceled" || got["filled_qty"] != "2500" {
		t.Fatalf("canceled partial: %v %v", got["status"], got["filled_qty"])
	}
	ta := h.must(200, "GET", "/v1/trading/accounts/"+DefaultFirmAccountID+"/account", nil).json(t)
	if ta["cash"] != "968250" || ta["buying_power"] != "968250" {
		t.Fatalf("after cancel: cash %v buying power %v, want 1000000 - 2500 x 12.70 and nothing held", ta["cash"], ta["buying_power"])
	}
	for _, tc := range []struct {
		tif, sym, qty, status, filled string
	}{
		{"ioc", "SPY", "400", "canceled", "100"}, // 400 x 512.30 = $204,920: a block by value
		{"fok", "F", "10000", "filled", "10000"},
		{"ioc", "F", "9999", "filled", "9999"}, // under both thresholds
	} {
		b := mkt(tc.sym, "buy", tc.qty)
		b["time_in_force"] = tc.tif
		id := h.must(200, "POST", path, b).json(t)["id"].(string)
		h.clock.Advance(time.Second)
		got := h.must(200, "GET", path+"/"+id, nil).json(t)
		if got["status"] != tc.status || got["filled_qty"] != tc.filled {
			t.Errorf("%s %s %s: %v filled %v, want %s %s", tc.tif, tc.qty, tc.sym, got["status"], got["filled_qty"], tc.status, tc.filled)
		}
	}
}

// TestBlockLimitOrderWaitsForPrice: slices run only while the limit
// allows; the average price reflects each execution.
func TestBlockLimitOrderWaitsForPrice(t *testing.T) {
	h, path := blockHarness(t)
	b := map[string]any{"symbol": "F", "qty": "10000", "side": "buy", "type": "limit", "limit_price": "12.70", "time_in_force": "gtc"}
	id := h.must(200, "POST", path, b).json(t)["id"].(string)
	h.clock.Advance(orderRouteDelay + orderFillDelay)
	if err := h.em.SetPrice("F", "13"); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Minute)
	got := h.must(200, "GET", path+"/"+id, nil).json(t)
	if got["status"] != "partially_filled" || got["filled_qty"] != "2500" {
		t.Fatalf("above the limit: %v %v", got["status"], got["filled_qty"])
	}
	if err := h.em.SetPrice("F", "12.5"); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Minute)
	got = h.must(200, "GET", path+"/"+id, nil).json(t)
	if got["status"] != "filled" || got["filled_avg_price"] != "12.55" {
		t.Fatalf("back under the limit: %v avg %v, want filled at 12.55", got["status"], got["filled_avg_price"])
	}
	if ta := h.must(200, "GET", "/v1/trading/accounts/"+DefaultFirmAccountID+"/account", nil).json(t); ta["buying_power"] != "874500" {
		t.Fatalf("buying power %v: the limit hold must be released in full", ta["buying_power"])
	}
}

// TestOCOExitFollowsPartialFill: while the take-profit of an OCO fills in
// slices, the stop-loss follows the remaining quantity, and is canceled
// when the take-profit completes.
func TestOCOExitFollowsPartialFill(t *testing.T) {
	h, path := blockHarness(t)
	h.must(200, "POST", path, mkt("F", "buy", "10000"))
	h.clock.Advance(time.Minute)
	oco := h.must(200, "POST", path, map[string]any{"symbol": "F", "qty": "10000", "side": "sell", "type": "limit",
		"time_in_force": "gtc", "order_class": "oco", "take_profit": map[string]any{"limit_price": "13"},
		"stop_loss": map[string]any{"stop_price": "12"}}).json(t)
	id := oco["id"].(string)
	h.clock.Advance(time.Minute)
	if err := h.em.SetPrice("F", "13.5"); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(orderFillDelay)
	got := h.must(200, "GET", path+"/"+id+"?nested=true", nil).json(t)
	leg := got["legs"].([]any)[0].(map[string]any)
	if got["status"] != "partially_filled" || got["filled_qty"] != "2500" || leg["qty"] != "7500" || leg["status"] != "held" {
		t.Fatalf("after one slice: %v %v, stop-loss %v %v", got["status"], got["filled_qty"], leg["qty"], leg["status"])
	}
	h.clock.Advance(time.Minute)
	got = h.must(200, "GET", path+"/"+id+"?nested=true", nil).json(t)
	if got["status"] != "filled" || strings.Join(legStatuses(t, got), ",") != "canceled" {
		t.Fatalf("after the take-profit: %v legs %v", got["status"], legStatuses(t, got))
	}
	h.must(404, "GET", "/v1/trading/accounts/"+DefaultFirmAccountID+"/positions/F", nil)
}

// TestCommissionCharged: the order's commission leaves the account's cash
// at execution, as commission_type says.
func TestCommissionCharged(t *testing.T) {
	for _, tc := range []struct {
		name, sym, qty, commission, typ, wantCash string
	}{
		{"per order", "AAPL", "10", "1.25", "", "998103.75"},         // 1000000 - 1895 - 1.25
		{"per share", "AAPL", "10", "0.01", "qty", "998104.9"},       // - 10 x 0.01
		{"bps", "AAPL", "10", "10", "bps", "998103.105"},             // - 1895 x 10/10000
		{"block, pro rata", "F", "10000", "2", "notional", "872998"}, // 1000000 - 127000 - 2
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, path := blockHarness(t)
			b := mkt(tc.sym, "buy", tc.qty)
			b["commission"] = tc.commission
			if tc.typ != "" {
				b["commission_type"] = tc.typ
			}
			o := h.must(200, "POST", path, b).json(t)
			if o["commission"] != tc.commission || (tc.typ != "" && o["commission_type"] != tc.typ) {
				t.Fatalf("echo: commission %v type %v", o["commission"], o["commission_type"])
			}
			h.clock.Advance(time.Minute)
			if c := h.cash(DefaultFirmAccountID); c != tc.wantCash {
				t.Fatalf("cash %s, want %s", c, tc.wantCash)
			}
		})
	}
}

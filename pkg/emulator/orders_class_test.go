package emulator

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func bracket(class, side, typ, tp, sl string) map[string]any {
	b := map[string]any{"symbol": "AAPL", "qty": "10", "side": side, "type": typ, "time_in_force": "gtc",
		"order_class": class}
	if typ == "limit" && class != "oco" {
		b["limit_price"] = "185"
	}
	if tp != "" {
		b["take_profit"] = map[string]any{"limit_price": tp}
	}
	if sl != "" {
		b["stop_loss"] = map[string]any{"stop_price": sl}
	}
	return b
}

// TestOrderClassValidation: the documented rules for bracket, oco and oto
// orders answer 422 with the API's messages (AAPL trades at 189.50).
func TestOrderClassValidation(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	h.fund(acct, "9000")
	path := "/v1/trading/accounts/" + acct + "/orders"
	with := func(b map[string]any, k string, v any) map[string]any { b[k] = v; return b }
	for _, tc := range []struct {
		name string
		body map[string]any
		code float64
		msg  string
	}{
		{"bracket without take_profit", bracket("bracket", "buy", "market", "", "180"), 40010001, "bracket orders require take_profit.limit_price"},
		{"bracket without stop_loss", bracket("bracket", "buy", "market", "200", ""), 40010001, "bracket orders require stop_loss.stop_price"},
		{"oto without legs", bracket("oto", "buy", "market", "", ""), 40010001, "oto orders require take_profit.limit_price or stop_loss.stop_price"},
		{"bracket stop entry", with(bracket("bracket", "buy", "stop", "200", "180"), "stop_price", "190"), 40010001, "bracket orders must be market or limit orders"},
		{"oco market", bracket("oco", "sell", "market", "200", "180"), 40010001, "oco orders must be limit orders"},
		{"bracket ioc", with(bracket("bracket", "buy", "market", "200", "180"), "time_in_force", "ioc"), 40010001, "time_in_force: bracket orders must be day or gtc (got ioc)"},
		{"bracket extended hours", with(with(bracket("bracket", "buy", "limit", "200", "180"), "extended_hours", true), "time_in_force", "day"), 40010001, "extended_hours: bracket orders do not support extended hours"},
		{"bracket fractional", with(bracket("bracket", "buy", "market", "200", "180"), "qty", "1.5"), 40010001, "qty: bracket orders need a whole number of shares"},
		{"take profit below stop", bracket("bracket", "buy", "market", "170", "180"), 40010001, "take_profit.limit_price must be greater than stop_loss.stop_price"},
		{"stop at market", bracket("bracket", "buy", "market", "200", "189.50"), 40010001, "stop price must be less than base_price - 0.01"},
		{"stop above limit entry", bracket("bracket", "buy", "limit", "200", "185"), 40010001, "stop price must be less than base_price - 0.01"},
		{"oco buy", bracket("oco", "buy", "limit", "170", "200"), 42210000, "oco orders must be exit orders"},
		{"mleg", map[string]any{"order_class": "mleg", "qty": "1", "type": "limit", "limit_price": "1", "time_in_force": "day",
			"legs": []map[string]any{{"symbol": "AAPL250620C00100000", "ratio_qty": "1", "side": "buy"}}}, 40010001, "mleg"},
		{"trailing stop gtc only", map[string]any{"symbol": "AAPL", "qty": "1", "side": "buy", "type": "trailing_stop",
			"trail_price": "1", "time_in_force": "ioc"}, 40010001, "trailing_stop orders must be day or gtc"},
	} {
		r := h.must(422, "POST", path, tc.body)
		got := r.json(t)
		if got["code"] != tc.code || !strings.Contains(got["message"].(string), tc.msg) {
			t.Errorf("%s: %v, want code %v and %q", tc.name, got, tc.code, tc.msg)
		}
	}
	// A sell bracket on a held position is a closing order, not an entry.
	h.must(200, "POST", path, mkt("AAPL", "buy", "5"))
	h.clock.Advance(0)
	got := h.must(422, "POST", path, bracket("bracket", "sell", "market", "170", "200")).json(t)
	if got["code"] != 42210000.0 || got["message"] != "bracket orders must be entry orders" {
		t.Errorf("sell bracket on a long position: %v", got)
	}
	if n := len(h.must(200, "GET", path+"?status=all", nil).list(t)); n != 1 {
		t.Errorf("refused orders were stored: %d orders", n)
	}
}

func legStatuses(t *testing.T, o map[string]any) []string {
	t.Helper()
	legs, _ := o["legs"].([]any)
	var out []string
	for _, l := range legs {
		out = append(out, l.(map[string]any)["status"].(string))
	}
	return out
}

// TestBracketLifecycle: legs are held until the entry fills, then the
// take-profit works and the stop-loss waits held; one exit filling cancels
// the other.
func TestBracketLifecycle(t *testing.T) {
	for _, tc := range []struct {
		name       string
		price      string
		filled     int // index of the leg that fills
		wantCash   string
		wantFilled string
	}{
		{"take profit", "201", 0, "10115", "201"},
		{"stop loss", "179", 1, "9895", "179"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			acct := h.activeAccount()
			h.fund(acct, "10000")
			path := "/v1/trading/accounts/" + acct + "/orders"
			o := h.must(200, "POST", path, bracket("bracket", "buy", "market", "200", "180")).json(t)
			if o["order_class"] != "bracket" || strings.Join(legStatuses(t, o), ",") != "held,held" {
				t.Fatalf("create: class %v legs %v", o["order_class"], legStatuses(t, o))
			}
			legs := o["legs"].([]any)
			tp, sl := legs[0].(map[string]any), legs[1].(map[string]any)
			if tp["type"] != "limit" || tp["side"] != "sell" || tp["limit_price"] != "200" || sl["type"] != "stop" || sl["stop_price"] != "180" {
				t.Fatalf("legs %v / %v", tp, sl)
			}
			h.clock.Advance(0)
			got := h.must(200, "GET", path+"/"+o["id"].(string)+"?nested=true", nil).json(t)
			if got["status"] != "filled" || strings.Join(legStatuses(t, got), ",") != "new,held" {
				t.Fatalf("after entry fill: %v legs %v", got["status"], legStatuses(t, got))
			}
			if flat := h.must(200, "GET", path+"/"+o["id"].(string), nil).json(t); flat["legs"] != nil {
				t.Fatalf("legs without nested: %v", flat["legs"])
			}
			pos := h.must(200, "GET", "/v1/trading/accounts/"+acct+"/positions/AAPL", nil).json(t)
			if pos["qty"] != "10" || pos["qty_available"] != "0" {
				t.Fatalf("position %v available %v: the exits must hold it once", pos["qty"], pos["qty_available"])
			}
			if open := h.must(200, "GET", path, nil).list(t); len(open) != 2 {
				t.Fatalf("open orders %d, want the 2 legs", len(open))
			}
			if nested := h.must(200, "GET", path+"?status=all&nested=true", nil).list(t); len(nested) != 1 || len(legStatuses(t, nested[0])) != 2 {
				t.Fatalf("nested list %v", nested)
			}
			if err := h.em.SetPrice("AAPL", tc.price); err != nil {
				t.Fatal(err)
			}
			got = h.must(200, "GET", path+"/"+o["id"].(string)+"?nested=true", nil).json(t)
			want := []string{"canceled", "canceled"}
			want[tc.filled] = "filled"
			if strings.Join(legStatuses(t, got), ",") != strings.Join(want, ",") {
				t.Fatalf("after %s: legs %v, want %v", tc.price, legStatuses(t, got), want)
			}
			if p := got["legs"].([]any)[tc.filled].(map[string]any)["filled_avg_price"]; p != tc.wantFilled {
				t.Fatalf("exit filled at %v", p)
			}
			if c := h.cash(acct); c != tc.wantCash {
				t.Fatalf("cash %s, want %s", c, tc.wantCash)
			}
			h.must(404, "GET", "/v1/trading/accounts/"+acct+"/positions/AAPL", nil)
		})
	}
}

// TestBracketCancelCascades: canceling an unfilled entry cancels its legs
// and releases the cash it held.
func TestBracketCancelCascades(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	h.fund(acct, "5000")
	path := "/v1/trading/accounts/" + acct + "/orders"
	b := bracket("bracket", "buy", "limit", "200", "150")
	b["limit_price"] = "160"
	o := h.must(200, "POST", path, b).json(t)
	h.clock.Advance(0)
	if ta := h.must(200, "GET", "/v1/trading/accounts/"+acct+"/account", nil).json(t); ta["buying_power"] != "3400" {
		t.Fatalf("buying power %v, want 5000 - 10 x 160", ta["buying_power"])
	}
	h.must(204, "DELETE", path+"/"+o["id"].(string), nil)
	got := h.must(200, "GET", path+"/"+o["id"].(string)+"?nested=true", nil).json(t)
	if got["status"] != "canceled" || strings.Join(legStatuses(t, got), ",") != "canceled,canceled" {
		t.Fatalf("after cancel: %v legs %v", got["status"], legStatuses(t, got))
	}
	if ta := h.must(200, "GET", "/v1/trading/accounts/"+acct+"/account", nil).json(t); ta["buying_power"] != "5000" {
		t.Fatalf("buying power %v after cancel", ta["buying_power"])
	}
}

// TestOCOAndOTO: an OCO's take-profit parent and stop-loss leg work at
// once; an OTO's lone leg turns new when the entry fills; canceling a leg
// leaves the filled entry alone.
func TestOCOAndOTO(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	h.fund(acct, "10000")
	path := "/v1/trading/accounts/" + acct + "/orders"
	h.must(200, "POST", path, mkt("AAPL", "buy", "10"))
	h.clock.Advance(0)
	oco := h.must(200, "POST", path, bracket("oco", "sell", "limit", "200", "180")).json(t)
	h.clock.Advance(0)
	if oco["limit_price"] != "200" || oco["type"] != "limit" || strings.Join(legStatuses(t, oco), ",") != "held" {
		t.Fatalf("oco %v legs %v", oco, legStatuses(t, oco))
	}
	r := h.must(403, "POST", path, mkt("AAPL", "sell", "1")).json(t)
	if r["available"] != "0" {
		t.Fatalf("the oco must hold the shares: %v", r)
	}
	if err := h.em.SetPrice("AAPL", "179.5"); err != nil {
		t.Fatal(err)
	}
	got := h.must(200, "GET", path+"/"+oco["id"].(string)+"?nested=true", nil).json(t)
	if got["status"] != "canceled" || strings.Join(legStatuses(t, got), ",") != "filled" {
		t.Fatalf("oco after the stop: %v legs %v", got["status"], legStatuses(t, got))
	}

	oto := bracket("oto", "buy", "market", "", "170")
	oto["qty"] = "2"
	o := h.must(200, "POST", path, oto).json(t)
	h.clock.Advance(0)
	got = h.must(200, "GET", path+"/"+o["id"].(string)+"?nested=true", nil).json(t)
	if got["status"] != "filled" || strings.Join(legStatuses(t, got), ",") != "new" {
		t.Fatalf("oto: %v legs %v", got["status"], legStatuses(t, got))
	}
	leg := got["legs"].([]any)[0].(map[string]any)
	if leg["qty"] != "2" || leg["order_class"] != "oto" {
		t.Fatalf("oto leg %v", leg)
	}
	h.must(204, "DELETE", path+"/"+leg["id"].(string), nil)
	got = h.must(200, "GET", path+"/"+o["id"].(string)+"?nested=true", nil).json(t)
	if got["status"] != "filled" || strings.Join(legStatuses(t, got), ",") != "canceled" {
		t.Fatalf("oto after leg cancel: %v legs %v", got["status"], legStatuses(t, got))
	}
	if h.must(422, "PATCH", path+"/"+leg["id"].(string), map[string]any{"stop_price": "160"}).Status != 422 {
		t.Fatal("unreachable")
	}
}

// TestReplaceBracketLeg: a leg's price can be replaced; the new order
// takes its place in the group and keeps the hold.
func TestReplaceBracketLeg(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	h.fund(acct, "10000")
	path := "/v1/trading/accounts/" + acct + "/orders"
	o := h.must(200, "POST", path, bracket("bracket", "buy", "market", "200", "180")).json(t)
	h.clock.Advance(0)
	tp := o["legs"].([]any)[0].(map[string]any)["id"].(string)
	h.must(422, "PATCH", path+"/"+o["id"].(string), map[string]any{"limit_price": "190"})
	h.must(422, "PATCH", path+"/"+tp, map[string]any{"qty": "5"})
	n := h.must(200, "PATCH", path+"/"+tp, map[string]any{"limit_price": "210"}).json(t)
	if n["replaces"] != tp || n["limit_price"] != "210" || n["status"] != "new" {
		t.Fatalf("replacement %v", n)
	}
	got := h.must(200, "GET", path+"/"+o["id"].(string)+"?nested=true", nil).json(t)
	if id := got["legs"].([]any)[0].(map[string]any)["id"]; id != n["id"] {
		t.Fatalf("parent's first leg %v, want the replacement %v", id, n["id"])
	}
	if old := h.must(200, "GET", path+"/"+tp, nil).json(t); old["status"] != "replaced" || old["replaced_by"] != n["id"] {
		t.Fatalf("old leg %v", old)
	}
	if pos := h.must(200, "GET", "/v1/trading/accounts/"+acct+"/positions/AAPL", nil).json(t); pos["qty_available"] != "0" {
		t.Fatalf("hold lost in the replace: %v", pos)
	}
	if err := h.em.SetPrice("AAPL", "205"); err != nil {
		t.Fatal(err)
	}
	if s := h.must(200, "GET", path+"/"+n["id"].(string), nil).json(t)["status"]; s != "new" {
		t.Fatalf("replacement at 205 is %v, want still new (limit 210)", s)
	}
}

// TestTrailingStop: the stop follows the high-water mark and triggers
// when the price falls through it.
func TestTrailingStop(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	h.fund(acct, "10000")
	path := "/v1/trading/accounts/" + acct + "/orders"
	h.must(200, "POST", path, mkt("AAPL", "buy", "10"))
	h.clock.Advance(0)
	o := h.must(200, "POST", path, map[string]any{"symbol": "AAPL", "qty": "10", "side": "sell", "type": "trailing_stop",
		"trail_price": "5", "time_in_force": "gtc"}).json(t)
	if o["trail_price"] != "5" || o["trail_percent"] != nil || o["hwm"] != "189.5" || o["stop_price"] != "184.5" {
		t.Fatalf("trailing stop %v", o)
	}
	id := o["id"].(string)
	for _, step := range []struct{ price, hwm, stop, status string }{
		{"200", "200", "195", "new"},
		{"196", "200", "195", "new"},
		{"194.9", "200", "195", "filled"},
	} {
		if err := h.em.SetPrice("AAPL", step.price); err != nil {
			t.Fatal(err)
		}
		got := h.must(200, "GET", path+"/"+id, nil).json(t)
		if got["hwm"] != step.hwm || got["stop_price"] != step.stop || got["status"] != step.status {
			t.Fatalf("at %s: hwm %v stop %v status %v", step.price, got["hwm"], got["stop_price"], got["status"])
		}
	}
	pct := h.must(200, "POST", path, map[string]any{"symbol": "AAPL", "qty": "1", "side": "buy", "type": "trailing_stop",
		"trail_percent": "10", "time_in_force": "day"}).json(t)
	if pct["trail_percent"] != "10" || pct["hwm"] != "194.9" || pct["stop_price"] != "214.39" {
		t.Fatalf("percent trailing stop %v", pct)
	}
	n := h.must(200, "PATCH", path+"/"+pct["id"].(string), map[string]any{"trail": "5"}).json(t)
	if n["trail_percent"] != "5" || n["trail_price"] != nil {
		t.Fatalf("replaced trail %v", n)
	}
}

// TestOrderGroupsSurviveRestart: a bracket saved with --data mid-flight
// keeps its legs and resumes its lifecycle after loading.
func TestOrderGroupsSurviveRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "emulator.json")
	clock := NewFakeClock(testStart)
	em, err := New(Options{Clock: clock, DataFile: file, Speed: SpeedRealistic})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, em: em, clock: clock}
	path := "/v1/trading/accounts/" + DefaultFirmAccountID + "/orders"
	id := h.must(200, "POST", path, bracket("bracket", "buy", "market", "200", "180")).json(t)["id"].(string)
	if err := em.Close(); err != nil {
		t.Fatal(err)
	}
	em2, err := New(Options{Clock: clock, DataFile: file, Speed: SpeedRealistic})
	if err != nil {
		t.Fatal(err)
	}
	defer em2.Close()
	h2 := &harness{t: t, em: em2, clock: clock}
	clock.Advance(time.Second)
	got := h2.must(200, "GET", path+"/"+id+"?nested=true", nil).json(t)
	if got["status"] != "filled" || strings.Join(legStatuses(t, got), ",") != "new,held" {
		t.Fatalf("reloaded bracket: %v legs %v", got["status"], legStatuses(t, got))
	}
	if err := em2.SetPrice("AAPL", "200"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	got = h2.must(200, "GET", path+"/"+id+"?nested=true", nil).json(t)
	if strings.Join(legStatuses(t, got), ",") != "filled,canceled" {
		t.Fatalf("reloaded bracket after the take-profit: legs %v", legStatuses(t, got))
	}
	if err := em2.SetPrice("NOPE", "1"); err == nil {
		t.Fatal("SetPrice accepted an unknown symbol")
	}
	if err := em2.SetPrice("AAPL", "-1"); err == nil {
		t.Fatal("SetPrice accepted a negative price")
	}
}

// TestCancelAllReportsLegs: cancel-all lists every order of a group.
func TestCancelAllReportsLegs(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	h.fund(acct, "5000")
	path := "/v1/trading/accounts/" + acct + "/orders"
	b := bracket("bracket", "buy", "limit", "200", "150")
	b["limit_price"] = "160"
	h.must(200, "POST", path, b)
	h.clock.Advance(0)
	if res := h.must(207, "DELETE", path, nil).list(t); len(res) != 3 {
		t.Fatalf("cancel-all reported %d orders, want the entry and its two legs", len(res))
	}
	if open := h.must(200, "GET", path, nil).list(t); len(open) != 0 {
		t.Fatalf("%d orders still open", len(open))
	}
}

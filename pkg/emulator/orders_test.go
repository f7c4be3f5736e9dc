package emulator

import (
	"testing"
	"time"
)

func mkt(sym, side, qty string) map[string]any {
	return map[string]any{"symbol": sym, "qty": qty, "side": side, "type": "market", "time_in_force": "day"}
}

func TestMarketOrderFillsAndMovesCash(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Speed = SpeedRealistic })
	acct := h.must(200, "POST", "/v1/accounts", accountBody("", "")).json(t)["id"].(string)
	h.clock.Advance(3 * time.Second)
	h.must(200, "POST", "/v1/journals", jnlc(DefaultFirmAccountID, acct, "1000"))
	h.clock.Advance(time.Second)
	path := "/v1/trading/accounts/" + acct + "/orders"
	o := h.must(200, "POST", path, map[string]any{"symbol": "AAPL", "qty": 2, "side": "buy", "type": "market",
		"time_in_force": "day", "client_order_id": "my-1"}).json(t)
	if o["status"] != "accepted" || o["qty"] != "2" || o["filled_qty"] != "0" || o["filled_avg_price"] != nil || o["order_class"] != "" {
		t.Fatalf("create %v", o)
	}
	ta := h.must(200, "GET", "/v1/trading/accounts/"+acct+"/account", nil).json(t)
	if ta["buying_power"] != "621" || ta["cash"] != "1000" {
		t.Fatalf("buying power while open %v cash %v", ta["buying_power"], ta["cash"])
	}
	h.clock.Advance(100 * time.Millisecond)
	if s := h.must(200, "GET", path+"/"+o["id"].(string), nil).json(t)["status"]; s != "new" {
		t.Fatalf("after route %v", s)
	}
	h.clock.Advance(400 * time.Millisecond)
	got := h.must(200, "GET", path+":by_client_order_id?client_order_id=my-1", nil).json(t)
	if got["status"] != "filled" || got["filled_avg_price"] != "189.5" || got["filled_qty"] != "2" {
		t.Fatalf("filled %v", got)
	}
	if c := h.cash(acct); c != "621" {
		t.Fatalf("cash %s", c)
	}
	pos := h.must(200, "GET", "/v1/trading/accounts/"+acct+"/positions", nil).list(t)
	if len(pos) != 1 || pos[0]["qty"] != "2" || pos[0]["market_value"] != "379" {
		t.Fatalf("positions %v", pos)
	}
	// Duplicate client_order_id.
	dup := h.must(422, "POST", path, map[string]any{"symbol": "AAPL", "qty": "1", "side": "buy", "type": "market",
		"time_in_force": "day", "client_order_id": "my-1"}).json(t)
	if dup["code"] != float64(40010001) || dup["message"] != "client_order_id must be unique" {
		t.Fatalf("dup %v", dup)
	}
	// Cancel a filled order: 422.
	h.must(422, "DELETE", path+"/"+o["id"].(string), nil)
	// Buying power.
	h.must(403, "POST", path, mkt("AAPL", "buy", "100"))
	// Selling more than held.
	r := h.must(403, "POST", path, mkt("AAPL", "sell", "3")).json(t)
	if r["message"] != "insufficient qty available for order (requested: 3, available: 2)" || r["existing_qty"] != "2" {
		t.Fatalf("sell 403 %v", r)
	}
	h.must(403, "POST", path, mkt("MSFT", "sell", "1")) // no shorting
	h.must(422, "POST", path, mkt("NOPE", "buy", "1"))
	h.must(422, "POST", path, map[string]any{"symbol": "AAPL", "qty": "1", "notional": "10", "side": "buy", "type": "market", "time_in_force": "day"})
	// Close the position with a market sell.
	cl := h.must(200, "DELETE", "/v1/trading/accounts/"+acct+"/positions/AAPL", nil).json(t)
	if cl["side"] != "sell" || cl["qty"] != "2" {
		t.Fatalf("close %v", cl)
	}
	h.clock.Advance(time.Second)
	if c := h.cash(acct); c != "1000" {
		t.Fatalf("cash after close %s", c)
	}
	h.must(404, "GET", "/v1/trading/accounts/"+acct+"/positions/AAPL", nil)
}

func TestLimitOrdersRestAndCancel(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	h.fund(acct, "5000")
	path := "/v1/trading/accounts/" + acct + "/orders"
	rest := h.must(200, "POST", path, map[string]any{"symbol": "MSFT", "qty": "1", "side": "buy", "type": "limit",
		"limit_price": "400", "time_in_force": "gtc"}).json(t)
	fill := h.must(200, "POST", path, map[string]any{"symbol": "MSFT", "qty": "1", "side": "buy", "type": "limit",
		"limit_price": "420", "time_in_force": "gtc"}).json(t)
	day := h.must(200, "POST", path, map[string]any{"symbol": "TSLA", "qty": "1", "side": "buy", "type": "limit",
		"limit_price": "100", "time_in_force": "day"}).json(t)
	h.clock.Advance(time.Second)
	get := func(id any) any { return h.must(200, "GET", path+"/"+id.(string), nil).json(t)["status"] }
	if get(rest["id"]) != "new" || get(fill["id"]) != "filled" {
		t.Fatalf("rest %v fill %v", get(rest["id"]), get(fill["id"]))
	}
	if bp := h.must(200, "GET", "/v1/trading/accounts/"+acct+"/account", nil).json(t)["buying_power"]; bp != "4084.8" {
		t.Fatalf("buying power %v", bp)
	}
	open := h.must(200, "GET", path, nil).list(t)
	if len(open) != 2 {
		t.Fatalf("open orders %d", len(open))
	}
	h.must(204, "DELETE", path+"/"+rest["id"].(string), nil)
	if get(rest["id"]) != "canceled" {
		t.Fatal("not canceled")
	}
	h.clock.Advance(7 * time.Hour) // past 21:00 UTC
	if get(day["id"]) != "expired" {
		t.Fatalf("day order %v", get(day["id"]))
	}
	if c := h.cash(acct); c != "4584.8" {
		t.Fatalf("cash %s", c)
	}
	closed := h.must(200, "GET", path+"?status=closed&direction=asc", nil).list(t)
	if len(closed) != 3 || closed[0]["id"] != rest["id"] {
		t.Fatalf("closed %d", len(closed))
	}
	all := h.must(200, "GET", path+"?status=all&limit=1", nil).list(t)
	if len(all) != 1 || all[0]["id"] != day["id"] {
		t.Fatal("limit/desc")
	}
}

func TestCancelAllOrders207(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	h.fund(acct, "1000")
	path := "/v1/trading/accounts/" + acct + "/orders"
	for _, p := range []string{"1", "2"} {
		h.must(200, "POST", path, map[string]any{"symbol": "F", "qty": p, "side": "buy", "type": "limit",
			"limit_price": "10", "time_in_force": "gtc"})
	}
	res := h.must(207, "DELETE", path, nil).list(t)
	if len(res) != 2 || res[0]["status"] != float64(200) {
		t.Fatalf("207 %v", res)
	}
	if bp := h.must(200, "GET", "/v1/trading/accounts/"+acct+"/account", nil).json(t)["buying_power"]; bp != "1000" {
		t.Fatalf("buying power after cancel-all %v", bp)
	}
}

func TestReplaceOrder(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	h.fund(acct, "1000")
	path := "/v1/trading/accounts/" + acct + "/orders"
	old := h.must(200, "POST", path, map[string]any{"symbol": "MSFT", "qty": "2", "side": "buy", "type": "limit",
		"limit_price": "400", "time_in_force": "gtc"}).json(t)
	h.clock.Advance(0)
	h.must(403, "PATCH", path+"/"+old["id"].(string), map[string]any{"qty": "3"}) // 3 × 400 > 1000
	if bp := h.must(200, "GET", "/v1/trading/accounts/"+acct+"/account", nil).json(t)["buying_power"]; bp != "200" {
		t.Fatalf("hold not restored after a failed replace: %v", bp)
	}
	nu := h.must(200, "PATCH", path+"/"+old["id"].(string), map[string]any{"limit_price": "420"}).json(t)
	if nu["id"] == old["id"] || nu["replaces"] != old["id"] {
		t.Fatalf("replacement %v", nu)
	}
	h.clock.Advance(0)
	was := h.must(200, "GET", path+"/"+old["id"].(string), nil).json(t)
	if was["status"] != "replaced" || was["replaced_by"] != nu["id"] {
		t.Fatalf("old %v", was)
	}
	if s := h.must(200, "GET", path+"/"+nu["id"].(string), nil).json(t)["status"]; s != "filled" {
		t.Fatalf("new %v", s)
	}
	if c := h.cash(acct); c != "169.6" {
		t.Fatalf("cash %s", c)
	}
	h.must(422, "PATCH", path+"/"+nu["id"].(string), map[string]any{"qty": "1"}) // filled
}

func TestListOrdersWindowIsExclusive(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	h.fund(acct, "1000")
	path := "/v1/trading/accounts/" + acct + "/orders"
	var times []string
	for range 3 {
		o := h.must(200, "POST", path, mkt("F", "buy", "1")).json(t)
		times = append(times, o["submitted_at"].(string))
		h.clock.Advance(time.Minute)
	}
	got := h.must(200, "GET", path+"?status=all&after="+times[0]+"&until="+times[2], nil).list(t)
	if len(got) != 1 || got[0]["submitted_at"] != times[1] {
		t.Fatalf("exclusive window: %d orders", len(got))
	}
	h.must(400, "GET", path+"?limit=abc", nil)
	if n := len(h.must(200, "GET", path+"?status=all&limit=9999", nil).list(t)); n != 3 {
		t.Fatalf("limit capped list: %d", n)
	}
}

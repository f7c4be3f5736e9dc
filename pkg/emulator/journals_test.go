package emulator

import (
	"testing"
	"time"
)

func jnlc(from, to, amount string) map[string]any {
	return map[string]any{"from_account": from, "to_account": to, "entry_type": "JNLC", "amount": amount}
}

func TestJournalCashLifecycleAndRules(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Speed = SpeedRealistic })
	acct := h.must(200, "POST", "/v1/accounts", accountBody("", "")).json(t)["id"].(string)
	other := h.must(200, "POST", "/v1/accounts", accountBody("", "")).json(t)["id"].(string)
	h.clock.Advance(3 * time.Second)
	j := h.must(200, "POST", "/v1/journals", jnlc(DefaultFirmAccountID, acct, "115.5")).json(t)
	if j["status"] != "queued" || j["net_amount"] != "115.5" || j["settle_date"] != nil {
		t.Fatalf("create %v", j)
	}
	id := j["id"].(string)
	h.clock.Advance(200 * time.Millisecond)
	if s := h.must(200, "GET", "/v1/journals/"+id, nil).json(t)["status"]; s != "sent_to_clearing" {
		t.Fatalf("status %v", s)
	}
	if c := h.cash(acct); c != "0" {
		t.Fatalf("cash moved before executed: %s", c)
	}
	h.clock.Advance(200 * time.Millisecond)
	got := h.must(200, "GET", "/v1/journals/"+id, nil).json(t)
	if got["status"] != "executed" || got["settle_date"] != "2026-03-04" || h.cash(acct) != "115.5" {
		t.Fatalf("executed %v cash %s", got, h.cash(acct))
	}
	if c := h.cash(DefaultFirmAccountID); c != "49884.5" {
		t.Fatalf("firm cash %s", c)
	}
	// Customer to customer is refused; customer to firm is fine.
	h.must(403, "POST", "/v1/journals", jnlc(acct, other, "1"))
	h.must(200, "POST", "/v1/journals", jnlc(acct, DefaultFirmAccountID, "15.5"))
	// Funds are checked.
	r := h.must(403, "POST", "/v1/journals", jnlc(acct, DefaultFirmAccountID, "1000")).json(t)
	if r["code"] != float64(40310000) {
		t.Fatalf("code %v", r["code"])
	}
	// Validation comes from broker.JournalCreateRequest.Validate.
	h.must(422, "POST", "/v1/journals", map[string]any{"from_account": DefaultFirmAccountID, "to_account": acct,
		"entry_type": "JNLC", "amount": "1", "symbol": "AAPL"})
	h.must(404, "POST", "/v1/journals", jnlc(DefaultFirmAccountID, "3f1b0c52-1f0e-4bde-9a7c-aaaaaaaaaaaa", "1"))
}

func TestJournalLimitPendingAndDelete(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.JournalLimit = "50" })
	acct := h.activeAccount()
	big := h.must(200, "POST", "/v1/journals", jnlc(DefaultFirmAccountID, acct, "51")).json(t)["id"].(string)
	h.clock.Advance(0)
	if s := h.must(200, "GET", "/v1/journals/"+big, nil).json(t)["status"]; s != "pending" {
		t.Fatalf("above limit: %v", s)
	}
	small := h.must(200, "POST", "/v1/journals", jnlc(DefaultFirmAccountID, acct, "50")).json(t)["id"].(string)
	h.clock.Advance(0)
	r := h.must(422, "DELETE", "/v1/journals/"+small, nil).json(t)
	if r["message"] != "The journal is not in the pending status." {
		t.Fatalf("message %v", r["message"])
	}
	h.must(204, "DELETE", "/v1/journals/"+big, nil)
	if s := h.must(200, "GET", "/v1/journals/"+big, nil).json(t)["status"]; s != "deleted" {
		t.Fatalf("deleted: %v", s)
	}
	// A second pending journal executes at the simulated end of day.
	eod := h.must(200, "POST", "/v1/journals", jnlc(DefaultFirmAccountID, acct, "60")).json(t)["id"].(string)
	h.clock.Advance(6 * time.Hour) // 14:30 → 20:30 UTC
	if s := h.must(200, "GET", "/v1/journals/"+eod, nil).json(t)["status"]; s != "pending" {
		t.Fatalf("before EOD: %v", s)
	}
	h.clock.Advance(time.Hour)
	if s := h.must(200, "GET", "/v1/journals/"+eod, nil).json(t)["status"]; s != "executed" {
		t.Fatalf("after EOD: %v", s)
	}
	if c := h.cash(acct); c != "110" {
		t.Fatalf("cash %s", c)
	}
}

func TestJournalFixtures(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	mk := func(desc string) string {
		b := jnlc(DefaultFirmAccountID, acct, "5")
		b["description"] = desc
		return h.must(200, "POST", "/v1/journals", b).json(t)["id"].(string)
	}
	rej, pend := mk("/fixtures/status=rejected/fixtures/"), mk("/fixtures/status=pending/fixtures/")
	h.clock.Advance(48 * time.Hour)
	if s := h.must(200, "GET", "/v1/journals/"+rej, nil).json(t)["status"]; s != "rejected" {
		t.Fatalf("rejected fixture: %v", s)
	}
	if s := h.must(200, "GET", "/v1/journals/"+pend, nil).json(t)["status"]; s != "pending" {
		t.Fatalf("pending fixture: %v", s)
	}
	if c := h.cash(acct); c != "0" {
		t.Fatalf("cash %s", c)
	}
	if c := h.cash(DefaultFirmAccountID); c != "50000" {
		t.Fatalf("firm cash %s (reservations must not leak)", c)
	}
}

func TestJournalIdempotencyKey(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	body := `{"from_account":"` + DefaultFirmAccountID + `","to_account":"` + acct + `","entry_type":"JNLC","amount":"10"}`
	// Same key, same body (different key order and spacing): the original response.
	first := h.must(200, "POST", "/v1/journals", body, "Idempotency-Key", "k-1")
	h.clock.Advance(0)
	reordered := `{ "amount": "10", "entry_type": "JNLC", "to_account": "` + acct + `", "from_account": "` + DefaultFirmAccountID + `" }`
	second := h.must(200, "POST", "/v1/journals", reordered, "Idempotency-Key", "k-1")
	if string(first.Body) != string(second.Body) {
		t.Fatalf("replay differs:\n%s\n%s", first.Body, second.Body)
	}
	// Same key, different body: 422.
	h.must(422, "POST", "/v1/journals", jnlc(DefaultFirmAccountID, acct, "11"), "Idempotency-Key", "k-1")
	if n := h.em.Stats().Created["journal"]; n != 1 {
		t.Fatalf("journals created %d, want 1", n)
	}
	if c := h.cash(acct); c != "10" {
		t.Fatalf("cash %s", c)
	}
	// A key used for a single journal cannot be reused for a batch.
	h.must(422, "POST", "/v1/journals/batch", map[string]any{"entry_type": "JNLC", "from_account": DefaultFirmAccountID,
		"entries": []map[string]any{{"to_account": acct, "amount": "1"}}}, "Idempotency-Key", "k-1")
	// Without a key, each request creates a journal.
	h.must(200, "POST", "/v1/journals", body)
	h.must(200, "POST", "/v1/journals", body)
	if n := h.em.Stats().Created["journal"]; n != 3 {
		t.Fatalf("journals created %d, want 3", n)
	}
}

func TestBatchJournal(t *testing.T) {
	h := newHarness(t, nil)
	a, b := h.activeAccount(), h.activeAccount()
	closed := h.activeAccount()
	h.must(204, "POST", "/v1/accounts/"+closed+"/actions/close", nil)
	batch := map[string]any{"entry_type": "JNLC", "from_account": DefaultFirmAccountID, "entries": []map[string]any{
		{"to_account": a, "amount": "10"}, {"to_account": b, "amount": 100}, {"to_account": closed, "amount": "5"}}}
	res := h.must(200, "POST", "/v1/journals/batch", batch, "Idempotency-Key", "batch-1").list(t)
	if len(res) != 3 || res[0]["error_message"] != "" || res[2]["status"] != "refused" || res[2]["error_message"] == "" {
		t.Fatalf("batch %v", res)
	}
	again := h.must(200, "POST", "/v1/journals/batch", batch, "Idempotency-Key", "batch-1").list(t)
	if again[0]["id"] != res[0]["id"] {
		t.Fatal("batch replay created new journals")
	}
	h.clock.Advance(0)
	if h.cash(a) != "10" || h.cash(b) != "100" {
		t.Fatalf("cash a=%s b=%s", h.cash(a), h.cash(b))
	}
	// One unknown account cancels the whole batch.
	bad := map[string]any{"entry_type": "JNLC", "from_account": DefaultFirmAccountID, "entries": []map[string]any{
		{"to_account": a, "amount": "1"}, {"to_account": "3f1b0c52-1f0e-4bde-9a7c-aaaaaaaaaaaa", "amount": "1"}}}
	h.must(404, "POST", "/v1/journals/batch", bad)
	h.clock.Advance(0)
	if h.cash(a) != "10" {
		t.Fatalf("partial batch applied: %s", h.cash(a))
	}
	// Reverse batch: customers back to the firm.
	rev := map[string]any{"entry_type": "JNLC", "to_account": DefaultFirmAccountID, "entries": []map[string]any{
		{"from_account": a, "amount": "10"}, {"from_account": b, "amount": "50"}}}
	out := h.must(200, "POST", "/v1/journals/reverse_batch", rev).list(t)
	if out[0]["status"] != "queued" {
		t.Fatalf("reverse %v", out[0])
	}
	h.clock.Advance(0)
	if h.cash(a) != "0" || h.cash(b) != "50" {
		t.Fatalf("after reverse a=%s b=%s", h.cash(a), h.cash(b))
	}
	rev["entries"] = []map[string]any{{"from_account": a, "amount": "1"}}
	h.must(403, "POST", "/v1/journals/reverse_batch", rev)
	list := h.must(200, "GET", "/v1/journals?entry_type=JNLC&to_account="+b+"&limit=5", nil).list(t)
	if len(list) != 1 {
		t.Fatalf("list %d", len(list))
	}
}

func TestJournalSecurities(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	jnls := map[string]any{"from_account": DefaultFirmAccountID, "to_account": acct, "entry_type": "JNLS", "symbol": "AAPL", "qty": "2"}
	h.must(403, "POST", "/v1/journals", jnls) // the firm holds no AAPL yet
	h.must(200, "POST", "/v1/trading/accounts/"+DefaultFirmAccountID+"/orders",
		map[string]any{"symbol": "AAPL", "qty": "5", "side": "buy", "type": "market", "time_in_force": "day"})
	h.clock.Advance(0)
	j := h.must(200, "POST", "/v1/journals", jnls).json(t)
	if j["price"] != "189.5" || j["qty"] != "2" {
		t.Fatalf("jnls %v", j)
	}
	h.clock.Advance(0)
	pos := h.must(200, "GET", "/v1/trading/accounts/"+acct+"/positions/AAPL", nil).json(t)
	if pos["qty"] != "2" {
		t.Fatalf("position %v", pos)
	}
	// JNLS only goes firm → customer.
	back := map[string]any{"from_account": acct, "to_account": DefaultFirmAccountID, "entry_type": "JNLS", "symbol": "AAPL", "qty": "1"}
	h.must(403, "POST", "/v1/journals", back)
}

package emulator

import (
	"testing"
	"time"
)

func achBody() map[string]any {
	return map[string]any{"account_owner_name": "John Doe", "bank_account_type": "CHECKING",
		"bank_account_number": "123456789abc", "bank_routing_number": "121000358", "nickname": "Checking"}
}

func TestACHRelationshipLifecycle(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Speed = SpeedRealistic })
	acct := h.must(200, "POST", "/v1/accounts", accountBody("", "")).json(t)["id"].(string)
	base := "/v1/accounts/" + acct + "/ach_relationships"
	rel := h.must(200, "POST", base, achBody()).json(t)
	if rel["status"] != "QUEUED" {
		t.Fatalf("status %v", rel["status"])
	}
	h.must(409, "POST", base, achBody())
	h.clock.Advance(59 * time.Second)
	if s := h.must(200, "GET", base, nil).list(t)[0]["status"]; s != "QUEUED" {
		t.Fatalf("after 59s %v", s)
	}
	h.clock.Advance(time.Second)
	if s := h.must(200, "GET", base+"?statuses=APPROVED", nil).list(t); len(s) != 1 {
		t.Fatalf("approved filter: %d", len(s))
	}
	h.must(204, "DELETE", base+"/"+rel["id"].(string), nil)
	if s := h.must(200, "GET", base, nil).list(t)[0]["status"]; s != "CANCELED" {
		t.Fatalf("after delete %v", s)
	}
	h.must(404, "DELETE", base+"/"+rel["id"].(string), nil)
	// A new relationship is allowed once the old one is canceled.
	h.must(200, "POST", base, achBody())
	bad := achBody()
	bad["bank_account_type"] = "BROKERAGE"
	h.must(422, "POST", base, bad)
}

func TestTransferMatrix(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	rel := h.must(200, "POST", "/v1/accounts/"+acct+"/ach_relationships", achBody()).json(t)["id"].(string)
	path := "/v1/accounts/" + acct + "/transfers"
	cases := []struct {
		body map[string]any
		msg  string
	}{
		{map[string]any{"transfer_type": "check", "relationship_id": rel, "amount": "1", "direction": "INCOMING"}, "transfer_type must be either ach or wire"},
		{map[string]any{"transfer_type": "ach", "relationship_id": rel, "amount": "1", "direction": "SIDEWAYS"}, "direction must be either incoming or outgoing"},
		{map[string]any{"transfer_type": "ach", "relationship_id": rel, "amount": "0", "direction": "INCOMING"}, "amount must be greater than 0.00"},
		{map[string]any{"transfer_type": "ach", "relationship_id": rel, "bank_id": rel, "amount": "1", "direction": "INCOMING"}, "bank_id should be empty for ach transfer"},
		{map[string]any{"transfer_type": "ach", "relationship_id": rel, "amount": "1", "direction": "INCOMING", "additional_information": "hello"}, "only wire transfer type can provide additional information for the transfer"},
		{map[string]any{"transfer_type": "ach", "relationship_id": "8f8c8cee-2591-4f83-be12-000000000000", "amount": "1", "direction": "INCOMING"}, "invalid relationship_id"},
		{map[string]any{"transfer_type": "wire", "bank_id": rel, "amount": "1", "direction": "INCOMING"}, "cannot submit incoming wire transfer using this API"},
		{map[string]any{"transfer_type": "wire", "amount": "1", "direction": "OUTGOING"}, "bank_id required for wire transfer"},
		{map[string]any{"transfer_type": "wire", "relationship_id": rel, "bank_id": rel, "amount": "1", "direction": "OUTGOING"}, "relationship_id should be empty for wire transfer"},
	}
	for _, c := range cases {
		got := h.must(422, "POST", path, c.body).json(t)
		if got["message"] != c.msg || got["code"] != float64(40010001) {
			t.Errorf("%v: got %v", c.body, got)
		}
	}
}

func TestACHTransferMovesCashAtComplete(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Speed = SpeedRealistic })
	acct := h.must(200, "POST", "/v1/accounts", accountBody("", "")).json(t)["id"].(string)
	h.clock.Advance(3 * time.Second)
	rel := h.must(200, "POST", "/v1/accounts/"+acct+"/ach_relationships", achBody()).json(t)["id"].(string)
	path := "/v1/accounts/" + acct + "/transfers"
	// Accepted on a QUEUED relationship, but held until it is APPROVED.
	x := h.must(200, "POST", path, map[string]any{"transfer_type": "ach", "relationship_id": rel,
		"amount": 1234.567, "direction": "INCOMING", "timing": "immediate"}).json(t)
	if x["amount"] != "1234.567" || x["status"] != "QUEUED" {
		t.Fatalf("create %v %v", x["amount"], x["status"])
	}
	h.clock.Advance(30 * time.Second)
	if s := h.must(200, "GET", path, nil).list(t)[0]["status"]; s != "QUEUED" {
		t.Fatalf("before relationship approval: %v", s)
	}
	h.clock.Advance(31 * time.Second) // relationship approved at 60s, transfer sent at 61s
	if s := h.must(200, "GET", path, nil).list(t)[0]["status"]; s != "SENT_TO_CLEARING" {
		t.Fatalf("after approval: %v", s)
	}
	if c := h.cash(acct); c != "0" {
		t.Fatalf("cash before COMPLETE %s", c)
	}
	h.clock.Advance(time.Second)
	if s := h.must(200, "GET", path, nil).list(t)[0]["status"]; s != "COMPLETE" {
		t.Fatalf("final: %v", s)
	}
	if c := h.cash(acct); c != "1234.567" {
		t.Fatalf("cash %s", c)
	}
	// Withdrawals need the cash.
	r := h.must(403, "POST", path, map[string]any{"transfer_type": "ach", "relationship_id": rel,
		"amount": "5000", "direction": "OUTGOING"}).json(t)
	if r["code"] != float64(40310000) {
		t.Fatalf("403 code %v", r["code"])
	}
	out := h.must(200, "POST", path, map[string]any{"transfer_type": "ach", "relationship_id": rel,
		"amount": "234.567", "direction": "OUTGOING"}).json(t)
	h.must(204, "DELETE", path+"/"+out["id"].(string), nil)
	h.must(422, "DELETE", path+"/"+x["id"].(string), nil) // COMPLETE is not cancelable
	if c := h.cash(acct); c != "1234.567" {
		t.Fatalf("cash after cancel %s", c)
	}
	// Pagination: limit/offset, newest first.
	page := h.must(200, "GET", path+"?limit=1&offset=1", nil).list(t)
	if len(page) != 1 || page[0]["id"] != x["id"] {
		t.Fatalf("offset page %v", page)
	}
}

func TestTransferFixtureRejected(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	rel := h.must(200, "POST", "/v1/accounts/"+acct+"/ach_relationships", achBody()).json(t)["id"].(string)
	path := "/v1/accounts/" + acct + "/transfers"
	h.must(200, "POST", path, map[string]any{"transfer_type": "ach", "relationship_id": rel, "amount": "10",
		"direction": "INCOMING", "additional_information": "/fixtures/status=REJECTED/fixtures/"})
	h.clock.Advance(time.Hour)
	x := h.must(200, "GET", path, nil).list(t)[0]
	if x["status"] != "REJECTED" || h.cash(acct) != "0" {
		t.Fatalf("status %v cash %s", x["status"], h.cash(acct))
	}
}

func TestBankAndWire(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	h.fund(acct, "500")
	base := "/v1/accounts/" + acct + "/recipient_banks"
	bank := map[string]any{"name": "my bank", "bank_code_type": "ABA", "bank_code": "123456789", "account_number": "123456789abc"}
	b := h.must(200, "POST", base, bank).json(t)
	if b["country"] != "" || b["status"] != "QUEUED" {
		t.Fatalf("bank %v", b)
	}
	h.must(409, "POST", base, bank)
	h.must(200, "POST", "/v1/accounts/"+acct+"/transfers", map[string]any{"transfer_type": "wire",
		"bank_id": b["id"], "amount": "200", "direction": "OUTGOING"})
	h.clock.Advance(time.Hour)
	if c := h.cash(acct); c != "300" {
		t.Fatalf("cash after wire %s", c)
	}
	if l := h.must(200, "GET", base+"?status=ACTIVE", nil).list(t); len(l) != 1 || l[0]["status"] != "APPROVED" {
		t.Fatalf("banks %v", l)
	}
	h.must(204, "DELETE", base+"/"+b["id"].(string), nil)
	intl := map[string]any{"name": "intl", "bank_code_type": "BIC", "bank_code": "DEUTDEFF", "account_number": "DE89"}
	h.must(422, "POST", base, intl)
}

// TestWireWaitsForBusinessDay: a wire created on a Saturday stays QUEUED
// (and cancelable) until Monday opens; on a holiday weekend it waits for
// Tuesday.
func TestWireWaitsForBusinessDay(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	h.fund(acct, "500")
	b := h.must(200, "POST", "/v1/accounts/"+acct+"/recipient_banks", map[string]any{"name": "b", "bank_code_type": "ABA",
		"bank_code": "123456789", "account_number": "123456789abc"}).json(t)
	h.clock.Advance(0)
	xfers := "/v1/accounts/" + acct + "/transfers"
	wire := func() string {
		return h.must(200, "POST", xfers, map[string]any{"transfer_type": "wire", "bank_id": b["id"], "amount": "100",
			"direction": "OUTGOING"}).json(t)["id"].(string)
	}
	status := func(id string) string {
		for _, x := range h.must(200, "GET", xfers, nil).list(t) {
			if x["id"] == id {
				return x["status"].(string)
			}
		}
		t.Fatalf("transfer %s not listed", id)
		return ""
	}
	h.clock.Set(time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)) // Saturday
	sat := wire()
	h.clock.Advance(24 * time.Hour) // Sunday noon
	if s := status(sat); s != "QUEUED" {
		t.Fatalf("weekend wire %s, want QUEUED", s)
	}
	if c := h.cash(acct); c != "500" {
		t.Fatalf("cash moved on a weekend: %s", c)
	}
	h.clock.Set(time.Date(2026, 3, 9, 14, 0, 0, 0, time.UTC)) // Monday opening
	if s := status(sat); s != "COMPLETE" {
		t.Fatalf("Monday wire %s, want COMPLETE", s)
	}
	h.clock.Set(time.Date(2026, 5, 23, 9, 0, 0, 0, time.UTC)) // Saturday before Memorial Day
	fri := wire()
	h.clock.Set(time.Date(2026, 5, 25, 23, 0, 0, 0, time.UTC)) // Memorial Day
	if s := status(fri); s != "QUEUED" {
		t.Fatalf("holiday wire %s, want QUEUED", s)
	}
	h.must(204, "DELETE", xfers+"/"+fri, nil)
	if c := h.cash(acct); c != "400" {
		t.Fatalf("cash after one wire and one cancel: %s", c)
	}
}

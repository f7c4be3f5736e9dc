package emulator

import (
	"testing"
	"time"
)

func TestACHRejectedFixture(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	body := achBody()
	body["nickname"] = "/fixtures/status=REJECTED/fixtures/"
	rel := h.must(200, "POST", "/v1/accounts/"+acct+"/ach_relationships", body).json(t)["id"].(string)
	h.clock.Advance(0)
	if s := h.must(200, "GET", "/v1/accounts/"+acct+"/ach_relationships", nil).list(t)[0]["status"]; s != "REJECTED" {
		t.Fatalf("status %v", s)
	}
	h.must(422, "POST", "/v1/accounts/"+acct+"/transfers", map[string]any{"transfer_type": "ach",
		"relationship_id": rel, "amount": "1", "direction": "INCOMING"})
	// A rejected relationship does not block a new one.
	h.must(200, "POST", "/v1/accounts/"+acct+"/ach_relationships", achBody())
}

func TestApprovalPendingThenActive(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Speed = SpeedRealistic })
	id := h.must(200, "POST", "/v1/accounts", accountBody("carol+approval_pending@example.com", "")).json(t)["id"].(string)
	status := func() any { return h.must(200, "GET", "/v1/accounts/"+id, nil).json(t)["status"] }
	h.clock.Advance(2 * time.Second)
	if s := status(); s != "APPROVAL_PENDING" {
		t.Fatalf("%v", s)
	}
	h.clock.Advance(10*time.Second + 300*time.Millisecond)
	if s := status(); s != "ACTIVE" {
		t.Fatalf("%v", s)
	}
}

func TestTransferReturnedFixture(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	rel := h.must(200, "POST", "/v1/accounts/"+acct+"/ach_relationships", achBody()).json(t)["id"].(string)
	h.clock.Advance(0)
	h.must(200, "POST", "/v1/accounts/"+acct+"/transfers", map[string]any{"transfer_type": "ach", "relationship_id": rel,
		"amount": "75", "direction": "INCOMING", "additional_information": "/fixtures/status=RETURNED/fixtures/"})
	h.clock.Advance(0)
	x := h.must(200, "GET", "/v1/accounts/"+acct+"/transfers", nil).list(t)[0]
	if x["status"] != "RETURNED" || x["reason"] == nil || h.cash(acct) != "0" {
		t.Fatalf("returned %v cash %s", x, h.cash(acct))
	}
}

func TestClosePositionPercentageAndStats(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	h.fund(acct, "2000")
	path := "/v1/trading/accounts/" + acct
	h.must(200, "POST", path+"/orders", mkt("SPY", "buy", "3"))
	h.clock.Advance(0)
	o := h.must(200, "DELETE", path+"/positions/SPY?percentage=50", nil).json(t)
	if o["qty"] != "1.5" {
		t.Fatalf("qty %v", o["qty"])
	}
	h.must(400, "DELETE", path+"/positions/SPY?percentage=150", nil)
	h.clock.Advance(0)
	p := h.must(200, "GET", path+"/positions/SPY", nil).json(t)
	if p["qty"] != "1.5" || p["qty_available"] != "1.5" {
		t.Fatalf("position %v", p)
	}
	st := h.em.Stats()
	if st.Routes["POST /v1/trading/accounts/{account_id}/orders"] != 1 || st.Created["order"] != 2 || st.Created["account"] != 1 {
		t.Fatalf("stats %+v", st)
	}
}

package emulator

import (
	"net/http"
	"testing"
	"time"
)

func TestAccountLifecycleInstant(t *testing.T) {
	h := newHarness(t, nil)
	created := h.must(200, "POST", "/v1/accounts", accountBody("alice@example.com", "")).json(t)
	if created["status"] != "SUBMITTED" || created["account_number"] != nil {
		t.Fatalf("create: status %v account_number %v, want SUBMITTED and null", created["status"], created["account_number"])
	}
	ident := created["identity"].(map[string]any)
	if _, ok := ident["tax_id"]; ok {
		t.Fatal("identity.tax_id must not be echoed")
	}
	id := created["id"].(string)
	h.clock.Advance(0)
	got := h.must(200, "GET", "/v1/accounts/"+id, nil).json(t)
	if got["status"] != "ACTIVE" || got["account_number"] == nil {
		t.Fatalf("after advance: %v / %v", got["status"], got["account_number"])
	}
}

func TestAccountLifecycleRealistic(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Speed = SpeedRealistic })
	id := h.must(200, "POST", "/v1/accounts", accountBody("", "")).json(t)["id"].(string)
	status := func() any { return h.must(200, "GET", "/v1/accounts/"+id, nil).json(t)["status"] }
	h.clock.Advance(time.Second)
	if s := status(); s != "SUBMITTED" {
		t.Fatalf("after 1s: %v", s)
	}
	h.clock.Advance(time.Second)
	if s := status(); s != "APPROVED" {
		t.Fatalf("after 2s: %v", s)
	}
	h.clock.Advance(300 * time.Millisecond)
	if s := status(); s != "ACTIVE" {
		t.Fatalf("after 2.3s: %v", s)
	}
}

func TestAccountFixtures(t *testing.T) {
	cases := []struct {
		name   string
		body   func() map[string]any
		status string
	}{
		{"docs fixture", func() map[string]any {
			b := accountBody("", "")
			b["additional_information"] = "/fixtures/status=REJECTED/fixtures/"
			return b
		}, "REJECTED"},
		{"family name", func() map[string]any { return accountBody("", "Action_Required") }, "ACTION_REQUIRED"},
		{"email tag", func() map[string]any { return accountBody("bob+rejected@example.com", "") }, "REJECTED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil)
			id := h.must(200, "POST", "/v1/accounts", c.body()).json(t)["id"].(string)
			h.clock.Advance(time.Hour)
			got := h.must(200, "GET", "/v1/accounts/"+id, nil).json(t)
			if got["status"] != c.status {
				t.Fatalf("status %v, want %s", got["status"], c.status)
			}
		})
	}
}

func TestAccountActionRequiredResolvedByPatch(t *testing.T) {
	h := newHarness(t, nil)
	id := h.must(200, "POST", "/v1/accounts", accountBody("", "Action_Required")).json(t)["id"].(string)
	h.clock.Advance(0)
	h.must(200, "PATCH", "/v1/accounts/"+id, map[string]any{"contact": map[string]any{"city": "Oakland"}})
	h.clock.Advance(0)
	got := h.must(200, "GET", "/v1/accounts/"+id, nil).json(t)
	if got["status"] != "ACTIVE" || got["contact"].(map[string]any)["city"] != "Oakland" {
		t.Fatalf("after patch: %v %v", got["status"], got["contact"])
	}
	h.must(422, "PATCH", "/v1/accounts/"+id, map[string]any{"status": "ACTIVE"})
}

func TestAccountErrors(t *testing.T) {
	h := newHarness(t, nil)
	h.must(200, "POST", "/v1/accounts", accountBody("dup@example.com", ""))
	r := h.must(409, "POST", "/v1/accounts", accountBody("DUP@example.com", ""))
	if c := r.json(t)["code"]; c != float64(40910000) {
		t.Fatalf("duplicate email code %v", c)
	}
	r = h.must(401, "GET", "/v1/accounts/3f1b0c52-1f0e-4bde-9a7c-aaaaaaaaaaaa", nil)
	if got := string(r.Body); got != `{"code":40110000,"message":"request is not authorized"}` {
		t.Fatalf("unknown account body %s", got)
	}
	bad := accountBody("", "")
	delete(bad["identity"].(map[string]any), "date_of_birth")
	if m := h.must(422, "POST", "/v1/accounts", bad).json(t)["message"]; m != "identity.date_of_birth: required" {
		t.Fatalf("message %v", m)
	}
	h.must(400, "POST", "/v1/accounts", "{not json")
}

func TestAccountCloseAndLegacyDelete(t *testing.T) {
	h := newHarness(t, nil)
	a, b := h.activeAccount(), h.activeAccount()
	h.must(http.StatusNoContent, "POST", "/v1/accounts/"+a+"/actions/close", nil)
	h.must(http.StatusNoContent, "DELETE", "/v1/accounts/"+b, nil)
	for _, id := range []string{a, b} {
		if s := h.must(200, "GET", "/v1/accounts/"+id, nil).json(t)["status"]; s != "ACCOUNT_CLOSED" {
			t.Fatalf("status %v", s)
		}
	}
	h.must(404, "POST", "/v1/accounts/3f1b0c52-1f0e-4bde-9a7c-aaaaaaaaaaaa/actions/close", nil)
}

func TestListAccountsPagination(t *testing.T) {
	h := newHarness(t, nil)
	var ids []string
	for range 5 {
		ids = append(ids, h.must(200, "POST", "/v1/accounts", accountBody("", "")).json(t)["id"].(string))
		h.clock.Advance(time.Second)
	}
	all := h.must(200, "GET", "/v1/accounts?sort=asc", nil).list(t)
	if len(all) != 6 { // plus the firm account
		t.Fatalf("len %d", len(all))
	}
	// created_after/created_before are inclusive.
	from := all[2]["created_at"].(string)
	to := all[4]["created_at"].(string)
	page := h.must(200, "GET", "/v1/accounts?sort=asc&created_after="+from+"&created_before="+to, nil).list(t)
	if len(page) != 3 || page[0]["id"] != ids[1] || page[2]["id"] != ids[3] {
		t.Fatalf("window: %d items", len(page))
	}
	desc := h.must(200, "GET", "/v1/accounts", nil).list(t)
	if desc[0]["id"] != ids[4] {
		t.Fatal("default sort must be desc")
	}
	only := h.must(200, "GET", "/v1/accounts?entities=contact", nil).list(t)
	if only[0]["contact"] == nil || only[0]["identity"] != nil {
		t.Fatal("entities=contact must keep only contact")
	}
	if q := h.must(200, "GET", "/v1/accounts?query=user", nil).list(t); len(q) != 5 {
		t.Fatalf("query matched %d", len(q))
	}
}

func TestListAccountsCappedAt1000(t *testing.T) {
	h := newHarness(t, nil)
	for range 1005 {
		h.must(200, "POST", "/v1/accounts", accountBody("", ""))
	}
	if n := len(h.must(200, "GET", "/v1/accounts?entities=contact", nil).list(t)); n != 1000 {
		t.Fatalf("list returned %d, want the first 1000", n)
	}
}

package emulator

import (
	"strings"
	"testing"
)

func activityTypes(l []map[string]any) string {
	var out []string
	for _, a := range l {
		out = append(out, a["activity_type"].(string)+":"+str(a["net_amount"])+str(a["qty"]))
	}
	return strings.Join(out, ",")
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// TestAccountActivities: journals, transfers and fills leave activities,
// newest first, filterable and paged by token.
func TestAccountActivities(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	h.fund(acct, "1000")
	rel := h.must(200, "POST", "/v1/accounts/"+acct+"/ach_relationships", achBody()).json(t)["id"]
	h.clock.Advance(0)
	xfers := "/v1/accounts/" + acct + "/transfers"
	h.must(200, "POST", xfers, map[string]any{"transfer_type": "ach", "relationship_id": rel, "amount": "500", "direction": "INCOMING"})
	h.clock.Advance(0)
	order := h.must(200, "POST", "/v1/trading/accounts/"+acct+"/orders", mkt("AAPL", "buy", "2")).json(t)
	h.clock.Advance(0)
	h.must(200, "POST", xfers, map[string]any{"transfer_type": "ach", "relationship_id": rel, "amount": "100", "direction": "OUTGOING"})
	h.clock.Advance(0)

	base := "/v1/accounts/activities?account_id=" + acct
	all := h.must(200, "GET", base, nil).list(t)
	if got, want := activityTypes(all), "CSW:-100,FILL:2,CSD:500,JNLC:1000"; got != want {
		t.Fatalf("activities %s, want %s", got, want)
	}
	fill := all[1]
	if fill["order_id"] != order["id"] || fill["type"] != "fill" || fill["cum_qty"] != "2" || fill["leaves_qty"] != "0" ||
		fill["order_status"] != "filled" || fill["price"] != "189.5" || fill["side"] != "buy" {
		t.Fatalf("fill activity %v", fill)
	}
	if !strings.Contains(all[0]["id"].(string), "::") || all[0]["date"] != "2026-03-04" || all[0]["status"] != "executed" {
		t.Fatalf("non-trade activity %v", all[0])
	}
	if firm := h.must(200, "GET", "/v1/accounts/activities/JNLC?account_id="+DefaultFirmAccountID, nil).list(t); activityTypes(firm) != "JNLC:-1000" {
		t.Fatalf("firm side of the journal: %s", activityTypes(firm))
	}
	for q, want := range map[string]string{
		"&category=non_trade_activity":      "CSW:-100,CSD:500,JNLC:1000",
		"&activity_types=CSD,CSW":           "CSW:-100,CSD:500",
		"&direction=asc":                    "JNLC:1000,CSD:500,FILL:2,CSW:-100",
		"&order_id=" + order["id"].(string): "FILL:2",
		"&date=2026-03-04":                  "CSW:-100,FILL:2,CSD:500,JNLC:1000",
		"&date=2026-03-05":                  "",
	} {
		if got := activityTypes(h.must(200, "GET", base+q, nil).list(t)); got != want {
			t.Errorf("%s: %s, want %s", q, got, want)
		}
	}
	page1 := h.must(200, "GET", base+"&page_size=3", nil).list(t)
	page2 := h.must(200, "GET", base+"&page_size=3&page_token="+page1[2]["id"].(string), nil).list(t)
	if activityTypes(page1)+"|"+activityTypes(page2) != "CSW:-100,FILL:2,CSD:500|JNLC:1000" {
		t.Fatalf("pages %s | %s", activityTypes(page1), activityTypes(page2))
	}
	asc := h.must(200, "GET", base+"&direction=asc&page_token="+page1[1]["id"].(string), nil).list(t)
	if activityTypes(asc) != "CSW:-100" {
		t.Fatalf("ascending after the fill: %s", activityTypes(asc))
	}
	h.must(400, "GET", base+"&page_token=nope", nil)
	h.must(400, "GET", base+"&page_size=101", nil)
	h.must(400, "GET", "/v1/accounts/activities/FILL?category=trade_activity", nil)
	h.must(400, "GET", base+"&category=trade_activity&activity_types=FILL", nil)
}

// TestBlockOrderActivities: every execution of a block order is a FILL
// activity with its running cum_qty and leaves_qty.
func TestBlockOrderActivities(t *testing.T) {
	h, path := blockHarness(t)
	id := h.must(200, "POST", path, mkt("F", "buy", "10000")).json(t)["id"].(string)
	h.clock.Advance(5 * orderFillDelay)
	l := h.must(200, "GET", "/v1/accounts/activities/FILL?direction=asc&order_id="+id, nil).list(t)
	var got []string
	for _, a := range l {
		got = append(got, a["type"].(string)+":"+a["cum_qty"].(string)+"/"+a["leaves_qty"].(string)+":"+a["order_status"].(string))
	}
	want := "partial_fill:2500/7500:partially_filled,partial_fill:5000/5000:partially_filled,partial_fill:7500/2500:partially_filled,fill:10000/0:filled"
	if strings.Join(got, ",") != want {
		t.Fatalf("fills %v, want %s", got, want)
	}
}

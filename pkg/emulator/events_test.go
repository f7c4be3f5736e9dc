package emulator

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// readEvents connects to path on srv and returns a function reading the
// next n data: payloads, and a cancel.
func readEvents(t *testing.T, srv *httptest.Server, path string) (next func() (map[string]any, bool), cancel func()) {
	t.Helper()
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second) // a guard against a hang, not a wait
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+path, nil)
	req.SetBasicAuth(DefaultKeyID, DefaultSecret)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(res.Body)
	next = func() (map[string]any, bool) {
		for sc.Scan() {
			line := sc.Text()
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				var m map[string]any
				if err := json.Unmarshal([]byte(data), &m); err != nil {
					t.Fatalf("bad event %q: %v", data, err)
				}
				return m, true
			}
		}
		return nil, false
	}
	return next, func() { stop(); res.Body.Close() }
}

func TestSSEReplayAndLive(t *testing.T) {
	h := newHarness(t, nil)
	srv := httptest.NewServer(h.em.Handler())
	defer srv.Close()
	acct := h.activeAccount() // SUBMITTED, APPROVED, ACTIVE
	h.clock.Advance(24 * time.Hour)

	// History with an until in the past ends the stream by itself.
	next, cancel := readEvents(t, srv, "/v1/events/accounts/status?since=2026-03-04&until=2026-03-04")
	var statuses []string
	for {
		ev, ok := next()
		if !ok {
			break
		}
		if ev["account_id"] == acct {
			statuses = append(statuses, ev["status_to"].(string))
			if _, isInt := ev["event_id"].(float64); !isInt || ev["event_ulid"] == "" {
				t.Fatalf("v1 ids: %v", ev)
			}
		}
	}
	cancel()
	if strings.Join(statuses, ",") != "SUBMITTED,APPROVED,ACTIVE" {
		t.Fatalf("replayed %v", statuses)
	}

	// since_id/until_id replays an exact window and ends.
	next, cancel = readEvents(t, srv, "/v1/events/accounts/status?since_id=2&until_id=3")
	e1, _ := next()
	e2, _ := next()
	if _, more := next(); more || e1["event_id"] != float64(2) || e2["event_id"] != float64(3) {
		t.Fatalf("window %v %v", e1, e2)
	}
	cancel()

	// Live: without since, only new events arrive, v2 journal shape.
	next, cancel = readEvents(t, srv, "/v2/events/journals/status")
	defer cancel()
	h.must(200, "POST", "/v1/journals", jnlc(DefaultFirmAccountID, acct, "5"), "Idempotency-Key", "live-1")
	h.clock.Advance(0)
	h.em.Flush()
	var seen []string
	for range 3 {
		ev, ok := next()
		if !ok {
			t.Fatal("stream ended")
		}
		if _, isStr := ev["event_id"].(string); !isStr || ev["idempotency_key"] != "live-1" {
			t.Fatalf("v2 event %v", ev)
		}
		seen = append(seen, ev["status_from"].(string)+">"+ev["status_to"].(string))
	}
	if strings.Join(seen, " ") != ">queued queued>sent_to_clearing sent_to_clearing>executed" {
		t.Fatalf("live %v", seen)
	}
}

func TestSSEFundingAndTrades(t *testing.T) {
	h := newHarness(t, nil)
	srv := httptest.NewServer(h.em.Handler())
	defer srv.Close()
	acct := h.activeAccount()
	rel := h.must(200, "POST", "/v1/accounts/"+acct+"/ach_relationships", achBody()).json(t)["id"].(string)
	h.must(200, "POST", "/v1/accounts/"+acct+"/transfers", map[string]any{"transfer_type": "ach",
		"relationship_id": rel, "amount": "100", "direction": "INCOMING"})
	h.clock.Advance(0)
	h.must(200, "POST", "/v1/trading/accounts/"+acct+"/orders", mkt("F", "buy", "1"))
	h.clock.Advance(0)
	h.clock.Advance(24 * time.Hour)

	next, cancel := readEvents(t, srv, "/v2/events/funding/status?since=2026-03-04&until=2026-03-04")
	var got []string
	for ev, ok := next(); ok; ev, ok = next() {
		from := "null"
		if f, ok := ev["status_from"].(string); ok {
			from = f
		}
		got = append(got, ev["entity_type"].(string)+":"+from+">"+ev["status_to"].(string))
	}
	cancel()
	want := "BankRelationship:null>QUEUED BankRelationship:QUEUED>APPROVED Transfer:null>QUEUED Transfer:QUEUED>SENT_TO_CLEARING Transfer:SENT_TO_CLEARING>COMPLETE"
	if strings.Join(got, " ") != want {
		t.Fatalf("funding events\n got %v\nwant %v", got, want)
	}
	next, cancel = readEvents(t, srv, "/v1/events/transfers/status?since=2026-03-04&until=2026-03-04")
	n := 0
	for ev, ok := next(); ok; ev, ok = next() {
		if ev["transfer_id"] == "" {
			t.Fatalf("legacy transfer event %v", ev)
		}
		n++
	}
	cancel()
	if n != 3 {
		t.Fatalf("legacy transfer events %d", n)
	}
	next, cancel = readEvents(t, srv, "/v2/events/trades?since=2026-03-04&until=2026-03-04")
	var evs []string
	for ev, ok := next(); ok; ev, ok = next() {
		evs = append(evs, ev["event"].(string))
		if ev["event"] == "fill" && (ev["price"] != "12.7" || ev["position_qty"] != "1") {
			t.Fatalf("fill %v", ev)
		}
	}
	cancel()
	if strings.Join(evs, ",") != "accepted,new,fill" {
		t.Fatalf("trade events %v", evs)
	}
	h.must(400, "GET", "/v1/events/accounts/status?until=2026-03-04", nil)
	h.must(400, "GET", "/v1/events/accounts/status?since=2026-03-04&since_id=4", nil)
}

package broker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestReadSSE(t *testing.T) {
	in := ": comment\n" +
		"data: {\"a\":1}\n\n" +
		"event: update\nid: 7\ndata: line1\ndata: line2\r\n\r\n" +
		": you are reading too slowly, dropped 10000 messages\n" +
		"retry: 100\n\n" +
		"data:nospace\n\n" +
		"event: only-event\n\n" +
		"data: last-without-blank-line"
	var got []SSEEvent
	if err := ReadSSE(strings.NewReader(in), func(e SSEEvent) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []SSEEvent{
		{Data: []byte(`{"a":1}`)},
		{Event: "update", ID: "7", Data: []byte("line1\nline2")},
		{Data: []byte("nospace")},
		{Data: []byte("last-without-blank-line")},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events: %q", len(got), got)
	}
	for i := range want {
		if got[i].Event != want[i].Event || got[i].ID != want[i].ID || string(got[i].Data) != string(want[i].Data) {
			t.Errorf("event %d = %+v (%s), want %+v (%s)", i, got[i], got[i].Data, want[i], want[i].Data)
		}
	}
	stop := errors.New("stop")
	n := 0
	err := ReadSSE(strings.NewReader(in), func(SSEEvent) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("handler error not returned: %v after %d", err, n)
	}
}

// TestSSESamples decodes the verbatim stream samples of §12.26 (one JSON
// object per data: line) and §12.27 (pretty-printed across lines).
func TestSSESamples(t *testing.T) {
	var journals []JournalStatusEvent
	err := ReadSSE(strings.NewReader(string(sample(t, "s12_26_journal_events_v1.sse"))), func(e SSEEvent) error {
		var ev JournalStatusEvent
		assertRoundTrip(t, e.Data, &ev)
		journals = append(journals, ev)
		return nil
	})
	if err != nil || len(journals) != 3 {
		t.Fatalf("journal events: %d, %v", len(journals), err)
	}
	if journals[0].StatusFrom != "" || journals[2].StatusTo != JournalExecuted || *journals[1].EventID != 1407 {
		t.Errorf("journal events: %+v", journals)
	}
	var accounts []AccountStatusEvent
	err = ReadSSE(strings.NewReader(string(sample(t, "s12_27_account_events.sse"))), func(e SSEEvent) error {
		var ev AccountStatusEvent
		assertRoundTrip(t, e.Data, &ev)
		accounts = append(accounts, ev)
		return nil
	})
	if err != nil || len(accounts) != 3 {
		t.Fatalf("account events: %d, %v", len(accounts), err)
	}
	if *accounts[1].StatusTo != AccountActive || *accounts[1].AccountNumber != "937975699" || *accounts[0].AccountNumber != "" {
		t.Errorf("account events: %+v", accounts[1])
	}
	if accounts[2].KYCResults == nil || accounts[2].KYCResults.Summary != "fail" || len(accounts[2].KYCResults.Indeterminate) != 1 {
		t.Errorf("kyc results: %+v", accounts[2].KYCResults)
	}
}

func sseServer(t *testing.T, path string, events []string, end bool) *testEnv {
	return newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
		if r.Path != path {
			writeJSON(w, 404, `{"code":40410000,"message":"not found"}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		fl := w.(http.Flusher)
		_, _ = fmt.Fprint(w, ": connected\n\n")
		for _, e := range events {
			_, _ = fmt.Fprintf(w, "data: %s\n\n", e)
			fl.Flush()
		}
		if !end {
			<-r.Ctx.Done() // live stream: stays open until the client goes away
		}
	})
}

func TestSubscriptions(t *testing.T) {
	ctx := context.Background()
	q := EventQuery{Since: "2021-01-01", Until: "2021-12-31"}
	t.Run("account status", func(t *testing.T) {
		env := sseServer(t, PathAccountStatusEvents, []string{`{"account_id":"a","at":"2021-06-14T09:59:15.232782Z","event_ulid":"01F","status_from":"SUBMITTED","status_to":"APPROVED","kyc_results":null}`}, true)
		var got []AccountStatusEvent
		err := env.client.SubscribeAccountStatus(ctx, q, func(e AccountStatusEvent) error { got = append(got, e); return nil })
		if err != nil || len(got) != 1 || *got[0].StatusTo != AccountApproved {
			t.Fatalf("%v %+v", err, got)
		}
		r := env.rec.all()[0]
		qs, _ := url.ParseQuery(r.Query)
		if qs.Get("since") != "2021-01-01" || qs.Get("until") != "2021-12-31" || r.Header.Get("Accept") != "text/event-stream" || !strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") {
			t.Errorf("request %+v", r)
		}
	})
	t.Run("funding v2", func(t *testing.T) {
		env := sseServer(t, PathFundingStatusEvents, []string{
			`{"account_id":"a","at":"2025-04-11T19:52:24.066998Z","correspondent":"LPCA","entity_id":"e","entity_type":"Transfer","event_id":"01F7","status_from":null,"status_to":"QUEUED"}`,
			`{"account_id":"a","at":"2025-04-11T19:52:25Z","correspondent":"LPCA","entity_id":"e","entity_type":"Transfer","event_id":"01F8","status_from":"QUEUED","status_to":"COMPLETE"}`,
		}, true)
		var got []StatusFundingEvent
		err := env.client.SubscribeFundingStatus(ctx, EventQuery{SinceID: "01F0"}, func(e StatusFundingEvent) error { got = append(got, e); return nil })
		if err != nil || len(got) != 2 || got[0].StatusFrom != nil || *got[1].StatusFrom != "QUEUED" || got[1].EntityType != FundingEntityTransfer {
			t.Fatalf("%v %+v", err, got)
		}
		if qs, _ := url.ParseQuery(env.rec.all()[0].Query); qs.Get("since_id") != "01F0" {
			t.Errorf("query %v", qs)
		}
	})
	t.Run("journals v2", func(t *testing.T) {
		env := sseServer(t, PathJournalStatusEvents, []string{`{"at":"2021-05-07T10:28:23.163857Z","entry_type":"JNLC","event_id":"01F5","journal_id":"j","status_from":"queued","status_to":"executed","idempotency_key":"k","idempotency_key_type":"single"}`}, true)
		var got []JournalStatusEventV2
		if err := env.client.SubscribeJournalStatus(ctx, EventQuery{}, func(e JournalStatusEventV2) error { got = append(got, e); return nil }); err != nil || len(got) != 1 || got[0].IdempotencyKey != "k" {
			t.Fatalf("%v %+v", err, got)
		}
	})
	t.Run("journals v1", func(t *testing.T) {
		env := sseServer(t, PathJournalStatusEventsV1, []string{`{"at":"2021-05-07T10:28:23.163857Z","entry_type":"JNLC","event_id":1406,"journal_id":"j","status_from":"","status_to":"queued"}`}, true)
		var got []JournalStatusEvent
		if err := env.client.SubscribeJournalStatusV1(ctx, EventQuery{}, func(e JournalStatusEvent) error { got = append(got, e); return nil }); err != nil || len(got) != 1 || *got[0].EventID != 1406 {
			t.Fatalf("%v %+v", err, got)
		}
	})
	t.Run("trades v2", func(t *testing.T) {
		raw := strings.ReplaceAll(string(sample(t, "s12_34_trade_update_v2.json")), "\n", "")
		env := sseServer(t, PathTradeEvents, []string{raw}, true)
		var got []TradeUpdateEventV2
		if err := env.client.SubscribeTradeUpdates(ctx, EventQuery{}, func(e TradeUpdateEventV2) error { got = append(got, e); return nil }); err != nil || len(got) != 1 || got[0].Order.Symbol != "TSLA" || got[0].Event != TradeEventNew {
			t.Fatalf("%v %+v", err, got)
		}
	})
	t.Run("legacy transfers gone", func(t *testing.T) {
		env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
			writeJSON(w, 410, `{"code":41010000,"message":"endpoint only available for existing broker partners"}`)
		})
		err := env.client.SubscribeTransferStatus(ctx, EventQuery{}, func(TransferStatusEvent) error { return nil })
		if !IsGone(err) {
			t.Fatalf("want 410 APIError, got %v", err)
		}
		if env.rec.all()[0].Path != PathTransferStatusEvents {
			t.Errorf("path %s", env.rec.all()[0].Path)
		}
	})
	t.Run("cancel ends a live stream", func(t *testing.T) {
		env := sseServer(t, PathAccountStatusEvents, []string{`{"account_id":"a","at":"2021-06-14T09:59:15Z","event_ulid":"01F"}`}, false)
		cctx, cancel := context.WithCancel(ctx)
		start := time.Now()
		err := env.client.SubscribeAccountStatus(cctx, EventQuery{}, func(AccountStatusEvent) error { cancel(); return nil })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
		if time.Since(start) > time.Second {
			t.Error("cancel did not end the stream promptly")
		}
	})
	t.Run("handler stop", func(t *testing.T) {
		env := sseServer(t, PathAccountStatusEvents, []string{`{"account_id":"a","at":"2021-06-14T09:59:15Z","event_ulid":"01F"}`}, false)
		err := env.client.SubscribeAccountStatus(ctx, EventQuery{}, func(AccountStatusEvent) error { return ErrStopStream })
		if err != nil {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("malformed event", func(t *testing.T) {
		env := sseServer(t, PathAccountStatusEvents, []string{`{"account_id":`}, true)
		err := env.client.SubscribeAccountStatus(ctx, EventQuery{}, func(AccountStatusEvent) error { return nil })
		var de *EventDecodeError
		if !errors.As(err, &de) || de.Path != PathAccountStatusEvents {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("query rules", func(t *testing.T) {
		env := sseServer(t, PathAccountStatusEvents, nil, true)
		err := env.client.SubscribeAccountStatus(ctx, EventQuery{Until: "2021-01-01"}, func(AccountStatusEvent) error { return nil })
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != "until" {
			t.Fatalf("err %v", err)
		}
		err = env.client.SubscribeAccountStatus(ctx, EventQuery{Since: "2021-01-01", SinceULID: "01F"}, func(AccountStatusEvent) error { return nil })
		if !errors.As(err, &ve) || ve.Field != "since" {
			t.Fatalf("err %v", err)
		}
		if n := len(env.rec.all()); n != 0 {
			t.Errorf("%d requests for invalid queries", n)
		}
	})
}

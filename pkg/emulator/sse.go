package emulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/oklog/ulid/v2"
)

// sseRoute describes one event endpoint.
type sseRoute struct {
	stream streamKind
	v2     bool
	// only keeps events of this entity type (the legacy transfer stream).
	only string
}

// eventRange is a parsed since/until window; zero fields are open.
type eventRange struct {
	sinceT, untilT     time.Time
	sinceID, untilID   int64
	sinceUL, untilUL   string
	hasSince, hasUntil bool
	accountID          string
}

func parseRange(r *http.Request, v2 bool) (eventRange, error) {
	q := r.URL.Query()
	var er eventRange
	er.accountID = q.Get("account_id")
	nSince := 0
	for _, k := range []string{"since", "since_id", "since_ulid"} {
		if q.Get(k) != "" {
			nSince++
		}
	}
	if nSince > 1 {
		return er, badRequest("since, since_id and since_ulid are mutually exclusive")
	}
	pairs := []struct{ since, until string }{{"since", "until"}, {"since_id", "until_id"}, {"since_ulid", "until_ulid"}}
	for _, p := range pairs {
		if q.Get(p.until) != "" && q.Get(p.since) == "" {
			return er, badRequest("%s is required when %s is given", p.since, p.until)
		}
	}
	var err error
	if s := q.Get("since"); s != "" {
		if er.sinceT, err = parseEventTime(s, false); err != nil {
			return er, badRequest("invalid since: %s", s)
		}
		er.hasSince = true
	}
	if s := q.Get("until"); s != "" {
		if er.untilT, err = parseEventTime(s, true); err != nil {
			return er, badRequest("invalid until: %s", s)
		}
		er.hasUntil = true
	}
	ids := func(name string, dst *int64, dstUL *string, ulidOnly bool) error {
		s := q.Get(name)
		if s == "" {
			return nil
		}
		if !ulidOnly && !v2 {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return badRequest("invalid %s: %s", name, s)
			}
			*dst = n
			return nil
		}
		if _, err := ulid.ParseStrict(s); err != nil {
			return badRequest("invalid %s: %s", name, s)
		}
		*dstUL = s
		return nil
	}
	for _, f := range []struct {
		name     string
		id       *int64
		ul       *string
		ulidOnly bool
		since    bool
	}{
		{"since_id", &er.sinceID, &er.sinceUL, false, true},
		{"until_id", &er.untilID, &er.untilUL, false, false},
		{"since_ulid", &er.sinceID, &er.sinceUL, true, true},
		{"until_ulid", &er.untilID, &er.untilUL, true, false},
	} {
		if err := ids(f.name, f.id, f.ul, f.ulidOnly); err != nil {
			return er, err
		}
		if q.Get(f.name) != "" {
			if f.since {
				er.hasSince = true
			} else {
				er.hasUntil = true
			}
		}
	}
	return er, nil
}

// parseEventTime reads a date (YYYY-MM-DD) or an RFC 3339 time. A date as
// the end of a range means the whole day.
func parseEventTime(s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return t, err
	}
	if end {
		t = t.Add(24*time.Hour - time.Nanosecond)
	}
	return t, nil
}

func (er eventRange) afterStart(ev *event) bool {
	switch {
	case !er.sinceT.IsZero():
		return !ev.At.Before(er.sinceT)
	case er.sinceID != 0:
		return ev.Seq >= er.sinceID
	case er.sinceUL != "":
		return ev.ULID >= er.sinceUL
	}
	return true
}

func (er eventRange) pastEnd(ev *event) bool {
	switch {
	case !er.untilT.IsZero():
		return ev.At.After(er.untilT)
	case er.untilID != 0:
		return ev.Seq > er.untilID
	case er.untilUL != "":
		return ev.ULID > er.untilUL
	}
	return false
}

// reachedEnd reports whether ev is the last event an id-bounded range asks for.
func (er eventRange) reachedEnd(ev *event) bool {
	return (er.untilID != 0 && ev.Seq >= er.untilID) || (er.untilUL != "" && ev.ULID >= er.untilUL)
}

// serveEvents streams one event endpoint: history first (when a since* is
// given), then live events, ending at until* or when the client leaves.
func (e *Emulator) serveEvents(route sseRoute) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		er, err := parseRange(r, route.v2)
		if err != nil {
			writeError(w, err)
			return
		}
		// Without since*, only live events are sent: everything published
		// after this point, which is before the client sees the headers.
		start := 0
		if !er.hasSince {
			evs, _ := e.hub.read(route.stream, 0)
			start = len(evs)
		}
		flusher, _ := w.(http.Flusher)
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		h.Set("Connection", "keep-alive")
		w.WriteHeader(http.StatusOK)
		if flusher != nil {
			flusher.Flush()
		}
		var wake <-chan struct{}
		if er.hasUntil && !er.untilT.IsZero() {
			ch := make(chan struct{})
			stop := e.clock.AfterFunc(er.untilT.Sub(e.clock.Now()), func() { close(ch) })
			defer stop()
			wake = ch
		}
		ctx := r.Context()
		for {
			evs, changed := e.hub.read(route.stream, start)
			start += len(evs)
			for i := range evs {
				ev := &evs[i]
				if er.pastEnd(ev) {
					return
				}
				if !er.afterStart(ev) || (route.only != "" && ev.EntityType != route.only) ||
					(er.accountID != "" && ev.AccountID != er.accountID) {
					continue
				}
				b, err := json.Marshal(renderEvent(route, ev))
				if err != nil {
					return
				}
				if _, err := w.Write(append(append([]byte("data: "), b...), '\n', '\n')); err != nil {
					return
				}
				if flusher != nil {
					flusher.Flush()
				}
				if er.reachedEnd(ev) {
					return
				}
			}
			if er.hasUntil && !er.untilT.IsZero() && !e.clock.Now().Before(er.untilT) {
				return
			}
			select {
			case <-changed:
			case <-wake:
				wake = nil
			case <-ctx.Done():
				return
			case <-e.hub.closed:
				return
			}
		}
	}
}

// tradeEventV1 is the legacy /v1/events/trades payload: the v2 event with
// an integer event_id and the ULID as event_ulid.
type tradeEventV1 struct {
	broker.TradeUpdateEventV2
	EventID   int64  `json:"event_id"`
	EventULID string `json:"event_ulid"`
}

// renderEvent builds the wire payload of ev for route with pkg/broker's
// event types.
func renderEvent(route sseRoute, ev *event) any {
	at := ev.At.UTC()
	seq := ev.Seq
	switch route.stream {
	case streamAccounts:
		from, to := broker.AccountStatus(ev.StatusFrom), broker.AccountStatus(ev.StatusTo)
		num := ev.AccountNumber
		out := broker.AccountStatusEvent{AccountID: ev.AccountID, AccountNumber: &num, At: at, EventID: &seq,
			EventULID: ev.ULID, StatusFrom: &from, StatusTo: &to, CryptoStatusFrom: &from, CryptoStatusTo: &to}
		if ev.KYCFail {
			out.KYCResults = kycFail
		}
		if ev.Reason != "" {
			out.Reason = &ev.Reason
		}
		return out
	case streamFunding:
		if !route.v2 {
			return broker.TransferStatusEvent{AccountID: ev.AccountID, At: at, EventID: &seq, EventULID: ev.ULID,
				StatusFrom: broker.TransferStatus(ev.StatusFrom), StatusTo: broker.TransferStatus(ev.StatusTo),
				TransferID: ev.EntityID}
		}
		out := broker.StatusFundingEvent{AccountID: ev.AccountID, At: at, Correspondent: "BRKCTL",
			EntityID: ev.EntityID, EntityType: broker.FundingEntityType(ev.EntityType), EventID: ev.ULID,
			Reason: ev.Reason, StatusTo: ev.StatusTo}
		if ev.StatusFrom != "" {
			out.StatusFrom = &ev.StatusFrom
		}
		return out
	case streamJournals:
		if !route.v2 {
			return broker.JournalStatusEvent{At: at, EntryType: broker.EntryType(ev.EntryType), EventID: &seq,
				EventULID: ev.ULID, JournalID: ev.EntityID, StatusFrom: broker.JournalStatus(ev.StatusFrom),
				StatusTo: broker.JournalStatus(ev.StatusTo)}
		}
		return broker.JournalStatusEventV2{At: at, BatchErrorMessage: ev.BatchError, Description: ev.Description,
			EntryType: broker.EntryType(ev.EntryType), EventID: ev.ULID, IdempotencyKey: ev.IdempotencyKey,
			IdempotencyKeyType: ev.IdemKeyType, JournalID: ev.EntityID,
			StatusFrom: broker.JournalStatus(ev.StatusFrom), StatusTo: broker.JournalStatus(ev.StatusTo)}
	default:
		t := ev.Trade
		out := broker.TradeUpdateEventV2{AccountID: ev.AccountID, At: at, Event: broker.TradeEventType(t.Event),
			EventID: ev.ULID, ExecutionID: t.ExecutionID, Timestamp: at, Price: optDec(t.Price), Qty: optDec(t.Qty),
			PositionQty: optDec(t.PositionQty)}
		_ = json.Unmarshal(t.Order, &out.Order)
		if t.SettleDate != "" {
			if d, err := broker.ParseDate(t.SettleDate); err == nil {
				out.SettleDate = &d
			}
		}
		if route.v2 {
			return out
		}
		return tradeEventV1{TradeUpdateEventV2: out, EventID: seq, EventULID: ev.ULID}
	}
}

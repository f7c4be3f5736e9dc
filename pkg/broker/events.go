package broker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Event stream paths.
const (
	PathAccountStatusEvents   = "/v1/events/accounts/status"
	PathTransferStatusEvents  = "/v1/events/transfers/status" // legacy; 410 for new partners
	PathFundingStatusEvents   = "/v2/events/funding/status"
	PathJournalStatusEventsV1 = "/v1/events/journals/status" // legacy
	PathJournalStatusEvents   = "/v2/events/journals/status"
	PathTradeEvents           = "/v2/events/trades"
)

// maxSSELine bounds one line of an event stream.
const maxSSELine = 8 << 20

// SSEEvent is one Server-Sent Event: its data lines joined with "\n" plus
// the optional event: and id: fields.
type SSEEvent struct {
	Event string
	ID    string
	Data  []byte
}

// ReadSSE reads Server-Sent Events from r and calls fn for each event that
// has non-empty data (an empty "data:" is treated as a keep-alive). Lines starting with ':' are comments ("you are reading too
// slowly"), a blank line ends an event, data:/event:/id: fields are
// understood and retry: ignored. For robustness it also accepts a JSON
// object pretty-printed across lines after "data:" (lines that are not
// fields continue the current data), as shown in Alpaca's docs. It returns
// nil at end of stream, fn's error if fn fails, or the read error.
func ReadSSE(r io.Reader, fn func(SSEEvent) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxSSELine)
	var ev SSEEvent
	var data bytes.Buffer
	hasData := false
	flush := func() error {
		defer func() { ev, hasData = SSEEvent{}, false; data.Reset() }()
		if !hasData || data.Len() == 0 {
			return nil // no data, or an empty "data:" keep-alive
		}
		ev.Data = bytes.Clone(data.Bytes())
		return fn(ev)
	}
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, isField := splitSSEField(line)
		switch {
		case isField && field == "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.WriteString(value)
			hasData = true
		case isField && field == "event":
			ev.Event = value
		case isField && field == "id":
			ev.ID = value
		case isField && field == "retry":
		case hasData:
			// Continuation of a multi-line JSON payload.
			data.WriteByte('\n')
			data.WriteString(line)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return flush()
}

// splitSSEField splits "field: value" for the fields SSE defines.
func splitSSEField(line string) (field, value string, ok bool) {
	name, value, found := strings.Cut(line, ":")
	if !found {
		name, value = line, ""
	}
	switch name {
	case "data", "event", "id", "retry":
		return name, strings.TrimPrefix(value, " "), true
	}
	return "", "", false
}

// EventQuery selects the history an event stream replays before going live.
// With no Since* field only live events are sent; with Until* the stream
// ends (status 200) once that point is reached. Since and Until are dates
// (YYYY-MM-DD) on v1 streams and date-times (RFC 3339) on v2 journals;
// SinceID/UntilID are ULIDs on v2 streams (ints on v1); SinceULID/UntilULID
// are for v1 streams.
type EventQuery struct {
	Since, Until         string
	SinceID, UntilID     string
	SinceULID, UntilULID string
}

func (q EventQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"since": q.Since, "until": q.Until, "since_id": q.SinceID, "until_id": q.UntilID,
		"since_ulid": q.SinceULID, "until_ulid": q.UntilULID} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// Validate applies the API's pairing rules: until needs since (for each
// form), and the since forms are mutually exclusive.
func (q EventQuery) Validate() error {
	pairs := []struct{ since, until, name string }{{q.Since, q.Until, "since"}, {q.SinceID, q.UntilID, "since_id"}, {q.SinceULID, q.UntilULID, "since_ulid"}}
	n := 0
	for _, p := range pairs {
		if p.until != "" && p.since == "" {
			return invalid(strings.Replace(p.name, "since", "until", 1), "requires %s", p.name)
		}
		if p.since != "" {
			n++
		}
	}
	if n > 1 {
		return invalid("since", "since, since_id and since_ulid are mutually exclusive")
	}
	return nil
}

// Stream opens the event stream at path and calls fn for every event until
// the server ends the stream (returns nil), ctx is cancelled (returns
// ctx.Err()), fn returns an error (returned as is) or the connection fails.
// A non-200 answer is an *APIError (IsGone for the legacy 410 paths). The
// connect counts against the rate limiter and is retried like any GET.
func (c *Client) Stream(ctx context.Context, path string, q EventQuery, fn func(SSEEvent) error) error {
	if err := q.Validate(); err != nil {
		return fmt.Errorf("stream %s: %w", path, err)
	}
	resp, raw, _, err := c.send(ctx, c.stream, http.MethodGet, path, q.values(), nil, nil)
	if err != nil {
		return err
	}
	var body io.Reader = bytes.NewReader(raw) // another 2xx, already read
	if resp.StatusCode == http.StatusOK {
		defer resp.Body.Close()
		stop := context.AfterFunc(ctx, func() { resp.Body.Close() })
		defer stop()
		body = resp.Body
	}
	var fnErr error
	err = ReadSSE(body, func(ev SSEEvent) error {
		fnErr = fn(ev)
		return fnErr
	})
	if errors.Is(fnErr, ErrStopStream) {
		return nil
	}
	if fnErr != nil {
		return fnErr
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", path, err)
	}
	return nil
}

// IsGone reports whether err is a 410 APIError (legacy event streams).
func IsGone(err error) bool { return statusOf(err) == http.StatusGone }

// EventDecodeError is an event whose data is not the expected JSON.
type EventDecodeError struct {
	Path string
	Data []byte
	Err  error
}

// Error names the stream and the cause (the payload may hold PII, so it is
// not printed).
func (e *EventDecodeError) Error() string {
	return fmt.Sprintf("stream %s: undecodable event (%d bytes): %v", e.Path, len(e.Data), e.Err)
}

// Unwrap returns the JSON error.
func (e *EventDecodeError) Unwrap() error { return e.Err }

// subscribe streams path and decodes each event into T for fn.
func subscribe[T any](ctx context.Context, c *Client, path string, q EventQuery, fn func(T) error) error {
	return c.Stream(ctx, path, q, func(ev SSEEvent) error {
		var v T
		if err := json.Unmarshal(ev.Data, &v); err != nil {
			return &EventDecodeError{Path: path, Data: ev.Data, Err: err}
		}
		return fn(v)
	})
}

// The Subscribe* methods stream typed events to a handler, in order, on the
// calling goroutine. They return nil when the server ends the stream (an
// Until* bound was reached), ctx.Err() when ctx is cancelled, the handler's
// error if it returns one, *EventDecodeError for a malformed event, and
// *APIError for a non-200 answer (e.g. 410 on legacy paths: IsGone).

// SubscribeAccountStatus streams /v1/events/accounts/status.
func (c *Client) SubscribeAccountStatus(ctx context.Context, q EventQuery, fn func(AccountStatusEvent) error) error {
	return subscribe(ctx, c, PathAccountStatusEvents, q, fn)
}

// SubscribeFundingStatus streams /v2/events/funding/status (ACH
// relationships, banks, transfers).
func (c *Client) SubscribeFundingStatus(ctx context.Context, q EventQuery, fn func(StatusFundingEvent) error) error {
	return subscribe(ctx, c, PathFundingStatusEvents, q, fn)
}

// SubscribeTransferStatus streams the legacy /v1/events/transfers/status
// (410 unless the partner still has it; prefer SubscribeFundingStatus).
func (c *Client) SubscribeTransferStatus(ctx context.Context, q EventQuery, fn func(TransferStatusEvent) error) error {
	return subscribe(ctx, c, PathTransferStatusEvents, q, fn)
}

// SubscribeJournalStatus streams /v2/events/journals/status.
func (c *Client) SubscribeJournalStatus(ctx context.Context, q EventQuery, fn func(JournalStatusEventV2) error) error {
	return subscribe(ctx, c, PathJournalStatusEvents, q, fn)
}

// SubscribeJournalStatusV1 streams the legacy /v1/events/journals/status.
func (c *Client) SubscribeJournalStatusV1(ctx context.Context, q EventQuery, fn func(JournalStatusEvent) error) error {
	return subscribe(ctx, c, PathJournalStatusEventsV1, q, fn)
}

// SubscribeTradeUpdates streams /v2/events/trades.
func (c *Client) SubscribeTradeUpdates(ctx context.Context, q EventQuery, fn func(TradeUpdateEventV2) error) error {
	return subscribe(ctx, c, PathTradeEvents, q, fn)
}

// ErrStopStream may be returned by a handler to end a subscription cleanly;
// the Subscribe* call then returns nil.
var ErrStopStream = errors.New("stop stream")

package broker

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// callInfo travels in the request context so the retry policy can tell
// whether the request may be replayed and whether any attempt reached the
// wire.
type callInfo struct {
	replayable     bool         // safe to send again after an ambiguous failure
	attempts       atomic.Int32 // attempts handed to the transport
	maybeProcessed atomic.Bool  // some attempt may have been acted on by the server
}

type callInfoKey struct{}

func withCallInfo(ctx context.Context, ci *callInfo) context.Context {
	return context.WithValue(ctx, callInfoKey{}, ci)
}

func callInfoFrom(ctx context.Context) *callInfo {
	ci, _ := ctx.Value(callInfoKey{}).(*callInfo)
	return ci
}

// ReplayableRequest reports whether sending req again cannot create a second
// object: methods other than POST, and POSTs that carry an Idempotency-Key
// header. (The client additionally marks orders that carry a
// client_order_id and the idempotent close-account action as replayable.)
func ReplayableRequest(req *http.Request) bool {
	if req.Method != http.MethodPost {
		return true
	}
	return req.Header.Get("Idempotency-Key") != ""
}

// NotSent reports whether err proves the request never reached the server:
// the connection could not be made (refused, DNS failure, dial timeout).
// Such a request is safe to retry even when it is not replayable.
func NotSent(err error) bool {
	if err == nil {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// retryableStatus are the answers worth retrying when replay is safe.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// CheckRetry is the client's retry policy, in go-retryablehttp's shape:
//
//   - a cancelled context stops any retry (a final answer is still returned);
//   - 429 is always retried: the server refused the request unprocessed;
//   - a connection error before anything was sent (NotSent) is always retried;
//   - other transport errors and 500/502/503/504 are retried only when the
//     request is replayable (see callInfo and ReplayableRequest), because
//     the server may already have acted on it;
//   - everything else (2xx, 4xx, non-replayable failures) is final.
//
// Its only error is the context's, when a retry is due but ctx is done; the
// client classifies the final outcome (APIError, OutcomeUnknownError).
func CheckRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	replayable := false
	if ci := callInfoFrom(ctx); ci != nil {
		replayable = ci.replayable
	} else if resp != nil && resp.Request != nil {
		replayable = ReplayableRequest(resp.Request)
	}
	var retry bool
	switch {
	case err != nil:
		retry = NotSent(err) || replayable
	case resp.StatusCode == http.StatusTooManyRequests:
		retry = true
	default:
		retry = replayable && retryableStatus(resp.StatusCode)
	}
	if retry && ctx.Err() != nil {
		return false, ctx.Err()
	}
	return retry, nil
}

// NewBackoff returns a go-retryablehttp Backoff: when the response carries
// Retry-After (seconds or an HTTP date) it waits that long, otherwise on a
// 429 it waits until X-RateLimit-Reset (epoch seconds); server-directed
// waits are capped at max. Without such headers it is exponential backoff
// with full jitter: a random duration in [min, min·2^attempt], capped at max.
// now and jitter (which returns a value in [0, n)) are injected for tests.
func NewBackoff(now func() time.Time, jitter func(n int64) int64) retryablehttp.Backoff {
	return func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
		if resp != nil {
			if d, ok := ServerWait(resp, now()); ok {
				if d > max {
					d = max
				}
				return d
			}
		}
		return jitteredBackoff(min, max, attempt, jitter)
	}
}

// DefaultBackoff is NewBackoff with the real clock and math/rand.
var DefaultBackoff = NewBackoff(time.Now, func(n int64) int64 { return rand.Int64N(n) })

func jitteredBackoff(min, max time.Duration, attempt int, jitter func(int64) int64) time.Duration {
	if min <= 0 {
		min = time.Millisecond
	}
	if max < min {
		max = min
	}
	ceil := min
	for i := 0; i < attempt && ceil < max; i++ {
		ceil *= 2
	}
	if ceil > max {
		ceil = max
	}
	span := int64(ceil - min)
	if span <= 0 {
		return min
	}
	return min + time.Duration(jitter(span+1))
}

// ServerWait returns how long the server asked the client to wait:
// Retry-After (seconds or HTTP date) on any response, else
// X-RateLimit-Reset (epoch seconds) on a 429. ok is false when the response
// says nothing usable.
func ServerWait(resp *http.Response, now time.Time) (time.Duration, bool) {
	if v := resp.Header.Get("Retry-After"); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second, true
		}
		if t, err := http.ParseTime(v); err == nil {
			return nonNegative(t.Sub(now)), true
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		if reset, ok := parseReset(resp.Header); ok {
			return nonNegative(reset.Sub(now)), true
		}
	}
	return 0, false
}

func parseReset(h http.Header) (time.Time, bool) {
	v := h.Get("X-RateLimit-Reset")
	if v == "" {
		return time.Time{}, false
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs <= 0 {
		return time.Time{}, false
	}
	return time.Unix(secs, 0), true
}

func nonNegative(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

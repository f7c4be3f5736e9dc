package emulator

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// rateLimiter counts requests in fixed one-minute windows aligned to the
// minute, one bucket per account for account-scoped paths and one shared
// bucket for everything else, as the docs describe ("for endpoints that are
// scoped with an account UUID ... the rate limit is per account"). Whether
// Alpaca uses fixed or sliding windows is undocumented; fixed windows are our
// choice because X-RateLimit-Reset then has one obvious value.
type rateLimiter struct {
	limit int
	clock Clock

	mu      sync.Mutex
	window  int64 // unix minute of the current window
	buckets map[string]int
}

func newRateLimiter(limit int, c Clock) *rateLimiter {
	return &rateLimiter{limit: limit, clock: c, buckets: make(map[string]int)}
}

// rateDecision is what the headers report for one request.
type rateDecision struct {
	Allowed   bool
	Limit     int
	Remaining int
	Reset     int64 // epoch seconds when the window ends
}

// take counts one request against bucket and reports whether it may proceed.
func (l *rateLimiter) take(bucket string) rateDecision {
	if l.limit < 0 {
		return rateDecision{Allowed: true}
	}
	now := l.clock.Now().Unix()
	minute := now / 60
	l.mu.Lock()
	defer l.mu.Unlock()
	if minute != l.window {
		l.window = minute
		clear(l.buckets)
	}
	d := rateDecision{Limit: l.limit, Reset: (minute + 1) * 60}
	n := l.buckets[bucket]
	if n >= l.limit {
		return d
	}
	n++
	l.buckets[bucket] = n
	d.Allowed = true
	d.Remaining = l.limit - n
	return d
}

// peek reports the bucket's state without counting a request.
func (l *rateLimiter) peek(bucket string) rateDecision {
	if l.limit < 0 {
		return rateDecision{Allowed: true}
	}
	minute := l.clock.Now().Unix() / 60
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	if minute == l.window {
		n = l.buckets[bucket]
	}
	return rateDecision{Allowed: n < l.limit, Limit: l.limit, Remaining: max(l.limit-n, 0), Reset: (minute + 1) * 60}
}

func (d rateDecision) setHeaders(h http.Header) {
	if d.Limit == 0 {
		return
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(d.Reset, 10))
}

// rateBucket names the bucket a path counts against: the account id for
// /v1/accounts/{id}/... and /v1/trading/accounts/{id}/..., else "global".
func rateBucket(path string) string {
	rest, ok := strings.CutPrefix(path, "/v1/trading/accounts/")
	if !ok {
		rest, ok = strings.CutPrefix(path, "/v1/accounts/")
	}
	if !ok {
		return "global"
	}
	id, _, _ := strings.Cut(rest, "/")
	if len(id) != 36 {
		return "global"
	}
	return "account:" + id
}

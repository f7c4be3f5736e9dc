package broker

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// lowRemainingFraction is the share of the server's quota below which the
// limiter spreads the remaining requests evenly until the reset.
const lowRemainingFraction = 0.05

// Limiter paces requests the way the Broker API counts them: "1,000 calls
// per minute. For endpoints that are scoped with an account UUID ... the
// rate limit is per account and will not impact API calls that pertain to
// another account". So it keeps one shared bucket for every other path and
// one bucket per account id for account-scoped paths (see RateScope), each
// a token bucket (RequestsPerMinute, small burst) plus feedback from the
// X-RateLimit-* headers of that bucket's own responses: when
// X-RateLimit-Remaining drops below 5% of X-RateLimit-Limit, the remaining
// budget is spread evenly until X-RateLimit-Reset; at 0 it waits for the
// reset. Account buckets idle for a while (full again, past any reset) are
// dropped, so memory follows the accounts in use, not all accounts ever
// touched. The clock and sleep are injectable for tests.
type Limiter struct {
	perMinute, burst int // perMinute < 0: no token bucket
	idleAfter        time.Duration
	now              func() time.Time
	sleep            func(ctx context.Context, d time.Duration) error

	mu        sync.Mutex
	shared    *bucket
	accounts  map[string]*bucket
	lastSweep time.Time
}

// bucket is one rate-limit quota: the client-side token bucket plus the
// server's pacing for it.
type bucket struct {
	tb        *rate.Limiter // nil means unlimited
	lastUsed  time.Time
	nextSlot  time.Time // server pacing: earliest time for the next request
	interval  time.Duration
	pacedTill time.Time // server pacing applies until this reset time
}

// NewLimiter returns a limiter for perMinute requests a minute per bucket
// with the given burst; perMinute < 0 disables the token buckets (server
// feedback still applies), 0 means DefaultRequestsPerMinute. burst <= 0
// picks a small default.
func NewLimiter(perMinute, burst int) *Limiter {
	if perMinute == 0 {
		perMinute = DefaultRequestsPerMinute
	}
	if perMinute > 0 && burst <= 0 {
		burst = min(max(perMinute/100, 1), 10)
	}
	l := &Limiter{perMinute: perMinute, burst: burst, idleAfter: time.Minute, now: time.Now, sleep: sleepCtx,
		accounts: make(map[string]*bucket)}
	if perMinute > 0 {
		// A bucket idle this long is full again: dropping it loses nothing.
		refill := time.Duration(float64(burst) / float64(perMinute) * float64(time.Minute))
		l.idleAfter = max(l.idleAfter, refill)
	}
	l.shared = l.newBucket()
	return l
}

func (l *Limiter) newBucket() *bucket {
	b := &bucket{}
	if l.perMinute > 0 {
		b.tb = rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), l.burst)
	}
	return b
}

// RateScope returns the account id whose own quota a request to path
// counts against, or "" for the shared quota. Account-scoped are
// /v1/accounts/{id} and /v1/accounts/{id}/..., /v1/trading/accounts/{id}/...
// with a 36-character account UUID, as the emulator counts them; everything
// else (/v1/accounts itself, /v1/accounts/activities, /v1/journals,
// /v1/events/..., /v1/assets...) is shared.
func RateScope(path string) string {
	rest, ok := strings.CutPrefix(path, "/v1/trading/accounts/")
	if !ok {
		rest, ok = strings.CutPrefix(path, "/v1/accounts/")
	}
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	if len(id) != 36 {
		return ""
	}
	return id
}

// Wait blocks until one request to path may be sent or ctx ends.
func (l *Limiter) Wait(ctx context.Context, path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d := l.reserve(RateScope(path))
	if d <= 0 {
		return nil
	}
	return l.sleep(ctx, d)
}

// bucketFor returns the bucket of scope ("" shared), creating it; l.mu held.
func (l *Limiter) bucketFor(scope string, now time.Time) *bucket {
	if scope == "" {
		return l.shared
	}
	if now.Sub(l.lastSweep) >= l.idleAfter {
		l.lastSweep = now
		for id, b := range l.accounts {
			if now.Sub(b.lastUsed) >= l.idleAfter && !now.Before(b.pacedTill) {
				delete(l.accounts, id)
			}
		}
	}
	b := l.accounts[scope]
	if b == nil {
		b = l.newBucket()
		if b.tb != nil {
			// Start full at the limiter's clock, not the wall clock.
			b.tb.SetLimitAt(now, b.tb.Limit())
			b.tb.SetBurstAt(now, l.burst)
		}
		b.lastUsed = now
		l.accounts[scope] = b
	}
	return b
}

// reserve takes a token (and a server-pacing slot) of scope's bucket and
// returns how long the caller must wait before sending.
func (l *Limiter) reserve(scope string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketFor(scope, now)
	var wait time.Duration
	if b.tb != nil {
		r := b.tb.ReserveN(now, 1)
		wait = r.DelayFrom(now)
	}
	if now.Before(b.pacedTill) {
		slot := b.nextSlot
		if at := now.Add(wait); slot.Before(at) {
			slot = at
		}
		b.nextSlot = slot.Add(b.interval)
		if d := slot.Sub(now); d > wait {
			wait = d
		}
	}
	if at := now.Add(wait); at.After(b.lastUsed) {
		b.lastUsed = at
	}
	return wait
}

// Observe reads X-RateLimit-Limit/Remaining/Reset from the response to a
// request to path and turns on pacing for that path's bucket when its
// remaining budget is low.
func (l *Limiter) Observe(path string, h http.Header) {
	limit, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, ok := parseReset(h)
	if err1 != nil || err2 != nil || !ok || limit <= 0 {
		return
	}
	now := l.now()
	if !reset.After(now) || float64(remaining) >= lowRemainingFraction*float64(limit) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketFor(RateScope(path), now)
	window := reset.Sub(now)
	if remaining <= 0 {
		b.interval = 0
		b.nextSlot = reset
	} else {
		b.interval = window / time.Duration(remaining+1)
		if first := now.Add(b.interval); b.nextSlot.Before(first) {
			b.nextSlot = first
		}
	}
	b.pacedTill = reset
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

package broker

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// lowRemainingFraction is the share of the server's quota below which the
// limiter spreads the remaining requests evenly until the reset.
const lowRemainingFraction = 0.05

// Limiter paces requests: a token bucket (RequestsPerMinute, small burst)
// plus feedback from the server's X-RateLimit-* headers. When
// X-RateLimit-Remaining drops below 5% of X-RateLimit-Limit, the remaining
// budget is spread evenly until X-RateLimit-Reset; at 0 it waits for the
// reset. The clock and sleep are injectable for tests.
type Limiter struct {
	bucket *rate.Limiter // nil means unlimited
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error

	mu        sync.Mutex
	nextSlot  time.Time // server pacing: earliest time for the next request
	interval  time.Duration
	pacedTill time.Time // server pacing applies until this reset time
}

// NewLimiter returns a limiter for perMinute requests a minute with the given
// burst; perMinute < 0 disables the token bucket (server feedback still
// applies). burst <= 0 picks a small default.
func NewLimiter(perMinute, burst int) *Limiter {
	l := &Limiter{now: time.Now, sleep: sleepCtx}
	if perMinute == 0 {
		perMinute = DefaultRequestsPerMinute
	}
	if perMinute > 0 {
		if burst <= 0 {
			burst = min(max(perMinute/100, 1), 10)
		}
		l.bucket = rate.NewLimiter(rate.Limit(float64(perMinute)/60), burst)
	}
	return l
}

// Wait blocks until one request may be sent or ctx ends.
func (l *Limiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d := l.reserve()
	if d <= 0 {
		return nil
	}
	return l.sleep(ctx, d)
}

// reserve takes a token (and a server-pacing slot) and returns how long the
// caller must wait before sending.
func (l *Limiter) reserve() time.Duration {
	now := l.now()
	var wait time.Duration
	if l.bucket != nil {
		r := l.bucket.ReserveN(now, 1)
		wait = r.DelayFrom(now)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.pacedTill) {
		slot := l.nextSlot
		if at := now.Add(wait); slot.Before(at) {
			slot = at
		}
		l.nextSlot = slot.Add(l.interval)
		if d := slot.Sub(now); d > wait {
			wait = d
		}
	}
	return wait
}

// Observe reads X-RateLimit-Limit/Remaining/Reset from a response and turns
// on pacing when the remaining budget is low.
func (l *Limiter) Observe(h http.Header) {
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
	window := reset.Sub(now)
	if remaining <= 0 {
		l.interval = 0
		l.nextSlot = reset
	} else {
		l.interval = window / time.Duration(remaining+1)
		if first := now.Add(l.interval); l.nextSlot.Before(first) {
			l.nextSlot = first
		}
	}
	l.pacedTill = reset
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

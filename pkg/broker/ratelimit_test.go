package broker

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// fakeClock drives a Limiter without sleeping: sleep advances the clock.
type fakeClock struct {
	now   time.Time
	slept []time.Duration
}

func (f *fakeClock) Now() time.Time { return f.now }

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.slept = append(f.slept, d)
	f.now = f.now.Add(d)
	return nil
}

func newFakeLimiter(perMinute, burst int) (*Limiter, *fakeClock) {
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter(perMinute, burst)
	l.now, l.sleep = clk.Now, clk.Sleep
	if l.bucket != nil {
		// Start the bucket full at the fake time.
		l.bucket.SetLimitAt(clk.now, l.bucket.Limit())
		l.bucket.SetBurstAt(clk.now, l.bucket.Burst())
	}
	return l, clk
}

func TestLimiterTokenBucketPacing(t *testing.T) {
	l, clk := newFakeLimiter(600, 5) // 10/s, burst 5
	start := clk.now
	for range 25 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// 5 from the burst, the other 20 at 100ms each.
	if got, want := clk.now.Sub(start), 2*time.Second; got < want-10*time.Millisecond || got > want+10*time.Millisecond {
		t.Errorf("25 requests took %v of fake time, want ~%v", got, want)
	}
	if len(clk.slept) != 20 {
		t.Errorf("slept %d times, want 20", len(clk.slept))
	}
}

func TestLimiterDefaultIs1000PerMinute(t *testing.T) {
	l := NewLimiter(0, 0)
	if got := float64(l.bucket.Limit()) * 60; got < 999.9 || got > 1000.1 {
		t.Errorf("default rate %v/min", got)
	}
	if b := l.bucket.Burst(); b < 1 || b > 10 {
		t.Errorf("burst %d is not small", b)
	}
	if NewLimiter(-1, 0).bucket != nil {
		t.Error("negative rate should disable the bucket")
	}
}

func TestLimiterSlowsDownOnLowRemaining(t *testing.T) {
	l, clk := newFakeLimiter(-1, 0) // only server feedback
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "1000")
	h.Set("X-RateLimit-Remaining", "9") // < 5%
	h.Set("X-RateLimit-Reset", strconv.FormatInt(clk.now.Add(10*time.Second).Unix(), 10))
	l.Observe(h)
	start := clk.now
	for range 9 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// 9 remaining over 10s: one per second.
	if got := clk.now.Sub(start); got != 9*time.Second {
		t.Errorf("9 requests took %v, want 9s", got)
	}
	// After the reset the pacing is over.
	clk.now = start.Add(11 * time.Second)
	before := clk.now
	if err := l.Wait(context.Background()); err != nil || clk.now != before {
		t.Errorf("still paced after reset: %v %v", err, clk.now.Sub(before))
	}
}

func TestLimiterWaitsForResetAtZero(t *testing.T) {
	l, clk := newFakeLimiter(-1, 0)
	reset := clk.now.Add(30 * time.Second)
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "1000")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	l.Observe(h)
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !clk.now.Equal(reset) {
		t.Errorf("resumed at %v, want reset %v", clk.now, reset)
	}
}

func TestLimiterIgnoresHealthyOrMissingHeaders(t *testing.T) {
	l, clk := newFakeLimiter(-1, 0)
	for _, h := range []http.Header{
		{},
		{"X-Ratelimit-Limit": {"1000"}, "X-Ratelimit-Remaining": {"900"}, "X-Ratelimit-Reset": {strconv.FormatInt(clk.now.Add(time.Minute).Unix(), 10)}},
		{"X-Ratelimit-Limit": {"x"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1"}},
	} {
		l.Observe(h)
	}
	start := clk.now
	for range 100 {
		_ = l.Wait(context.Background())
	}
	if clk.now != start {
		t.Errorf("waited %v without reason", clk.now.Sub(start))
	}
}

func TestLimiterHonoursContext(t *testing.T) {
	l := NewLimiter(1, 1) // one a minute
	ctx, cancel := context.WithCancel(context.Background())
	if err := l.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
}

// TestClientUsesLimiter checks that every request goes through the limiter
// (the second request of a 1/min client must wait) and that a cancelled
// wait sends nothing.
func TestClientUsesLimiter(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
		writeJSON(w, 200, sample(t, "s12_03_account_create_approved.json"))
	}, func(c *Config) { c.RequestsPerMinute, c.Burst = 1, 1 })
	if _, err := env.client.GetAccount(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := env.client.GetAccount(ctx, "a")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second request not held by the limiter: %v", err)
	}
	if n := len(env.rec.all()); n != 1 {
		t.Errorf("%d requests reached the server", n)
	}
}

// TestClientPacesOnServerHeaders: after a response says only 1 call of 1000
// remains until a reset 60s away, the next request waits (on a fake clock)
// instead of being sent at once.
func TestClientPacesOnServerHeaders(t *testing.T) {
	reset := time.Now().Add(60 * time.Second).Truncate(time.Second)
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
		w.Header().Set("X-RateLimit-Limit", "1000")
		w.Header().Set("X-RateLimit-Remaining", "1")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		writeJSON(w, 200, sample(t, "s12_03_account_create_approved.json"))
	})
	clk := &fakeClock{now: time.Now()}
	env.client.limiter.now, env.client.limiter.sleep = clk.Now, clk.Sleep
	for range 2 {
		if _, err := env.client.GetAccount(context.Background(), "a"); err != nil {
			t.Fatal(err)
		}
	}
	if len(clk.slept) != 1 || clk.slept[0] < 25*time.Second {
		t.Errorf("second request waited %v, want about half the window to the reset", clk.slept)
	}
}

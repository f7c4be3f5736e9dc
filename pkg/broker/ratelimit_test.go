package broker

import (
	"context"
	"errors"
	"fmt"
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
	if tb := l.shared.tb; tb != nil {
		// Start the bucket full at the fake time.
		tb.SetLimitAt(clk.now, tb.Limit())
		tb.SetBurstAt(clk.now, tb.Burst())
	}
	return l, clk
}

func TestLimiterTokenBucketPacing(t *testing.T) {
	l, clk := newFakeLimiter(600, 5) // 10/s, burst 5
	start := clk.now
	for range 25 {
		if err := l.Wait(context.Background(), "/v1/accounts"); err != nil {
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
	if got := float64(l.shared.tb.Limit()) * 60; got < 999.9 || got > 1000.1 {
		t.Errorf("default rate %v/min", got)
	}
	if b := l.shared.tb.Burst(); b < 1 || b > 10 {
		t.Errorf("burst %d is not small", b)
	}
	if NewLimiter(-1, 0).shared.tb != nil {
		t.Error("negative rate should disable the bucket")
	}
}

func TestLimiterSlowsDownOnLowRemaining(t *testing.T) {
	l, clk := newFakeLimiter(-1, 0) // only server feedback
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "1000")
	h.Set("X-RateLimit-Remaining", "9") // < 5%
	h.Set("X-RateLimit-Reset", strconv.FormatInt(clk.now.Add(10*time.Second).Unix(), 10))
	l.Observe("/v1/accounts", h)
	start := clk.now
	for range 9 {
		if err := l.Wait(context.Background(), "/v1/accounts"); err != nil {
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
	if err := l.Wait(context.Background(), "/v1/accounts"); err != nil || clk.now != before {
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
	l.Observe("/v1/accounts", h)
	if err := l.Wait(context.Background(), "/v1/accounts"); err != nil {
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
		l.Observe("/v1/accounts", h)
	}
	start := clk.now
	for range 100 {
		_ = l.Wait(context.Background(), "/v1/accounts")
	}
	if clk.now != start {
		t.Errorf("waited %v without reason", clk.now.Sub(start))
	}
}

func TestLimiterHonoursContext(t *testing.T) {
	l := NewLimiter(1, 1) // one a minute
	ctx, cancel := context.WithCancel(context.Background())
	if err := l.Wait(ctx, "/v1/accounts"); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := l.Wait(ctx, "/v1/accounts"); !errors.Is(err, context.Canceled) {
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

const (
	acctA = "11111111-2222-3333-4444-555555555555"
	acctB = "66666666-7777-8888-9999-000000000000"
)

func TestRateScope(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"/v1/accounts", ""},
		{"/v1/accounts/", ""},
		{"/v1/accounts/activities", ""},
		{"/v1/accounts/activities/FILL", ""},
		{"/v1/journals", ""},
		{"/v1/journals/batch", ""},
		{"/v1/events/accounts/status", ""},
		{"/v2/events/funding/status", ""},
		{"/v1/trading/accounts", ""},
		{"/v1/accounts/" + acctA, acctA},
		{"/v1/accounts/" + acctA + "/ach_relationships", acctA},
		{"/v1/accounts/" + acctA + "/transfers/x", acctA},
		{"/v1/accounts/" + acctA + "/actions/close", acctA},
		{"/v1/trading/accounts/" + acctA + "/orders", acctA},
		{"/v1/trading/accounts/" + acctB + "/account", acctB},
		{"/v1/accounts/not-a-uuid/transfers", ""},
	} {
		if got := RateScope(tc.path); got != tc.want {
			t.Errorf("RateScope(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

// TestLimiterBucketsPerAccount: at 10/s with a burst of 1, requests to one
// quota are 100 ms apart; requests to different quotas do not wait for
// each other (all waits are on the fake clock).
func TestLimiterBucketsPerAccount(t *testing.T) {
	shared, a := "/v1/accounts", "/v1/accounts/"+acctA+"/transfers"
	repeat := func(n int, paths ...string) []string {
		var out []string
		for range n {
			out = append(out, paths...)
		}
		return out
	}
	var tenAccounts []string
	for i := range 10 {
		tenAccounts = append(tenAccounts, fmt.Sprintf("/v1/trading/accounts/%08d-2222-3333-4444-555555555555/orders", i))
	}
	for _, tc := range []struct {
		name  string
		paths []string
		want  time.Duration
	}{
		{"10 shared", repeat(10, shared), 900 * time.Millisecond},
		{"10 to one account", repeat(10, a), 900 * time.Millisecond},
		{"5 shared and 5 account interleaved", repeat(5, shared, a), 400 * time.Millisecond},
		{"one account's paths share its bucket", []string{a, "/v1/trading/accounts/" + acctA + "/orders", "/v1/accounts/" + acctA}, 200 * time.Millisecond},
		{"10 accounts once each", tenAccounts, 0},
		{"2 accounts x5 interleaved", repeat(5, a, "/v1/accounts/"+acctB+"/transfers"), 400 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, clk := newFakeLimiter(600, 1)
			start := clk.now
			for _, p := range tc.paths {
				if err := l.Wait(context.Background(), p); err != nil {
					t.Fatal(err)
				}
			}
			if got := clk.now.Sub(start); got < tc.want-time.Millisecond || got > tc.want+time.Millisecond {
				t.Errorf("took %v of fake time, want %v", got, tc.want)
			}
		})
	}
}

// TestLimiterObservePerBucket: X-RateLimit-Remaining 0 on one account's
// response holds that account until the reset, not the others.
func TestLimiterObservePerBucket(t *testing.T) {
	for _, tc := range []struct {
		name, observed, next string
		wantWait             bool
	}{
		{"same account waits", "/v1/accounts/" + acctA + "/transfers", "/v1/trading/accounts/" + acctA + "/orders", true},
		{"other account does not", "/v1/accounts/" + acctA + "/transfers", "/v1/accounts/" + acctB + "/transfers", false},
		{"shared does not", "/v1/accounts/" + acctA + "/transfers", "/v1/journals", false},
		{"shared exhausted holds shared", "/v1/accounts", "/v1/journals", true},
		{"shared exhausted leaves accounts", "/v1/accounts", "/v1/accounts/" + acctA, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, clk := newFakeLimiter(-1, 0)
			reset := clk.now.Add(30 * time.Second)
			h := http.Header{}
			h.Set("X-RateLimit-Limit", "1000")
			h.Set("X-RateLimit-Remaining", "0")
			h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
			l.Observe(tc.observed, h)
			if err := l.Wait(context.Background(), tc.next); err != nil {
				t.Fatal(err)
			}
			if waited := clk.now.Equal(reset); waited != tc.wantWait {
				t.Errorf("waited until reset: %v, want %v (now %v)", waited, tc.wantWait, clk.now)
			}
		})
	}
}

// TestLimiterDropsIdleAccountBuckets: memory follows the accounts in use.
// After a minute without requests an account's bucket is full again and
// is dropped; one still paced by the server is kept until its reset.
func TestLimiterDropsIdleAccountBuckets(t *testing.T) {
	l, clk := newFakeLimiter(1000, 0)
	for i := range 5000 {
		if err := l.Wait(context.Background(), fmt.Sprintf("/v1/accounts/%08d-2222-3333-4444-555555555555/transfers", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(l.accounts); n != 5000 {
		t.Fatalf("%d account buckets after 5000 accounts in no time, want 5000", n)
	}
	h := http.Header{}
	h.Set("X-RateLimit-Limit", "1000")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(clk.now.Add(5*time.Minute).Unix(), 10))
	l.Observe("/v1/accounts/"+acctB, h)

	clk.now = clk.now.Add(61 * time.Second)
	if err := l.Wait(context.Background(), "/v1/accounts/"+acctA); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.accounts[acctB]; !ok || len(l.accounts) != 2 {
		t.Errorf("after a minute idle: %d buckets (paced one kept: %v), want 2: the paced one and the new one", len(l.accounts), ok)
	}
	// A dropped bucket comes back full: no wait.
	before := clk.now
	if err := l.Wait(context.Background(), "/v1/accounts/00000007-2222-3333-4444-555555555555"); err != nil || clk.now != before {
		t.Errorf("recreated bucket waited %v (%v)", clk.now.Sub(before), err)
	}
	clk.now = clk.now.Add(5 * time.Minute)
	_ = l.Wait(context.Background(), "/v1/accounts/"+acctA)
	if _, ok := l.accounts[acctB]; ok {
		t.Error("paced bucket kept after its reset and a minute idle")
	}
}

// TestClientLimitsPerAccount: through the client, with 1 request a minute
// per quota, two accounts and the shared quota each get their request at
// once; a second request to the same account is held by the limiter.
func TestClientLimitsPerAccount(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
		writeJSON(w, 200, sample(t, "s12_03_account_create_approved.json"))
	}, func(c *Config) { c.RequestsPerMinute, c.Burst = 1, 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, id := range []string{acctA, acctB} {
		if _, err := env.client.GetAccount(ctx, id); err != nil {
			t.Fatalf("first request to %s: %v", id, err)
		}
	}
	if err := env.client.Do(ctx, http.MethodGet, "/v1/journals", nil, nil, nil); err != nil {
		t.Fatalf("shared quota: %v", err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if _, err := env.client.GetAccount(short, acctA); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second request to one account not held by its quota: %v", err)
	}
	if n := len(env.rec.all()); n != 3 {
		t.Errorf("%d requests reached the server, want 3", n)
	}
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
)

// QA Q19: a pre-flight that meets an exhausted rate-limit window waits for
// a reset up to about a minute away (one line on stderr) and says what
// happened for a later one, instead of "no answer within 10s".
func TestPreflightRateLimitWindow(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		limited  int32         // 429 answers before a 200
		resetIn  time.Duration // X-RateLimit-Reset, from now
		wantErr  string
		wantLine string
		wantWait time.Duration
	}{
		{"reset in 41 s: waits, then runs", 1, 41 * time.Second, "", "brokerctl: rate limited by URL; waiting until 2026-11-25T10:00:41Z\n", 41 * time.Second},
		{"reset in 5 min: says when", 1, 5 * time.Minute, "rate limited by URL: the window resets at 2026-11-25T10:05:00Z (X-RateLimit-Reset); run again then", "", 0},
		{"still limited after the wait", 100, 30 * time.Second, "rate limited by URL: the window resets at 2026-11-25T10:00:30Z", "waiting until 2026-11-25T10:00:30Z", 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if calls.Add(1) <= tt.limited {
					w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(tt.resetIn).Unix(), 10))
					w.WriteHeader(http.StatusTooManyRequests)
					fmt.Fprint(w, `{"code":42910000,"message":"rate limit exceeded"}`)
					return
				}
				fmt.Fprint(w, `[]`)
			}))
			defer srv.Close()
			var waited time.Duration
			saved := preflightSleep
			preflightSleep = func(ctx context.Context, d time.Duration) error { waited += d; return nil }
			defer func() { preflightSleep = saved }()

			watch := &rateWatch{base: http.DefaultTransport, now: func() time.Time { return now }}
			c, err := broker.New(broker.Config{BaseURL: srv.URL, KeyID: "K", Secret: "S", MaxRetries: preflightRetries,
				RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, HTTPClient: &http.Client{Transport: watch}})
			if err != nil {
				t.Fatal(err)
			}
			spec := &targetSpec{Name: "endpoint", Kind: kindEndpoint, BaseURL: srv.URL, Creds: broker.Credentials{KeyID: "K", Secret: "S"}}
			var stderr strings.Builder
			start := time.Now()
			err = preflightWatched(context.Background(), c, spec, watch, &stderr)
			if time.Since(start) > 5*time.Second {
				t.Errorf("pre-flight took %s", time.Since(start))
			}
			errs := strings.ReplaceAll(stderr.String(), srv.URL, "URL")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("preflight: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(strings.ReplaceAll(err.Error(), srv.URL, "URL"), tt.wantErr)):
				t.Fatalf("preflight: %v, want %q", err, tt.wantErr)
			case tt.wantErr != "" && exitCode(err) != 1:
				t.Errorf("exit %d, want 1", exitCode(err))
			}
			if !strings.Contains(errs, tt.wantLine) || tt.wantLine == "" && errs != "" {
				t.Errorf("stderr %q, want %q", errs, tt.wantLine)
			}
			if waited != tt.wantWait {
				t.Errorf("waited %s, want %s", waited, tt.wantWait)
			}
		})
	}
}

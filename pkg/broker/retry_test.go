package broker

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCheckRetryPolicy(t *testing.T) {
	post := func(key string) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, "http://x/v1/accounts/a/transfers", nil)
		if key != "" {
			r.Header.Set("Idempotency-Key", key)
		}
		return r
	}
	get, _ := http.NewRequest(http.MethodGet, "http://x/v1/accounts", nil)
	resp := func(req *http.Request, code int) *http.Response {
		return &http.Response{StatusCode: code, Request: req, Header: http.Header{}}
	}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	timeout := &url.Error{Op: "Post", URL: "http://x", Err: context.DeadlineExceeded}
	tests := []struct {
		name string
		req  *http.Request
		resp *http.Response
		err  error
		want bool
	}{
		{"GET 200", get, resp(get, 200), nil, false},
		{"GET 404", get, resp(get, 404), nil, false},
		{"GET 429", get, resp(get, 429), nil, true},
		{"GET 500", get, resp(get, 500), nil, true},
		{"GET 502", get, resp(get, 502), nil, true},
		{"GET 503", get, resp(get, 503), nil, true},
		{"GET 504", get, resp(get, 504), nil, true},
		{"GET 501", get, resp(get, 501), nil, false},
		{"GET reset", get, nil, reset, true},
		{"unkeyed POST 429", post(""), resp(post(""), 429), nil, true},
		{"unkeyed POST 503", post(""), resp(post(""), 503), nil, false},
		{"unkeyed POST 500", post(""), resp(post(""), 500), nil, false},
		{"unkeyed POST reset", post(""), nil, reset, false},
		{"unkeyed POST timeout", post(""), nil, timeout, false},
		{"unkeyed POST refused", post(""), nil, refused, true},
		{"unkeyed POST dns", post(""), nil, &net.DNSError{Err: "no such host", Name: "x"}, true},
		{"keyed POST 503", post("k"), resp(post("k"), 503), nil, true},
		{"keyed POST reset", post("k"), nil, reset, true},
		{"keyed POST 422", post("k"), resp(post("k"), 422), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := withCallInfo(context.Background(), &callInfo{replayable: ReplayableRequest(tt.req)})
			got, err := CheckRetry(ctx, tt.resp, tt.err)
			if err != nil || got != tt.want {
				t.Errorf("CheckRetry = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if ok, err := CheckRetry(ctx, resp(get, 503), nil); ok || !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, %v", ok, err)
		}
		if ok, err := CheckRetry(ctx, resp(get, 200), nil); ok || err != nil {
			t.Errorf("a final answer must not be turned into an error: %v, %v", ok, err)
		}
	})
	t.Run("no call info falls back to the request", func(t *testing.T) {
		if ok, _ := CheckRetry(context.Background(), resp(post("k"), 503), nil); !ok {
			t.Error("keyed POST without call info not retried")
		}
		if ok, _ := CheckRetry(context.Background(), resp(post(""), 503), nil); ok {
			t.Error("unkeyed POST without call info retried")
		}
	})
}

func TestBackoff(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	maxJitter := func(n int64) int64 { return n - 1 }
	zeroJitter := func(int64) int64 { return 0 }
	withHeaders := func(code int, kv ...string) *http.Response {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return &http.Response{StatusCode: code, Header: h}
	}
	min, max := 100*time.Millisecond, 10*time.Second
	tests := []struct {
		name    string
		jitter  func(int64) int64
		attempt int
		resp    *http.Response
		want    time.Duration
	}{
		{"attempt 0 no jitter", zeroJitter, 0, nil, min},
		{"attempt 0 max jitter", maxJitter, 0, nil, min},
		{"attempt 1 max jitter", maxJitter, 1, nil, 200 * time.Millisecond},
		{"attempt 3 max jitter", maxJitter, 3, nil, 800 * time.Millisecond},
		{"attempt 3 no jitter", zeroJitter, 3, nil, min},
		{"attempt 20 capped", maxJitter, 20, nil, max},
		{"retry-after seconds", zeroJitter, 0, withHeaders(429, "Retry-After", "3"), 3 * time.Second},
		{"retry-after date", zeroJitter, 0, withHeaders(503, "Retry-After", now.Add(7*time.Second).Format(http.TimeFormat)), 7 * time.Second},
		{"retry-after past date", zeroJitter, 0, withHeaders(503, "Retry-After", now.Add(-time.Minute).Format(http.TimeFormat)), 0},
		{"retry-after capped", zeroJitter, 0, withHeaders(429, "Retry-After", "3600"), max},
		{"ratelimit reset on 429", zeroJitter, 0, withHeaders(429, "X-RateLimit-Reset", strconv.FormatInt(now.Add(4*time.Second).Unix(), 10)), 4 * time.Second},
		{"retry-after wins over reset", zeroJitter, 0, withHeaders(429, "Retry-After", "1", "X-RateLimit-Reset", strconv.FormatInt(now.Add(4*time.Second).Unix(), 10)), time.Second},
		{"reset ignored on 503", maxJitter, 1, withHeaders(503, "X-RateLimit-Reset", strconv.FormatInt(now.Add(4*time.Second).Unix(), 10)), 200 * time.Millisecond},
		{"garbage retry-after", maxJitter, 1, withHeaders(429, "Retry-After", "soon"), 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBackoff(func() time.Time { return now }, tt.jitter)
			if got := b(min, max, tt.attempt, tt.resp); got != tt.want {
				t.Errorf("backoff = %v, want %v", got, tt.want)
			}
		})
	}
	// Full jitter stays within [min, min*2^attempt].
	for attempt := range 6 {
		for range 50 {
			d := DefaultBackoff(min, max, attempt, nil)
			if hi := min << attempt; d < min || d > hi {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, min, hi)
			}
		}
	}
}

func TestNotSent(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&url.Error{Op: "Post", Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, true},
		{&net.DNSError{Name: "x"}, true},
		{syscall.ECONNREFUSED, true},
		{&net.OpError{Op: "read", Err: syscall.ECONNRESET}, false},
		{context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		if got := NotSent(tt.err); got != tt.want {
			t.Errorf("NotSent(%v) = %v", tt.err, got)
		}
	}
}

func TestRetry429HonoursRetryAfter(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, 429, `{"code":42910000,"message":"too many requests"}`)
			return
		}
		writeJSON(w, 200, sample(t, "s12_03_account_create_approved.json"))
	})
	if _, err := env.client.GetAccount(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	st := env.client.Stats()
	if st.Requests != 2 || st.Retries != 1 || st.RateLimited429 != 1 {
		t.Errorf("stats %+v", st)
	}
	// Retry-After 1s is capped at RetryWaitMax (5ms), not the 1ms jitter floor.
	if !strings.Contains(env.logs.String(), "wait=5ms") {
		t.Errorf("retry wait not taken from Retry-After:\n%s", env.logs)
	}
}

func TestRetry429UnkeyedPostIsSafe(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
		if n == 1 {
			w.Header().Set("X-RateLimit-Limit", "1000")
			w.Header().Set("X-RateLimit-Remaining", "500") // no client-side pacing in this test
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10))
			writeJSON(w, 429, `{"code":42910000,"message":"too many requests"}`)
			return
		}
		writeJSON(w, 200, sample(t, "s12_13_transfer_queued.json"))
	})
	tr, err := env.client.CreateTransfer(context.Background(), "a", validTransferRequest())
	if err != nil || tr.Status != TransferQueued {
		t.Fatalf("transfer %v, err %v", tr, err)
	}
	if n := len(env.rec.all()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if !strings.Contains(env.logs.String(), "wait=5ms") {
		t.Errorf("retry wait not taken from X-RateLimit-Reset:\n%s", env.logs)
	}
}

func TestNoReplayOfUnkeyedCreate(t *testing.T) {
	for _, code := range []int{500, 502, 503, 504} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
				w.Header().Set("X-Request-ID", "rid-9")
				writeJSON(w, code, `{"code":50010000,"message":"internal error"}`)
			})
			_, err := env.client.CreateTransfer(context.Background(), "acc-1", validTransferRequest())
			var ou *OutcomeUnknownError
			if !errors.As(err, &ou) || !errors.Is(err, ErrOutcomeUnknown) {
				t.Fatalf("want OutcomeUnknownError, got %v", err)
			}
			if ou.Method != "POST" || ou.Path != "/v1/accounts/acc-1/transfers" {
				t.Errorf("error names %s %s", ou.Method, ou.Path)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != code || apiErr.RequestID != "rid-9" {
				t.Errorf("cause: %v", err)
			}
			if n := len(env.rec.all()); n != 1 {
				t.Errorf("server saw %d requests, want exactly 1", n)
			}
			if st := env.client.Stats(); st.OutcomeUnknown != 1 || st.Retries != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestNoReplayAfterTimeout(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
		time.Sleep(100 * time.Millisecond)
		writeJSON(w, 200, "{}")
	}, func(c *Config) { c.HTTPClient = &http.Client{Timeout: 30 * time.Millisecond} })
	_, err := env.client.CreateACHRelationship(context.Background(), "a", validACHRequest())
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("want outcome unknown, got %v", err)
	}
	if n := len(env.rec.all()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestNoReplayAfterConnectionReset(t *testing.T) {
	handler := func(w http.ResponseWriter, r recorded, n int) {
		if n == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		writeJSON(w, 200, sample(t, "s12_17_journal_create_py.json"))
	}
	t.Run("unkeyed account create", func(t *testing.T) {
		env := newTestEnv(t, handler)
		_, err := env.client.CreateAccount(context.Background(), validAccountRequest())
		if !errors.Is(err, ErrOutcomeUnknown) {
			t.Fatalf("want outcome unknown, got %v", err)
		}
		if n := len(env.rec.all()); n != 1 {
			t.Errorf("server saw %d requests", n)
		}
	})
	t.Run("keyed journal create", func(t *testing.T) {
		env := newTestEnv(t, handler)
		j, err := env.client.CreateJournal(context.Background(), validJournalRequest(), "idem-1")
		if err != nil || j.ID == "" {
			t.Fatalf("journal %v err %v", j, err)
		}
		reqs := env.rec.all()
		if len(reqs) != 2 || reqs[1].Header.Get("Idempotency-Key") != "idem-1" || string(reqs[0].Body) != string(reqs[1].Body) {
			t.Errorf("replay differs: %d requests", len(reqs))
		}
	})
}

func TestKeyedJournalRetriedOn5xx(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
		if n < 3 {
			writeJSON(w, 503, `{"code":50310000,"message":"unavailable"}`)
			return
		}
		writeJSON(w, 200, sample(t, "s12_17_journal_create_py.json"))
	})
	j, err := env.client.CreateJournal(context.Background(), validJournalRequest(), "idem-2")
	if err != nil || j.Status != JournalExecuted {
		t.Fatalf("journal %v err %v", j, err)
	}
	reqs := env.rec.all()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for _, r := range reqs {
		if r.Header.Get("Idempotency-Key") != "idem-2" {
			t.Errorf("attempt without key: %v", r.Header)
		}
	}
	if st := env.client.Stats(); st.Retries != 2 || st.OutcomeUnknown != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestBatchJournalRetriedWithKey(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
		if n == 1 {
			writeJSON(w, 502, "<html>bad gateway</html>")
			return
		}
		writeJSON(w, 200, sample(t, "s12_18_batch_journal.json"))
	})
	if _, err := env.client.CreateBatchJournal(context.Background(), validBatchRequest(), "bk"); err != nil {
		t.Fatal(err)
	}
	if n := len(env.rec.all()); n != 2 {
		t.Errorf("%d requests", n)
	}
}

func TestReverseBatchNotReplayed(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) { writeJSON(w, 503, "{}") })
	_, err := env.client.CreateReverseBatchJournal(context.Background(), validReverseBatchRequest())
	if !errors.Is(err, ErrOutcomeUnknown) || len(env.rec.all()) != 1 {
		t.Fatalf("err %v, %d requests", err, len(env.rec.all()))
	}
}

func TestOrderReplayResolvesDuplicate(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
		switch {
		case n == 1:
			writeJSON(w, 504, "gateway timeout")
		case r.Method == "POST":
			writeJSON(w, 422, `{"code":40010001,"message":"client_order_id must be unique"}`)
		case strings.HasSuffix(r.Path, "orders:by_client_order_id"):
			writeJSON(w, 200, sample(t, "s12_29_order_equity.json"))
		default:
			writeJSON(w, 404, `{"code":40410000,"message":"not found"}`)
		}
	})
	o, err := env.client.CreateOrder(context.Background(), "acc-1", validOrderRequest())
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != "7b08df51-c1ac-453c-99f9-323a5f075f0d" {
		t.Errorf("order %s", o.ID)
	}
	reqs := env.rec.all()
	if len(reqs) != 3 || reqs[2].Method != "GET" || !strings.Contains(reqs[2].Query, "client_order_id=coid-1") {
		t.Errorf("requests: %+v", reqs)
	}
}

func TestOrderWithoutClientOrderIDNotReplayed(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) { writeJSON(w, 504, "gateway timeout") })
	req := validOrderRequest()
	req.ClientOrderID = ""
	_, err := env.client.CreateOrder(context.Background(), "acc-1", req)
	if !errors.Is(err, ErrOutcomeUnknown) || len(env.rec.all()) != 1 {
		t.Fatalf("err %v, %d requests", err, len(env.rec.all()))
	}
}

func TestDuplicateOrderWithoutReplayIsReturned(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
		writeJSON(w, 422, `{"code":40010001,"message":"client_order_id must be unique"}`)
	})
	_, err := env.client.CreateOrder(context.Background(), "acc-1", validOrderRequest())
	if !IsDuplicateClientOrderID(err) || len(env.rec.all()) != 1 {
		t.Fatalf("err %v, %d requests", err, len(env.rec.all()))
	}
}

func TestPartialPositionCloseNotReplayed(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) { writeJSON(w, 503, "{}") })
	_, err := env.client.ClosePosition(context.Background(), "a", "AAPL", ClosePositionOptions{Qty: DecimalPtr(MustDecimal("1"))})
	if !errors.Is(err, ErrOutcomeUnknown) || len(env.rec.all()) != 1 {
		t.Fatalf("err %v, %d requests", err, len(env.rec.all()))
	}
}

func TestGetRetriedUntilExhausted(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
		writeJSON(w, 503, `{"code":50310000,"message":"try later"}`)
	})
	_, err := env.client.GetAccount(context.Background(), "a")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.Message != "try later" {
		t.Fatalf("err %v", err)
	}
	if errors.Is(err, ErrOutcomeUnknown) {
		t.Error("a GET is never outcome-unknown")
	}
	if n := len(env.rec.all()); n != 4 {
		t.Errorf("%d attempts, want 1 + MaxRetries(3)", n)
	}
}

func TestConnectionRefusedRetriesEvenUnkeyedPost(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	c, err := New(Config{BaseURL: "http://" + addr, KeyID: testKeyID, Secret: testSecret, RequestsPerMinute: -1,
		MaxRetries: 2, RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateTransfer(context.Background(), "a", validTransferRequest())
	if err == nil || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("want a plain connection error, got %v", err)
	}
	if st := c.Stats(); st.Requests != 3 || st.Retries != 2 {
		t.Errorf("stats %+v: refused connections must be retried", st)
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Error("secret in error")
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
		w.Header().Set("Retry-After", "60")
		writeJSON(w, 429, "{}")
		cancel()
	}, func(c *Config) { c.RetryWaitMax = time.Minute })
	start := time.Now()
	_, err := env.client.GetAccount(ctx, "a")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("cancel did not interrupt the retry wait")
	}
	if n := len(env.rec.all()); n != 1 {
		t.Errorf("%d requests", n)
	}
}

func TestCancelledBeforeSendIsNotOutcomeUnknown(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) { writeJSON(w, 200, "{}") })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := env.client.CreateTransfer(ctx, "a", validTransferRequest())
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("err %v", err)
	}
	if n := len(env.rec.all()); n != 0 {
		t.Errorf("%d requests", n)
	}
}

func TestUndecodableCreateAnswerIsOutcomeUnknown(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) { writeJSON(w, 200, `{"id": "t1", "amount": }`) })
	_, err := env.client.CreateTransfer(context.Background(), "a", validTransferRequest())
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("a create whose answer cannot be read must be reconciled: %v", err)
	}
	_, err = env.client.GetAccount(context.Background(), "a")
	if err == nil || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("GET decode failure: %v", err)
	}
	if n := len(env.rec.all()); n != 2 {
		t.Errorf("%d requests", n)
	}
}

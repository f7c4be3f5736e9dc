package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAuthRequired(t *testing.T) {
	h := newHarness(t, nil)
	for _, set := range []func(*http.Request){
		func(*http.Request) {},
		func(r *http.Request) { r.SetBasicAuth(DefaultKeyID, "wrong") },
		func(r *http.Request) { r.SetBasicAuth("other", DefaultSecret) },
	} {
		req := httptest.NewRequest("GET", "/v1/accounts", nil)
		set(req)
		rec := httptest.NewRecorder()
		h.em.Handler().ServeHTTP(rec, req)
		if rec.Code != 401 || rec.Body.String() != `{"code":40110000,"message":"request is not authorized"}` {
			t.Fatalf("unauthenticated: %d %s", rec.Code, rec.Body)
		}
	}
	if h.em.Stats().Unauthorized != 3 {
		t.Fatal("unauthorized not counted")
	}
	r := h.must(200, "GET", "/v1/accounts", nil)
	if r.Header.Get("X-Request-ID") == "" {
		t.Fatal("no X-Request-ID")
	}
	if nf := h.must(404, "GET", "/v1/nope", nil).json(t); nf["code"] != float64(40410000) {
		t.Fatalf("unknown route %v", nf)
	}
}

func TestRateLimitFixedWindow(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.RequestsPerMinute = 3 })
	h.clock.Set(time.Date(2026, 3, 4, 14, 30, 10, 0, time.UTC))
	for i, want := range []string{"2", "1", "0"} {
		r := h.must(200, "GET", "/v1/accounts", nil)
		if r.Header.Get("X-RateLimit-Remaining") != want || r.Header.Get("X-RateLimit-Limit") != "3" {
			t.Fatalf("request %d remaining %s", i, r.Header.Get("X-RateLimit-Remaining"))
		}
	}
	r := h.must(429, "GET", "/v1/accounts", nil)
	if string(r.Body) != `{"code":42910000,"message":"rate limit exceeded"}` {
		t.Fatalf("429 body %s", r.Body)
	}
	reset := time.Date(2026, 3, 4, 14, 31, 0, 0, time.UTC).Unix()
	if r.Header.Get("X-RateLimit-Reset") != strconv.FormatInt(reset, 10) {
		t.Fatalf("reset %s, want %d", r.Header.Get("X-RateLimit-Reset"), reset)
	}
	// Account-scoped paths have their own bucket.
	h.must(200, "GET", "/v1/trading/accounts/"+DefaultFirmAccountID+"/account", nil)
	h.clock.Advance(50 * time.Second)
	h.must(200, "GET", "/v1/accounts", nil)
	if h.em.Stats().RateLimited != 1 {
		t.Fatalf("rate limited %d", h.em.Stats().RateLimited)
	}
}

func TestFaultsDeterministic(t *testing.T) {
	run := func() []int {
		h := newHarness(t, func(o *Options) { o.Faults = Faults{Rate500: 0.2, Rate503: 0.2, Rate429: 0.1, Seed: 42} })
		var codes []int
		for range 50 {
			codes = append(codes, h.do("GET", "/v1/accounts", nil).Status)
		}
		return codes
	}
	a, b := run(), run()
	counts := map[int]int{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: %d vs %d with the same seed", i, a[i], b[i])
		}
		counts[a[i]]++
	}
	if counts[500] == 0 || counts[503] == 0 || counts[429] == 0 || counts[200] == 0 {
		t.Fatalf("distribution %v", counts)
	}
}

func TestParseFaults(t *testing.T) {
	f, err := ParseFaults("503=0.05,500=0.01,429=0.02,drop=0.05,latency=20ms,seed=7")
	if err != nil {
		t.Fatal(err)
	}
	want := Faults{Rate503: 0.05, Rate500: 0.01, Rate429: 0.02, DropAfterCommit: 0.05, Latency: 20 * time.Millisecond, Seed: 7}
	if f != want {
		t.Fatalf("got %+v", f)
	}
	if back, _ := ParseFaults(f.String()); back != f {
		t.Fatalf("round trip %q", f.String())
	}
	for _, bad := range []string{"503", "503=2", "teapot=0.1", "latency=fast", "500=0.6,503=0.6"} {
		if _, err := ParseFaults(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseSpeed(t *testing.T) {
	for in, want := range map[string]Speed{"instant": SpeedInstant, "realistic": SpeedRealistic, "10": 10, "2.5x": 2.5} {
		got, err := ParseSpeed(in)
		if err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseSpeed("warp"); err == nil {
		t.Error("warp accepted")
	}
}

// TestDropAfterCommit shows the ambiguous failure: the account exists but
// the client got no answer; a naive retry creates a duplicate (409 here,
// thanks to the unique email).
func TestDropAfterCommit(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Faults = Faults{DropAfterCommit: 1} })
	srv := httptest.NewServer(h.em.Handler())
	defer srv.Close()
	srv.Config.ErrorLog = nil
	body := `{"contact":{"email_address":"drop@example.com","street_address":["1 Main"],"city":"X"},` +
		`"identity":{"given_name":"A","family_name":"B","date_of_birth":"1990-01-01","tax_id":"666-55-4321","tax_id_type":"USA_SSN",` +
		`"country_of_tax_residence":"USA","funding_source":["savings"]},"disclosures":{"is_control_person":false,` +
		`"is_affiliated_exchange_or_finra":false,"is_politically_exposed":false,"immediate_family_exposed":false},` +
		`"agreements":[{"agreement":"customer_agreement","signed_at":"2020-09-11T18:13:44Z","ip_address":"1.2.3.4"}]}`
	req, _ := http.NewRequest("POST", srv.URL+"/v1/accounts", strings.NewReader(body))
	req.SetBasicAuth(DefaultKeyID, DefaultSecret)
	_, err := srv.Client().Do(req)
	if err == nil {
		t.Fatal("expected a dropped connection")
	}
	st := h.em.Stats()
	if st.Created["account"] != 1 || st.Faults["drop"] != 1 {
		t.Fatalf("stats %+v", st)
	}
	// GETs are never dropped: the account is there.
	list := h.must(200, "GET", "/v1/accounts?query=drop@example.com", nil).list(t)
	if len(list) != 1 {
		t.Fatalf("committed account not found: %d", len(list))
	}
}

func TestLatencyUsesClock(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Faults = Faults{Latency: 20 * time.Millisecond} })
	done := make(chan int)
	go func() { done <- h.do("GET", "/v1/accounts", nil).Status }()
	for h.clock.Pending() == 0 {
		runtime.Gosched() // wait for the handler to reach the clock, not for time
	}
	select {
	case <-done:
		t.Fatal("answered before the latency elapsed")
	default:
	}
	h.clock.Advance(20 * time.Millisecond)
	if s := <-done; s != 200 {
		t.Fatalf("status %d", s)
	}
}

func TestPersistenceRoundTrip(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "emulator.json")
	clock := NewFakeClock(testStart)
	em, err := New(Options{Clock: clock, DataFile: file, Speed: SpeedRealistic})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, em: em, clock: clock}
	acct := h.must(200, "POST", "/v1/accounts", accountBody("persist@example.com", "")).json(t)["id"].(string)
	if err := em.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("data file %v %v", fi, err)
	}
	raw, _ := os.ReadFile(file)
	if strings.Contains(string(raw), "666-55-4321") {
		t.Fatal("tax id persisted in plain text")
	}
	// Reload: the account is still SUBMITTED and its transitions resume.
	em2, err := New(Options{Clock: clock, DataFile: file, Speed: SpeedRealistic})
	if err != nil {
		t.Fatal(err)
	}
	defer em2.Close()
	h2 := &harness{t: t, em: em2, clock: clock}
	if s := h2.must(200, "GET", "/v1/accounts/"+acct, nil).json(t)["status"]; s != "SUBMITTED" {
		t.Fatalf("reloaded %v", s)
	}
	h2.must(409, "POST", "/v1/accounts", accountBody("persist@example.com", ""))
	clock.Advance(3 * time.Second)
	if s := h2.must(200, "GET", "/v1/accounts/"+acct, nil).json(t)["status"]; s != "ACTIVE" {
		t.Fatalf("resumed %v", s)
	}
	if err := os.WriteFile(file, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Clock: clock, DataFile: file}); err == nil {
		t.Fatal("garbage data file accepted")
	}
}

func TestStartServesAndCloses(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := Start(ctx, "127.0.0.1:0", Options{Clock: NewFakeClock(testStart)})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/v1/accounts/"+DefaultFirmAccountID, nil)
	req.SetBasicAuth(DefaultKeyID, DefaultSecret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), DefaultFirmAccountNumber) {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal("second close:", err)
	}
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("still serving after Close")
	}
	if _, err := Start(ctx, "256.0.0.1:1", Options{}); err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("bad address: %v", err)
	}
}

func TestRequestLogHasNoSecrets(t *testing.T) {
	var lines []string
	h := newHarness(t, func(o *Options) {
		o.Logf = func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	})
	h.must(200, "POST", "/v1/accounts", accountBody("log@example.com", ""))
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "POST /v1/accounts -> 200") {
		t.Fatalf("log %q", lines)
	}
	for _, l := range lines {
		if strings.Contains(l, DefaultSecret) || strings.Contains(l, "666-55-4321") || strings.Contains(l, "log@example.com") {
			t.Fatalf("secret in log: %s", l)
		}
	}
}

package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// benchBody is an account create body with %d in the email.
var benchBody = func() string {
	b, _ := json.Marshal(accountBody("bench-%d@example.com", ""))
	return string(b)
}()

func benchEmulator(b *testing.B) *Emulator {
	b.Helper()
	em, err := New(Options{Clock: NewFakeClock(testStart), RequestsPerMinute: Unlimited})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = em.Close() })
	return em
}

var benchSeq atomic.Int64

// createAndGet posts one account and reads it back through h.
func createAndGet(b *testing.B, h http.Handler) {
	n := benchSeq.Add(1)
	req := httptest.NewRequest("POST", "/v1/accounts", strings.NewReader(fmt.Sprintf(benchBody, n)))
	req.SetBasicAuth(DefaultKeyID, DefaultSecret)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	var a struct{ ID string }
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		b.Fatal(err)
	}
	req = httptest.NewRequest("GET", "/v1/accounts/"+a.ID, nil)
	req.SetBasicAuth(DefaultKeyID, DefaultSecret)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("get: %d", rec.Code)
	}
}

// BenchmarkAccountCreateGet measures requests per second (one create and
// one get per op) through the Handler, faults off. Run with -cpu 2 for the
// 2-core figure.
func BenchmarkAccountCreateGet(b *testing.B) {
	h := benchEmulator(b).Handler()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			createAndGet(b, h)
		}
	})
	b.ReportMetric(float64(2*b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkAccountCreateGetLoopback is the same over a real loopback
// HTTP server with keep-alive connections.
func BenchmarkAccountCreateGetLoopback(b *testing.B) {
	srv := httptest.NewServer(benchEmulator(b).Handler())
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	do := func(method, url string, body io.Reader) []byte {
		req, _ := http.NewRequest(method, url, body)
		req.SetBasicAuth(DefaultKeyID, DefaultSecret)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			b.Fatalf("%s %s: %d %s", method, url, res.StatusCode, out)
		}
		return out
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := benchSeq.Add(1)
			out := do("POST", srv.URL+"/v1/accounts", strings.NewReader(fmt.Sprintf(benchBody, n)))
			var a struct{ ID string }
			_ = json.Unmarshal(out, &a)
			do("GET", srv.URL+"/v1/accounts/"+a.ID, nil)
		}
	})
	b.ReportMetric(float64(2*b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkMemory100kAccounts creates 100,000 ACTIVE accounts (with their
// status events) and reports the retained heap per account.
func BenchmarkMemory100kAccounts(b *testing.B) {
	const n = 100_000
	for range b.N {
		b.StopTimer()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		clock := NewFakeClock(testStart)
		em, err := New(Options{Clock: clock, RequestsPerMinute: Unlimited})
		if err != nil {
			b.Fatal(err)
		}
		h := em.Handler()
		b.StartTimer()
		for i := range n {
			req := httptest.NewRequest("POST", "/v1/accounts", bytes.NewReader([]byte(fmt.Sprintf(benchBody, i))))
			req.SetBasicAuth(DefaultKeyID, DefaultSecret)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("create %d: %d", i, rec.Code)
			}
		}
		clock.Advance(time.Minute)
		em.Flush()
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		if got := len(em.st.Accounts); got != n+1 {
			b.Fatalf("accounts %d", got)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/account")
		runtime.KeepAlive(em)
		_ = em.Close()
		b.StartTimer()
	}
}

package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

const (
	testKeyID  = "PKTESTKEY1234"
	testSecret = "s3cr3t-SHOULD-NEVER-LEAK-9f8e7d"
)

// recorded is one request seen by a test server.
type recorded struct {
	Method, Path, RawPath, Query string
	Header                       http.Header
	Body                         []byte
	Ctx                          context.Context // the server-side request context
}

// recorder is an httptest server that records requests and answers with
// the handler's response.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

func (r *recorder) add(req *http.Request) recorded {
	body, _ := io.ReadAll(req.Body)
	rec := recorded{Method: req.Method, Path: req.URL.Path, RawPath: req.URL.EscapedPath(), Query: req.URL.RawQuery, Header: req.Header.Clone(), Body: body, Ctx: req.Context()}
	r.mu.Lock()
	r.reqs = append(r.reqs, rec)
	r.mu.Unlock()
	return rec
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testEnv struct {
	client *Client
	server *httptest.Server
	rec    *recorder
	logs   *syncBuffer
}

// newTestEnv starts a server running handle (after recording the request)
// and a client with tiny retry waits and no client-side rate limit.
func newTestEnv(t *testing.T, handle func(w http.ResponseWriter, r recorded, n int), mod ...func(*Config)) *testEnv {
	t.Helper()
	rec := &recorder{}
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r := rec.add(req)
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		handle(w, r, i)
	}))
	t.Cleanup(srv.Close)
	logs := &syncBuffer{}
	cfg := Config{
		BaseURL: srv.URL, KeyID: testKeyID, Secret: testSecret,
		RequestsPerMinute: -1, MaxRetries: 3,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{client: c, server: srv, rec: rec, logs: logs}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	switch b := v.(type) {
	case string:
		_, _ = io.WriteString(w, b)
	case []byte:
		_, _ = w.Write(b)
	default:
		_ = json.NewEncoder(w).Encode(v)
	}
}

func errorsAs[T error](err error, target *T) bool { return errors.As(err, target) }

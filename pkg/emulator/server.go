package emulator

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// routes builds the mux: every Broker API path the emulator serves.
func (e *Emulator) routes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, f func(http.ResponseWriter, *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := f(w, r); err != nil {
				writeError(w, err)
			}
		})
	}
	// Accounts.
	h("POST /v1/accounts", e.createAccount)
	h("GET /v1/accounts", e.listAccounts)
	h("GET /v1/accounts/{account_id}", e.getAccount)
	h("PATCH /v1/accounts/{account_id}", e.updateAccount)
	h("POST /v1/accounts/{account_id}/actions/close", e.closeAccount)
	h("DELETE /v1/accounts/{account_id}", e.closeAccount)
	h("GET /v1/trading/accounts/{account_id}/account", e.getTradeAccount)
	h("GET /v1/accounts/activities", func(w http.ResponseWriter, r *http.Request) error { return e.listActivities(w, r, "") })
	// Funding.
	h("POST /v1/accounts/{account_id}/ach_relationships", e.createACH)
	h("GET /v1/accounts/{account_id}/ach_relationships", e.listACH)
	h("DELETE /v1/accounts/{account_id}/ach_relationships/{relationship_id}", e.deleteACH)
	h("POST /v1/accounts/{account_id}/recipient_banks", e.createBank)
	h("GET /v1/accounts/{account_id}/recipient_banks", e.listBanks)
	h("DELETE /v1/accounts/{account_id}/recipient_banks/{bank_id}", e.deleteBank)
	h("POST /v1/accounts/{account_id}/transfers", e.createTransfer)
	h("GET /v1/accounts/{account_id}/transfers", e.listTransfers)
	h("DELETE /v1/accounts/{account_id}/transfers/{transfer_id}", e.cancelTransfer)
	// Journals.
	h("POST /v1/journals", e.createJournal)
	h("GET /v1/journals", e.listJournals)
	h("GET /v1/journals/{journal_id}", e.getJournal)
	h("DELETE /v1/journals/{journal_id}", e.deleteJournal)
	h("POST /v1/journals/batch", e.createBatchJournal)
	h("POST /v1/journals/reverse_batch", e.createReverseBatchJournal)
	// Trading.
	h("POST /v1/trading/accounts/{account_id}/orders", e.createOrder)
	h("GET /v1/trading/accounts/{account_id}/orders", e.listOrders)
	h("DELETE /v1/trading/accounts/{account_id}/orders", e.cancelAllOrders)
	h("GET /v1/trading/accounts/{account_id}/orders/{order_id}", e.getOrder)
	h("DELETE /v1/trading/accounts/{account_id}/orders/{order_id}", e.cancelOrder)
	h("PATCH /v1/trading/accounts/{account_id}/orders/{order_id}", e.replaceOrder)
	h("GET /v1/trading/accounts/{account_id}/orders:by_client_order_id", e.getOrderByClientID)
	h("GET /v1/trading/accounts/{account_id}/positions", e.listPositions)
	h("DELETE /v1/trading/accounts/{account_id}/positions", e.closeAllPositions)
	h("GET /v1/trading/accounts/{account_id}/positions/{symbol}", e.getPosition)
	h("DELETE /v1/trading/accounts/{account_id}/positions/{symbol}", e.closePosition)
	// Events.
	mux.Handle("GET /v1/events/accounts/status", e.serveEvents(sseRoute{stream: streamAccounts}))
	mux.Handle("GET /v1/events/transfers/status", e.serveEvents(sseRoute{stream: streamFunding, only: "Transfer"}))
	mux.Handle("GET /v2/events/funding/status", e.serveEvents(sseRoute{stream: streamFunding, v2: true}))
	mux.Handle("GET /v1/events/journals/status", e.serveEvents(sseRoute{stream: streamJournals}))
	mux.Handle("GET /v2/events/journals/status", e.serveEvents(sseRoute{stream: streamJournals, v2: true}))
	mux.Handle("GET /v1/events/trades", e.serveEvents(sseRoute{stream: streamTrades}))
	mux.Handle("GET /v2/events/trades", e.serveEvents(sseRoute{stream: streamTrades, v2: true}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, "endpoint not found: %s %s", r.Method, r.URL.Path))
	})
	// GET /v1/accounts/activities/{activity_type} overlaps with
	// /v1/accounts/{account_id}/transfers and its siblings, which ServeMux
	// refuses to register together, so it is routed before the mux.
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		typ, ok := strings.CutPrefix(r.URL.Path, "/v1/accounts/activities/")
		if !ok || r.Method != http.MethodGet || typ == "" || strings.Contains(typ, "/") {
			mux.ServeHTTP(w, r)
			return
		}
		r.Pattern = "GET /v1/accounts/activities/{activity_type}"
		if err := e.listActivities(w, r, typ); err != nil {
			writeError(w, err)
		}
	})
	if e.logRequests {
		return e.logging(e.middleware(root))
	}
	return e.middleware(root)
}

// logging reports one line per request through Options.Logf.
func (e *Emulator) logging(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		e.opts.Logf("%s %s -> %d (%s)", r.Method, r.URL.Path, sw.status, time.Since(start).Round(time.Microsecond))
	})
}

// statusWriter remembers the status; it passes Flush and Hijack through so
// SSE and dropped connections keep working.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijack not supported")
	}
	return hj.Hijack()
}

// middleware applies, in order: request id, auth, rate limit, injected
// faults and latency, then the route, then (maybe) a dropped connection.
func (e *Emulator) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.stats.requests.Add(1)
		hdr := w.Header()
		hdr.Set("X-Request-ID", uuid.NewString())
		bucket := rateBucket(r.URL.Path)
		if !e.authorized(r) {
			e.stats.unauthorized.Add(1)
			e.limiter.peek(bucket).setHeaders(hdr)
			writeError(w, errUnauthorized)
			return
		}
		d := e.limiter.take(bucket)
		d.setHeaders(hdr)
		if !d.Allowed {
			e.stats.rateLimited.Add(1)
			writeError(w, errRateLimited)
			return
		}
		if status := e.faults.before(); status != 0 {
			incr(&e.stats.faults, strconv.Itoa(status))
			if status == http.StatusTooManyRequests {
				writeError(w, errRateLimited)
			} else {
				writeError(w, injectedError(status))
			}
			return
		}
		if lat := e.opts.Faults.Latency; lat > 0 {
			incr(&e.stats.faults, "latency")
			if err := sleep(r.Context(), e.clock, lat); err != nil {
				return
			}
		}
		if !e.faults.drop(r.Method) {
			next.ServeHTTP(w, r)
			e.countRoute(r)
			return
		}
		buf := &bufferedWriter{header: hdr, status: http.StatusOK}
		next.ServeHTTP(buf, r)
		e.countRoute(r)
		if buf.status >= 300 {
			buf.flushTo(w)
			return
		}
		incr(&e.stats.faults, "drop")
		abortConnection(w)
	})
}

func (e *Emulator) countRoute(r *http.Request) {
	p := r.Pattern
	if p == "" || p == "/" {
		p = "unmatched"
	}
	incr(&e.stats.routes, p)
}

// authorized checks the Basic pair in constant time.
func (e *Emulator) authorized(r *http.Request) bool {
	key, secret, ok := r.BasicAuth()
	if !ok {
		return false
	}
	k := subtle.ConstantTimeCompare([]byte(key), []byte(e.opts.KeyID))
	s := subtle.ConstantTimeCompare([]byte(secret), []byte(e.opts.Secret))
	return k&s == 1
}

// abortConnection closes the client connection without writing a response.
func abortConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// bufferedWriter holds a response so it can be dropped after the handler
// committed its side effects.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedWriter) WriteHeader(status int)      { b.status = status }
func (b *bufferedWriter) flushTo(w http.ResponseWriter) {
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}

// Server is a standalone emulator listening on a TCP address.
type Server struct {
	// URL is the base URL clients use, e.g. "http://127.0.0.1:8080".
	URL string
	// Emulator is the served emulator.
	Emulator *Emulator

	srv     *http.Server
	ln      net.Listener
	done    chan error
	closing chan struct{}
	once    sync.Once
	err     error
}

// Start builds an Emulator from opts and serves it on addr ("127.0.0.1:0"
// picks a free port) until Close or until ctx is canceled.
func Start(ctx context.Context, addr string, opts Options) (*Server, error) {
	em, err := New(opts)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		_ = em.Close()
		return nil, fmt.Errorf("emulator: listen on %s: %w", addr, err)
	}
	s := &Server{
		URL:      "http://" + ln.Addr().String(),
		Emulator: em,
		srv: &http.Server{
			Handler:           em.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
			ErrorLog:          nil,
		},
		ln:      ln,
		done:    make(chan error, 1),
		closing: make(chan struct{}),
	}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Close()
		case <-s.closing:
		}
	}()
	return s, nil
}

// Close stops accepting requests, ends event streams, waits up to five
// seconds for in-flight requests and closes the emulator (saving DataFile).
func (s *Server) Close() error {
	s.once.Do(func() {
		close(s.closing)
		s.Emulator.hub.close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		errShut := s.srv.Shutdown(ctx)
		errServe := <-s.done
		s.err = errors.Join(errShut, errServe, s.Emulator.Close())
	})
	return s.err
}

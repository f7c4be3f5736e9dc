package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// maxBodyBytes bounds how much of a response body is read.
const maxBodyBytes = 64 << 20

// Client talks to one Broker API endpoint. It is safe for concurrent use.
type Client struct {
	baseURL   string
	keyID     string
	secret    string
	userAgent string
	log       *slog.Logger
	limiter   *Limiter
	rc        *retryablehttp.Client // requests with retries
	stream    *retryablehttp.Client // event streams: same transport, no timeout
	stats     counters
}

type counters struct {
	requests, retries, rateLimited, outcomeUnknown atomic.Int64
}

// Stats are cumulative request counters, for progress displays and
// benchmarks.
type Stats struct {
	Requests       int64 // HTTP attempts sent (including retries and stream connects)
	Retries        int64 // attempts after the first of a call
	RateLimited429 int64 // 429 answers received
	OutcomeUnknown int64 // calls that ended in OutcomeUnknownError
}

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:       c.stats.requests.Load(),
		Retries:        c.stats.retries.Load(),
		RateLimited429: c.stats.rateLimited.Load(),
		OutcomeUnknown: c.stats.outcomeUnknown.Load(),
	}
}

// Limiter returns the client's rate limiter.
func (c *Client) Limiter() *Limiter { return c.limiter }

// BaseURL returns the endpoint the client talks to.
func (c *Client) BaseURL() string { return c.baseURL }

// New builds a Client from cfg, applying defaults.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("broker: BaseURL is required (see ResolveEndpoint)")
	}
	base, err := ResolveEndpoint(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	if cfg.KeyID == "" || cfg.Secret == "" {
		return nil, fmt.Errorf("broker: API key id and secret are required (set %s and %s, or a config file)", EnvKeyID, EnvSecret)
	}
	c := &Client{
		baseURL:   base,
		keyID:     cfg.KeyID,
		secret:    cfg.Secret,
		userAgent: cfg.UserAgent,
		log:       cfg.Logger,
		limiter:   NewLimiter(cfg.RequestsPerMinute, cfg.Burst),
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	} else {
		hc.Timeout = DefaultTimeout
	}
	base2 := hc.Transport
	if base2 == nil {
		base2 = http.DefaultTransport
	}
	hc.Transport = &limitedTransport{base: base2, c: c}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	streamHC := hc
	streamHC.Timeout = 0

	c.rc = c.newRetryClient(&hc, cfg)
	c.stream = c.newRetryClient(&streamHC, cfg)
	return c, nil
}

func (c *Client) newRetryClient(hc *http.Client, cfg Config) *retryablehttp.Client {
	rc := retryablehttp.NewClient()
	rc.HTTPClient = hc
	rc.Logger = nil
	rc.RetryMax = cfg.MaxRetries
	if rc.RetryMax == 0 {
		rc.RetryMax = DefaultMaxRetries
	} else if rc.RetryMax < 0 {
		rc.RetryMax = 0
	}
	rc.RetryWaitMin, rc.RetryWaitMax = cfg.RetryWaitMin, cfg.RetryWaitMax
	if rc.RetryWaitMin <= 0 {
		rc.RetryWaitMin = DefaultRetryWaitMin
	}
	if rc.RetryWaitMax <= 0 {
		rc.RetryWaitMax = DefaultRetryWaitMax
	}
	if rc.RetryWaitMax < rc.RetryWaitMin {
		rc.RetryWaitMax = rc.RetryWaitMin
	}
	rc.CheckRetry = CheckRetry
	backoff := DefaultBackoff
	rc.Backoff = func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
		d := backoff(min, max, attempt, resp)
		attrs := []any{"wait", d, "attempt", attempt + 1}
		if resp != nil {
			attrs = append(attrs, "status", resp.StatusCode, "method", resp.Request.Method, "path", resp.Request.URL.Path)
		}
		c.log.Debug("broker: retrying", attrs...)
		return d
	}
	rc.RequestLogHook = func(_ retryablehttp.Logger, _ *http.Request, attempt int) {
		if attempt > 0 {
			c.stats.retries.Add(1)
		}
	}
	// Hand back the last response (or error) as is; Do classifies it.
	rc.ErrorHandler = func(resp *http.Response, err error, _ int) (*http.Response, error) { return resp, err }
	return rc
}

// limitedTransport applies the rate limiter to every attempt, counts it and
// feeds rate-limit headers back to the limiter.
type limitedTransport struct {
	base http.RoundTripper
	c    *Client
}

// RoundTrip waits for the limiter, then sends one attempt.
func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.c.limiter.Wait(req.Context(), req.URL.Path); err != nil {
		return nil, err
	}
	if ci := callInfoFrom(req.Context()); ci != nil {
		ci.attempts.Add(1)
	}
	t.c.stats.requests.Add(1)
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	if ci := callInfoFrom(req.Context()); ci != nil {
		if (err != nil && !NotSent(err)) || (err == nil && resp.StatusCode != http.StatusTooManyRequests) {
			ci.maybeProcessed.Store(true)
		}
	}
	if err != nil {
		t.c.log.Debug("broker: request failed", "method", req.Method, "path", req.URL.Path, "error", err.Error(), "elapsed", time.Since(start))
		return nil, err
	}
	t.c.limiter.Observe(req.URL.Path, resp.Header)
	if resp.StatusCode == http.StatusTooManyRequests {
		t.c.stats.rateLimited.Add(1)
	}
	t.c.log.Debug("broker: response", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode,
		"request_id", RequestIDFromHeader(resp.Header), "elapsed", time.Since(start))
	return resp, nil
}

// Option adjusts one call.
type Option func(*callOptions)

type callOptions struct {
	header     http.Header
	replay     *bool // nil: decided by method and Idempotency-Key
	attempts   *int32
	respHeader *http.Header
	requestID  *string
}

// WithIdempotencyKey sends the Idempotency-Key header (journals, batch
// journals) and makes the POST safe to replay.
func WithIdempotencyKey(key string) Option {
	return func(o *callOptions) {
		if key != "" {
			o.header.Set("Idempotency-Key", key)
		}
	}
}

// WithHeader sets an extra request header. Authorization cannot be changed.
func WithHeader(key, value string) Option {
	return func(o *callOptions) {
		if !strings.EqualFold(key, "Authorization") {
			o.header.Set(key, value)
		}
	}
}

// WithReplayable declares that resending this POST cannot create anything
// twice, so it may be retried after an ambiguous failure.
func WithReplayable() Option { return withReplay(true) }

// withReplay forces the replay decision; false makes e.g. a partial
// position close (a DELETE that is not idempotent) non-replayable.
func withReplay(ok bool) Option { return func(o *callOptions) { o.replay = &ok } }

// withAttempts reports how many attempts the call made.
func withAttempts(n *int32) Option { return func(o *callOptions) { o.attempts = n } }

// WithResponseHeader stores the final response's headers in h.
func WithResponseHeader(h *http.Header) Option { return func(o *callOptions) { o.respHeader = h } }

// WithRequestID stores the final response's X-Request-ID in id.
func WithRequestID(id *string) Option { return func(o *callOptions) { o.requestID = id } }

// Do sends one API call: method and path ("/v1/accounts"), optional query,
// optional body (marshalled as JSON) and decodes a 2xx JSON answer into out
// (nil to ignore). It returns *APIError for non-2xx answers and
// *OutcomeUnknownError when a non-replayable request (a POST without
// Idempotency-Key, unless WithReplayable) failed ambiguously.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any, opts ...Option) error {
	resp, raw, ci, err := c.send(ctx, c.rc, method, path, query, body, opts)
	if err != nil {
		return err
	}
	if out != nil && len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			err = fmt.Errorf("%s %s: decode %d response: %w", method, path, resp.StatusCode, err)
			if !ci.replayable {
				// The create happened but we cannot tell what it made.
				return c.outcomeUnknown(method, path, err)
			}
			return err
		}
	}
	return nil
}

func buildOptions(opts []Option) *callOptions {
	co := &callOptions{header: http.Header{}}
	for _, o := range opts {
		o(co)
	}
	return co
}

func (c *Client) outcomeUnknown(method, path string, err error) error {
	c.stats.outcomeUnknown.Add(1)
	return &OutcomeUnknownError{Method: method, Path: path, Err: err}
}

// send performs the call with retries and returns the final 2xx response
// and its body, or a classified error. For streams (rc == c.stream) a 200's
// body is left open and raw is nil.
func (c *Client) send(ctx context.Context, rc *retryablehttp.Client, method, path string, query url.Values, body any, opts []Option) (*http.Response, []byte, *callInfo, error) {
	co := buildOptions(opts)
	req, ci, err := c.newRequest(ctx, rc == c.stream, method, path, query, body, co)
	if err != nil {
		return nil, nil, nil, err
	}
	resp, err := rc.Do(req)
	if co.attempts != nil {
		*co.attempts = ci.attempts.Load()
	}
	if err != nil {
		if resp != nil {
			_ = resp.Body.Close()
		}
		err = withoutQuery(err)
		if !ci.replayable && ci.maybeProcessed.Load() {
			return nil, nil, nil, c.outcomeUnknown(method, path, err)
		}
		return nil, nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if co.respHeader != nil {
		*co.respHeader = resp.Header.Clone()
	}
	if co.requestID != nil {
		*co.requestID = RequestIDFromHeader(resp.Header)
	}
	if rc == c.stream && resp.StatusCode == http.StatusOK {
		return resp, nil, ci, nil
	}
	defer resp.Body.Close()
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		if readErr != nil {
			readErr = fmt.Errorf("%s %s: read %d response: %w", method, path, resp.StatusCode, readErr)
			if !ci.replayable {
				return nil, nil, nil, c.outcomeUnknown(method, path, readErr)
			}
			return nil, nil, nil, readErr
		}
		return resp, raw, ci, nil
	}
	apiErr := NewAPIError(method, path, resp.StatusCode, resp.Header, raw)
	apiErr.Endpoint = c.baseURL
	if resp.StatusCode >= 500 && !ci.replayable {
		return nil, nil, nil, c.outcomeUnknown(method, path, apiErr)
	}
	return nil, nil, nil, apiErr
}

// newRequest builds the request with auth and standard headers, and the
// callInfo the retry policy reads (whether the request may be replayed).
func (c *Client) newRequest(ctx context.Context, stream bool, method, path string, query url.Values, body any, co *callOptions) (*retryablehttp.Request, *callInfo, error) {
	var payload any
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
		payload = b
	}
	u := c.baseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	ci := &callInfo{}
	req, err := retryablehttp.NewRequestWithContext(withCallInfo(ctx, ci), method, u, payload)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	for k, v := range co.header {
		req.Header[k] = v
	}
	req.SetBasicAuth(c.keyID, c.secret)
	req.Header.Set("User-Agent", c.userAgent)
	if stream {
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Cache-Control", "no-cache")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	ci.replayable = ReplayableRequest(req.Request)
	if co.replay != nil {
		ci.replayable = *co.replay
	}
	return req, ci, nil
}

// pathf builds a path from a format whose %s verbs are filled with
// path-escaped values: pathf("/v1/accounts/%s", id).
func pathf(format string, args ...string) string {
	esc := make([]any, len(args))
	for i, a := range args {
		esc[i] = url.PathEscape(a)
	}
	return fmt.Sprintf(format, esc...)
}

// String describes the client without its secret.
func (c *Client) String() string {
	return "broker.Client{" + c.baseURL + ", key " + redactedKey(c.keyID) + "}"
}

// GoString is used by %#v; it never prints the secret.
func (c *Client) GoString() string { return c.String() }

// withoutQuery drops the query string from a *url.Error's URL: queries can
// hold personal data (account search by name or email) that must not end
// up in error messages.
func withoutQuery(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	if u, perr := url.Parse(ue.URL); perr == nil && u.RawQuery != "" {
		u.RawQuery = ""
		cp := *ue
		cp.URL = u.String()
		if ue == err {
			return &cp
		}
		return fmt.Errorf("%s %s: %w", ue.Op, cp.URL, ue.Err)
	}
	return err
}

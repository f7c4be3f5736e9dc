package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/brokerctl/brokerctl/pkg/executor"
)

// Preflight budget: an endpoint that does not answer fails the run in
// seconds, not after every resource's full retry budget.
const (
	preflightTimeout  = 10 * time.Second
	preflightRetries  = 2
	preflightRetryMin = 200 * time.Millisecond
	preflightRetryMax = time.Second
)

// preflightMaxRateWait is the longest wait for a rate-limit window the
// pre-flight sits out (the API's window is one minute).
const preflightMaxRateWait = 65 * time.Second

// preflightSleep waits d or until ctx ends (a variable for tests).
var preflightSleep = func(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errRateWindow ends a pre-flight attempt whose 429 names a window reset
// further away than the attempt's retry budget.
var errRateWindow = errors.New("rate-limit window exhausted")

// rateWatch is the pre-flight client's transport: it notes when a 429
// says the rate-limit window resets (X-RateLimit-Reset or Retry-After),
// and ends the current attempt at once when that is later than a retry
// would wait, so the pre-flight can say so or wait for it.
type rateWatch struct {
	base http.RoundTripper
	now  func() time.Time

	mu     sync.Mutex
	reset  time.Time
	cancel context.CancelCauseFunc
}

// RoundTrip sends req and watches for a 429 with a reset time.
func (w *rateWatch) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests {
		return resp, err
	}
	now := w.now()
	if d, ok := broker.ServerWait(resp, now); ok {
		w.mu.Lock()
		w.reset = now.Add(d)
		cancel := w.cancel
		w.mu.Unlock()
		if cancel != nil && d > preflightRetryMax {
			cancel(errRateWindow)
		}
	}
	return resp, nil
}

// round starts one attempt: ctx is cancelled when a 429 names a far reset.
func (w *rateWatch) round(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	w.mu.Lock()
	w.reset, w.cancel = time.Time{}, cancel
	w.mu.Unlock()
	return ctx, func() {
		w.mu.Lock()
		w.cancel = nil
		w.mu.Unlock()
		cancel(nil)
	}
}

// lastReset is the reset time of the last 429 of the current attempt.
func (w *rateWatch) lastReset() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.reset
}

// preflight sends the credentials probe with its own short budget.
func preflight(ctx context.Context, c *broker.Client, spec *targetSpec) error {
	return preflightWatched(ctx, c, spec, nil, io.Discard)
}

// preflightWatched is preflight with the client's rateWatch (nil: none): a
// 429 whose window resets within preflightMaxRateWait is waited for once,
// with one line on stderr; a later reset is reported as such.
func preflightWatched(ctx context.Context, c *broker.Client, spec *targetSpec, watch *rateWatch, stderr io.Writer) error {
	remote := executor.NewBrokerRemote(c)
	var err error
	for waited := false; ; waited = true {
		err = preflightAttempt(ctx, remote, watch)
		if err == nil || watch == nil {
			break
		}
		reset := watch.lastReset()
		var ae *broker.APIError
		if reset.IsZero() || errors.As(err, &ae) && ae.StatusCode != http.StatusTooManyRequests || ctx.Err() != nil {
			break
		}
		wait := reset.Sub(watch.now())
		at := reset.UTC().Format(time.RFC3339)
		if waited || wait > preflightMaxRateWait {
			return &ExitError{Code: exitFailure, Err: fmt.Errorf("rate limited by %s: the window resets at %s (X-RateLimit-Reset); run again then", spec.BaseURL, at)}
		}
		fmt.Fprintf(stderr, "brokerctl: rate limited by %s; waiting until %s\n", spec.BaseURL, at)
		if err := preflightSleep(ctx, wait); err != nil {
			return &ExitError{Code: exitFailure, Err: fmt.Errorf("interrupted while waiting for the rate-limit window of %s", spec.BaseURL)}
		}
	}
	switch {
	case err == nil:
		return nil
	case executor.IsCredentialsError(err):
		if src := spec.Creds.Source; src != "" && src != "env" {
			err = fmt.Errorf("%w (this key pair is key_id / secret_key in %s)", err, src)
		}
		return &ExitError{Code: exitFailure, Err: err}
	}
	var ae *broker.APIError
	if errors.As(err, &ae) {
		return &ExitError{Code: exitFailure, Err: fmt.Errorf("pre-flight check of %s (GET /v1/accounts) failed: %w", spec.BaseURL, err)}
	}
	return &ExitError{Code: exitFailure, Err: fmt.Errorf("cannot reach %s: %s", spec.BaseURL, reachReason(err))}
}

// preflightAttempt asks until the answer is not 429/5xx or the budget is
// spent.
func preflightAttempt(ctx context.Context, remote *executor.BrokerRemote, watch *rateWatch) error {
	ctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	if watch != nil {
		var done func()
		ctx, done = watch.round(ctx)
		defer done()
	}
	err := remote.CheckCredentials(ctx)
	// An endpoint that answers 429 or 5xx is up: keep asking until the
	// budget is spent (the client already backed off between its own
	// attempts), so a busy or flaky API does not fail a run that would
	// have gone through. Only an endpoint that does not answer fails fast.
	for wait := preflightRetryMin; err != nil && transientAnswer(err); wait = min(2*wait, preflightRetryMax) {
		select {
		case <-ctx.Done():
		case <-time.After(wait):
			err = remote.CheckCredentials(ctx)
			continue
		}
		break
	}
	return err
}

// transientAnswer reports whether err is an HTTP answer worth asking again:
// rate limited or a server error.
func transientAnswer(err error) bool {
	var ae *broker.APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.StatusCode == http.StatusTooManyRequests || ae.StatusCode >= 500
}

// reachReason says in a few words why a request got no HTTP answer.
func reachReason(err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dnsErr):
		return "no such host " + dnsErr.Name
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("no answer within %s", preflightTimeout)
	}
	return err.Error()
}

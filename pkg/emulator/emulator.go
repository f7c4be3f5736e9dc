package emulator

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// Emulator is one in-memory Broker API. It is safe for concurrent use.
type Emulator struct {
	opts    Options
	clock   Clock
	prices  *priceTable
	limiter *rateLimiter
	faults  *faultInjector
	hub     *hub
	handler http.Handler

	firmCash     decimal.Decimal
	journalLimit decimal.Decimal

	mu        sync.Mutex // guards st, tasks and the timer
	st        *state
	tasks     taskHeap
	taskSeq   int64
	timerStop func() bool
	timerDue  time.Time
	closed    bool
	saveStop  func() bool

	stats       statsCounter
	logRequests bool
}

// New builds an Emulator from opts, loading opts.DataFile when it exists.
func New(opts Options) (*Emulator, error) {
	logRequests := opts.Logf != nil
	opts = opts.withDefaults()
	e := &Emulator{opts: opts, clock: opts.Clock, logRequests: logRequests}
	var err error
	if e.firmCash, err = decimal.NewFromString(opts.FirmCash); err != nil || e.firmCash.IsNegative() {
		return nil, fmt.Errorf("emulator: firm cash %q: want a non-negative decimal", opts.FirmCash)
	}
	if e.journalLimit, err = decimal.NewFromString(opts.JournalLimit); err != nil || !e.journalLimit.IsPositive() {
		return nil, fmt.Errorf("emulator: journal limit %q: want a positive decimal", opts.JournalLimit)
	}
	if opts.RequestsPerMinute < Unlimited {
		return nil, fmt.Errorf("emulator: requests per minute %d: want a positive number or Unlimited", opts.RequestsPerMinute)
	}
	if e.prices, err = loadPrices(opts.PriceFile); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	e.limiter = newRateLimiter(opts.RequestsPerMinute, e.clock)
	e.faults = newFaultInjector(opts.Faults)
	e.hub = newHub(uint64(opts.Faults.Seed) + 1)
	e.st = newState()
	if opts.DataFile != "" {
		loaded, err := e.load(opts.DataFile)
		if err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
		if loaded {
			opts.Logf("loaded %d accounts from %s", len(e.st.accounts), opts.DataFile)
		}
	}
	e.mu.Lock()
	e.ensureFirmLocked()
	e.resumeLocked()
	e.mu.Unlock()
	e.handler = e.routes()
	if opts.DataFile != "" {
		e.scheduleSave()
	}
	return e, nil
}

// Handler returns the http.Handler serving the Broker API.
func (e *Emulator) Handler() http.Handler { return e.handler }

// FirmAccountID is the id of the pre-funded firm (sweep) account.
func (e *Emulator) FirmAccountID() string { return e.opts.FirmAccountID }

// Credentials returns the key id and secret the emulator accepts.
func (e *Emulator) Credentials() (keyID, secret string) { return e.opts.KeyID, e.opts.Secret }

// Close stops every timer, ends open event streams and, with a DataFile,
// writes a final snapshot.
func (e *Emulator) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	if e.timerStop != nil {
		e.timerStop()
		e.timerStop = nil
	}
	if e.saveStop != nil {
		e.saveStop()
	}
	e.mu.Unlock()
	e.hub.close()
	if e.opts.DataFile != "" {
		if err := e.Save(context.Background()); err != nil {
			return fmt.Errorf("emulator: close: %w", err)
		}
	}
	return nil
}

// Flush runs every transition already due at the Clock's current time.
// Requests do this on their own; tests and embedders call it after
// advancing a FakeClock without making a request.
func (e *Emulator) Flush() {
	e.mu.Lock()
	e.runDueLocked()
	e.mu.Unlock()
}

// scheduleSave writes a snapshot every SnapshotInterval.
func (e *Emulator) scheduleSave() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.saveStop = e.clock.AfterFunc(e.opts.SnapshotInterval, func() {
		if err := e.Save(context.Background()); err != nil {
			e.opts.Logf("snapshot: %v", err)
		}
		e.scheduleSave()
	})
}

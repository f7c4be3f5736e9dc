package executor

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// WaitOptions tune how statuses are watched.
type WaitOptions struct {
	// PollMin and PollMax bound the polling backoff (defaults 1s and 20s).
	PollMin, PollMax time.Duration
	// StreamGrace is how long a waiter relies on a connected event stream
	// that has gone silent before it polls as a safety net (default 30s);
	// any status change heard restarts the count, so a busy, healthy stream
	// costs no polls at all.
	StreamGrace time.Duration
	// ConnectGrace is how long a waiter gives a stream that is connecting
	// before it polls instead (default 2s).
	ConnectGrace time.Duration
	// NoStreams disables event streams: poll only.
	NoStreams bool
}

func (o WaitOptions) withDefaults() WaitOptions {
	if o.PollMin <= 0 {
		o.PollMin = time.Second
	}
	if o.PollMax < o.PollMin {
		o.PollMax = max(20*time.Second, o.PollMin)
	}
	if o.StreamGrace <= 0 {
		o.StreamGrace = 30 * time.Second
	}
	if o.ConnectGrace <= 0 {
		o.ConnectGrace = 2 * time.Second
	}
	return o
}

// WaitTarget names one remote object to watch.
type WaitTarget struct {
	Address   string
	Kind      string
	AccountID string
	ID        string
	// Stale marks a status read from state rather than seen in this run:
	// the object is looked at once before relying on streams.
	Stale bool
}

// WaitError reports a wait that ended without its status: a failure status
// or a timeout. It names the resource and its last status.
type WaitError struct {
	Address string
	Want    []string
	Last    string
	Timeout time.Duration
	// LastErr is the last poll's error, when it failed.
	LastErr error
	// Failed is true when Last is a failure status.
	Failed bool
}

func (e *WaitError) Error() string {
	last := e.Last
	if last == "" {
		last = "unknown"
	}
	// Not prefixed with the address: every caller names the resource
	// already ("journals.welcome: timed out ...", not twice).
	if e.Failed {
		return fmt.Sprintf("reached %s while waiting for %s", last, strings.Join(e.Want, "|"))
	}
	msg := fmt.Sprintf("timed out after %s waiting for %s (last status %s)", e.Timeout, strings.Join(e.Want, "|"), last)
	if e.LastErr != nil {
		msg += "; last poll failed: " + e.LastErr.Error()
	}
	return msg
}

// Watcher tracks the status of remote objects for every waiter of a run.
// One event stream per family feeds all waiters; polling fills the gaps,
// preferring list calls that refresh many objects per request, and a list
// already made after a waiter's last look is reused instead of repeated.
type Watcher struct {
	remote Remote
	opts   WaitOptions

	mu       sync.Mutex
	status   map[string]string // remote id -> last known status
	fields   map[string]Object // remote id -> properties seen with it
	changed  chan struct{}     // closed and replaced on every change
	streams  map[string]bool   // family -> stream connected
	started  map[string]bool   // family -> stream goroutine running
	failed   map[string]bool   // family -> stream ended; not (yet) back
	ctx      context.Context   // run context for streams (nil: no streams)
	wg       sync.WaitGroup    // running streams
	since    time.Time         // replay point of the streams
	listedAt map[string]time.Time
	listMu   map[string]*sync.Mutex
	// notBefore holds, per remote id, when this run sent a request that
	// changes the object (an update): events stamped earlier are history.
	notBefore map[string]time.Time
	polls     int64
	// full marks ids whose whole object was read (a poll) or carried by an
	// event (a trade update) in this run.
	full map[string]bool
}

// NewWatcher returns a watcher over remote.
func NewWatcher(remote Remote, opts WaitOptions) *Watcher {
	return &Watcher{
		remote:   remote,
		opts:     opts.withDefaults(),
		status:   map[string]string{},
		fields:   map[string]Object{},
		changed:  make(chan struct{}),
		streams:  map[string]bool{},
		started:  map[string]bool{},
		failed:   map[string]bool{},
		listedAt: map[string]time.Time{},
		listMu:   map[string]*sync.Mutex{},

		notBefore: map[string]time.Time{},
		full:      map[string]bool{},
	}
}

// Full reports whether id's whole object was seen in this run.
func (w *Watcher) Full(id string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.full[id]
}

func (w *Watcher) markFull(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.full[id] = true
}

// Since marks that a request changing id is sent at t: events about id
// stamped before t are replayed history (the account and funding streams
// replay from the start of the UTC day) and no longer decide a wait, and
// any status heard for id so far is forgotten. Without it a failure event
// from an earlier run (ACTION_REQUIRED before the fixing PATCH) would end
// the wait on the resubmitted object.
func (w *Watcher) Since(id string, t time.Time) {
	if id == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.notBefore[id] = t
	delete(w.status, id)
}

// stale reports whether an event about id happened before this run's
// request for it.
func (w *Watcher) stale(id string, at time.Time) bool {
	if at.IsZero() {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	nb, ok := w.notBefore[id]
	return ok && at.Before(nb)
}

// Start enables event streams for this run: each family's stream connects
// when its first waiter needs it, replaying history from since (the run's
// start minus a margin) so changes that happened before it connected are
// still delivered. A family whose stream fails is polled instead, and
// reconnected with backoff. Streams end with ctx.
func (w *Watcher) Start(ctx context.Context, since time.Time) {
	if w.opts.NoStreams {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ctx, w.since = ctx, since
}

// ensureStream connects family's stream once, if streams are enabled.
func (w *Watcher) ensureStream(family string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx == nil || family == "" || w.started[family] {
		return
	}
	w.started[family] = true
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		w.stream(w.ctx, family, w.since)
	}()
}

// Drain waits until every stream has ended (after the Start context ends).
func (w *Watcher) Drain() { w.wg.Wait() }

func (w *Watcher) stream(ctx context.Context, family string, from time.Time) {
	backoff := w.opts.PollMin
	for ctx.Err() == nil {
		err := w.remote.Watch(ctx, family, from, func(ev StatusEvent) {
			w.mu.Lock()
			if !w.streams[family] {
				// Connected: wake every waiter so it can rely on the
				// stream from now on.
				w.streams[family] = true
				w.failed[family] = false
				close(w.changed)
				w.changed = make(chan struct{})
			}
			w.mu.Unlock()
			if ev.ID != "" && !w.stale(ev.ID, ev.At) {
				w.ObserveFields(ev.ID, ev.Fields, true)
				if ev.Whole {
					w.markFull(ev.ID)
				}
				w.Observe(ev.Kind, ev.ID, ev.Status)
			}
		})
		w.mu.Lock()
		w.streams[family] = false
		w.failed[family] = true // until it delivers again, waiters poll
		close(w.changed)
		w.changed = make(chan struct{})
		w.mu.Unlock()
		if errors.Is(err, ErrNoStreams) || ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, w.opts.PollMax)
	}
}

// connecting reports whether the family's stream has been started and has
// neither delivered an event nor failed yet.
func (w *Watcher) connecting(family string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.started[family] && !w.streams[family] && !w.failed[family]
}

// Connected reports whether the family's stream has delivered events.
func (w *Watcher) Connected(family string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.streams[family]
}

// Polls is the number of poll requests waiters made.
func (w *Watcher) Polls() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.polls
}

// Observe records a status of a kind's object seen in a response or
// event. Statuses only move forward: a response that was in flight while
// the stream already reported a later status does not undo it (a failure
// status is always taken).
func (w *Watcher) Observe(kind, id, status string) {
	if id == "" || status == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	old := w.status[id]
	if old == status {
		return
	}
	if lc := LifecycleOf(kind); lc != nil && old != "" && !lc.IsFailure(status) {
		if lc.IsFailure(old) || lc.rank(status) >= 0 && lc.rank(status) < lc.rank(old) {
			return
		}
	}
	w.status[id] = status
	close(w.changed)
	w.changed = make(chan struct{})
}

// ObserveFields records properties seen for id. Newer sources (events,
// polls) overwrite earlier values except with null; a create's response,
// which may be older than events already received, only fills gaps.
func (w *Watcher) ObserveFields(id string, fields Object, overwrite bool) {
	if id == "" || len(fields) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.fields[id]
	if m == nil {
		m = Object{}
		w.fields[id] = m
	}
	for k, v := range fields {
		if k == "status" {
			continue
		}
		if _, have := m[k]; have && (!overwrite || v == nil) {
			continue
		}
		m[k] = v
	}
}

// Merge returns obj updated with the status and properties seen since.
func (w *Watcher) Merge(id string, obj Object) Object {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := Object{}
	for k, v := range obj {
		out[k] = v
	}
	for k, v := range w.fields[id] {
		out[k] = v
	}
	if st := w.status[id]; st != "" {
		out["status"] = st
	}
	return out
}

// Status returns the last known status of id.
func (w *Watcher) Status(id string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status[id]
}

func (w *Watcher) snapshot(id string) (string, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status[id], w.changed
}

// Wait blocks until t's status meets one of want (at or past it), a failure
// status ends the wait, the timeout passes (0 means none) or ctx ends.
func (w *Watcher) Wait(ctx context.Context, t WaitTarget, want []string, timeout time.Duration) (string, error) {
	lc := LifecycleOf(t.Kind)
	if lc == nil || len(want) == 0 {
		return w.Status(t.ID), nil
	}
	var deadline <-chan time.Time
	if timeout > 0 {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		deadline = timer.C
	}
	family := familyOf(t.Kind)
	w.ensureStream(family)
	delay := w.opts.PollMin
	lastPoll := time.Now() // lists made by other waiters from now on include t
	var lastErr error
	polled := false
	graceUntil := time.Now().Add(w.opts.ConnectGrace)
	for {
		st, changed := w.snapshot(t.ID)
		switch lc.Check(st, want) {
		case Met:
			return st, nil
		case Failed:
			return st, &WaitError{Address: t.Address, Want: want, Last: st, Failed: true}
		}
		// Look now unless a stream has delivered every change of t: the
		// object may already be there.
		if left := time.Until(graceUntil); !polled && !t.Stale && left > 0 && w.connecting(family) {
			// The stream replays history once connected: give it a
			// moment rather than polling.
			g := time.NewTimer(left)
			select {
			case <-ctx.Done():
				g.Stop()
				return st, ctx.Err()
			case <-deadline:
				g.Stop()
				return st, &WaitError{Address: t.Address, Want: want, Last: st, Timeout: timeout}
			case <-changed:
			case <-g.C:
			}
			g.Stop()
			continue
		}
		if !polled && (t.Stale || !w.Connected(family)) {
			polled = true
			if err := w.refresh(ctx, t, lastPoll); err != nil {
				if fatalPoll(ctx, err) {
					return st, err
				}
				lastErr = err
			}
			lastPoll = time.Now()
			continue
		}
		if w.Connected(family) {
			delay = w.opts.StreamGrace
		}
		poll := time.NewTimer(jitter(delay))
		select {
		case <-ctx.Done():
			poll.Stop()
			return st, ctx.Err()
		case <-deadline:
			poll.Stop()
			return st, &WaitError{Address: t.Address, Want: want, Last: st, Timeout: timeout, LastErr: lastErr}
		case <-changed:
			poll.Stop()
		case <-poll.C:
			lastErr = nil
			if err := w.refresh(ctx, t, lastPoll); err != nil {
				if fatalPoll(ctx, err) {
					return st, err
				}
				lastErr = err // keep waiting; the next poll backs off
			}
			lastPoll = time.Now()
			if !w.Connected(family) {
				delay = min(delay*2, w.opts.PollMax)
			}
		}
	}
}

// fatalPoll reports whether a poll error ends the wait: the run is
// stopping, or the object is gone. Other errors (a 5xx that outlived the
// client's retries, a dropped connection) are retried at the next poll.
func fatalPoll(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, ErrGone)
}

// refresh updates t's status by the cheapest means: reuse a list made after
// since, else list the kind (one call for many objects), else get t alone.
func (w *Watcher) refresh(ctx context.Context, t WaitTarget, since time.Time) error {
	key := t.Kind + "|" + listScope(t)
	w.mu.Lock()
	m := w.listMu[key]
	if m == nil {
		m = &sync.Mutex{}
		w.listMu[key] = m
	}
	w.mu.Unlock()

	m.Lock()
	defer m.Unlock()
	w.mu.Lock()
	fresh := w.listedAt[key].After(since)
	_, known := w.status[t.ID]
	w.mu.Unlock()
	if fresh && known {
		return nil
	}
	start := time.Now()
	w.count()
	objects, ok, err := w.remote.List(ctx, t.Kind, listScope(t))
	if err != nil {
		return fmt.Errorf("poll %s: %w", t.Address, err)
	}
	if ok {
		w.mu.Lock()
		w.listedAt[key] = start
		w.mu.Unlock()
		for id, o := range objects {
			w.ObserveFields(id, o, true)
			w.markFull(id)
			w.Observe(t.Kind, id, StatusOf(o))
		}
		if _, in := objects[t.ID]; in {
			return nil
		}
		w.count()
	}
	obj, err := w.remote.Get(ctx, t.Kind, t.AccountID, t.ID)
	if err != nil {
		return fmt.Errorf("poll %s: %w", t.Address, err)
	}
	w.ObserveFields(t.ID, obj, true)
	w.markFull(t.ID)
	w.Observe(t.Kind, t.ID, StatusOf(obj))
	return nil
}

func (w *Watcher) count() {
	w.mu.Lock()
	w.polls++
	w.mu.Unlock()
}

// listScope is the account a list call is scoped to ("" for global lists).
func listScope(t WaitTarget) string {
	switch t.Kind {
	case "accounts", "journals", "batch_journals":
		return ""
	}
	return t.AccountID
}

// StatusOf reads the status field of an object.
func StatusOf(obj Object) string {
	s, _ := obj["status"].(string)
	return s
}

// jitter spreads polls by ±20 % so waiters do not poll in lockstep.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

package executor

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// LiveReporter shows a status line that redraws in place on a terminal
// (done/running/waiting/failed counts, request rate, ETA), with one line
// per finished resource printed above it.
type LiveReporter struct {
	mu       sync.Mutex
	w        io.Writer
	tally    *tally
	requests func() int64
	start    time.Time
	drawn    bool
	stop     context.CancelFunc
	done     chan struct{}
}

// NewLiveReporter draws on w for a run of total resources; requests reports
// the HTTP requests sent so far (nil hides the rate).
func NewLiveReporter(w io.Writer, total int, requests func() int64) *LiveReporter {
	return &LiveReporter{w: w, tally: newTally(total), requests: requests, start: time.Now()}
}

// Start redraws the status line every interval until Stop.
func (r *LiveReporter) Start(ctx context.Context, interval time.Duration) {
	ctx, r.stop = context.WithCancel(ctx)
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				r.mu.Lock()
				r.draw()
				r.mu.Unlock()
			}
		}
	}()
}

// Stop ends the redraws and clears the status line.
func (r *LiveReporter) Stop() {
	if r.stop != nil {
		r.stop()
		<-r.done
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clear()
}

// Report prints finished resources and errors above the status line.
func (r *LiveReporter) Report(e Event) {
	r.tally.observe(e)
	switch e.Type {
	case EventApplyComplete, EventApplyErrored, EventApplySkipped, EventChangeSummary, EventDiagnostic:
	default:
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clear()
	fmt.Fprintln(r.w, e.Message)
	r.draw()
}

func (r *LiveReporter) clear() {
	if r.drawn {
		fmt.Fprint(r.w, "\r\033[K")
		r.drawn = false
	}
}

func (r *LiveReporter) draw() {
	r.clear()
	fmt.Fprint(r.w, r.StatusLine())
	r.drawn = true
}

// StatusLine renders the current counts.
func (r *LiveReporter) StatusLine() string {
	c := r.tally.counts()
	elapsed := time.Since(r.start)
	line := fmt.Sprintf("%d/%d done · %d running · %d waiting · %d failed", c.Done, c.Total, c.Running, c.Waiting, c.Failed)
	if c.Skipped > 0 {
		line += fmt.Sprintf(" · %d skipped", c.Skipped)
	}
	if r.requests != nil && elapsed > 0 {
		line += fmt.Sprintf(" · %.1f req/s", float64(r.requests())/elapsed.Seconds())
	}
	finished := c.Done + c.Failed + c.Skipped
	if finished > 0 && finished < c.Total {
		eta := time.Duration(float64(elapsed) / float64(finished) * float64(c.Total-finished))
		line += " · ETA " + eta.Round(time.Second).String()
	}
	return line
}

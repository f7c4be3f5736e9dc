package executor

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/brokerctl/brokerctl/pkg/emulator"
)

// An interrupt is not a failure: resources it stopped are "interrupted" or
// "not started", none "failed: context canceled"; a long run's table lists
// only those rows, then counts.
func TestE2EInterruptedApplyIsNotFailures(t *testing.T) {
	w := newWorld(t, emulator.Faults{})
	var nodes []*Node
	for i := range 12 {
		nodes = append(nodes, seed(fmt.Sprintf("c%02d", i))...)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	opts := Options{Reporter: ReporterFunc(func(ev Event) {
		if ev.Type == EventApplyComplete {
			once.Do(cancel)
		}
	})}
	var summary string
	inner := opts.Reporter
	opts.Reporter = ReporterFunc(func(ev Event) {
		if ev.Type == EventChangeSummary {
			summary = ev.Message
		}
		inner.Report(ev)
	})
	res, err := w.run(nodes, opts, func(e *Engine) (*Result, error) { return e.Apply(ctx) })
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	s := res.Summary
	if s.Failed != 0 || s.Skipped != 0 || s.Interrupted+s.NotRun == 0 {
		t.Fatalf("summary %+v\n%s", s, res.Table())
	}
	if !strings.HasPrefix(summary, "Apply interrupted:") || !strings.Contains(summary, "not started") {
		t.Fatalf("summary line %q", summary)
	}
	table := res.Table()
	if strings.Contains(table, "context canceled") || strings.Contains(table, " created ") {
		t.Fatalf("table of an interrupted long run:\n%s", table)
	}
	if !strings.Contains(table, fmt.Sprintf("(%d rows; ", len(nodes))) {
		t.Fatalf("no counts line:\n%s", table)
	}
	// The next apply resumes and finishes.
	if res := w.apply(nodes, Options{}); res.Err() != nil {
		t.Fatalf("resume: %v\n%s", res.Err(), res.Table())
	}
}

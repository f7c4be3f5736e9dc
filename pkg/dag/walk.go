package dag

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
)

// WalkOptions tune a walk.
type WalkOptions struct {
	// Parallelism caps how many vertices run at once; 0 or less means 10.
	Parallelism int
	// FailFast stops starting new vertices after the first failure; vertices
	// already running finish, the rest are reported in WalkResult.NotRun.
	FailFast bool
	// Priority orders ready vertices: higher first, ties by name. Nil means
	// by name only. CriticalPath makes a good priority.
	Priority func(v string) int
}

// WalkFunc does the work of one vertex. It must honour ctx.
type WalkFunc func(ctx context.Context, v string) error

// WalkResult tells what happened to every vertex of a walk.
type WalkResult struct {
	// Completed lists the vertices whose function returned nil, in the
	// order they finished.
	Completed []string
	// Errors holds root causes: vertices whose own function failed (or that
	// sit on a dependency cycle and could never run).
	Errors map[string]error
	// Skipped holds vertices that did not run because a dependency failed;
	// the value is the failed vertex (a key of Errors) that caused it.
	Skipped map[string]string
	// NotRun lists, sorted, the vertices never started because the walk
	// stopped early (FailFast or a cancelled context).
	NotRun []string
}

// OK reports whether every vertex completed.
func (r *WalkResult) OK() bool {
	return len(r.Errors) == 0 && len(r.Skipped) == 0 && len(r.NotRun) == 0
}

// maxErrorsShown bounds how many root causes Err's message spells out;
// all of them stay reachable through errors.As/Is and WalkResult.Errors.
const maxErrorsShown = 5

// Err summarises the failures as one error (nil when OK). The message names
// the first root causes (by vertex name) and counts the rest; skipped
// vertices are counted, not repeated.
func (r *WalkResult) Err() error {
	if r.OK() {
		return nil
	}
	var parts []string
	keys := sortedErrKeys(r.Errors)
	for i, v := range keys {
		if i == maxErrorsShown {
			parts = append(parts, fmt.Sprintf("and %d more failure(s)", len(keys)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%s: %v", v, r.Errors[v]))
	}
	msg := strings.Join(parts, "; ")
	if n := len(r.Skipped); n > 0 {
		msg += fmt.Sprintf(" (%d dependent(s) skipped)", n)
	}
	if n := len(r.NotRun); n > 0 {
		msg += fmt.Sprintf(" (%d not started)", n)
	}
	errs := make([]error, 0, len(r.Errors))
	for _, v := range sortedErrKeys(r.Errors) {
		errs = append(errs, r.Errors[v])
	}
	return &walkError{msg: strings.TrimSpace(msg), errs: errs}
}

type walkError struct {
	msg  string
	errs []error
}

func (e *walkError) Error() string   { return e.msg }
func (e *walkError) Unwrap() []error { return e.errs }

// Walk calls fn for every vertex, each only after all its dependencies
// returned nil. Vertices whose dependencies are done run at once, up to
// opts.Parallelism at a time, highest opts.Priority first. When a vertex
// fails, everything that depends on it (directly or not) is skipped and
// reported apart from the failure itself; independent vertices go on unless
// opts.FailFast. Vertices on a cycle are reported as errors. A panic in fn
// is recovered and reported as that vertex's error. Walk returns when no
// vertex is running.
func (g *Graph) Walk(ctx context.Context, opts WalkOptions, fn WalkFunc) *WalkResult {
	res := &WalkResult{Errors: map[string]error{}, Skipped: map[string]string{}}
	par := opts.Parallelism
	if par <= 0 {
		par = 10
	}
	prio := opts.Priority
	if prio == nil {
		prio = func(string) int { return 0 }
	}

	// Vertices on a cycle can never become ready: report them up front and
	// let their dependents be skipped like any other failure.
	pending := make(map[string]int, len(g.vertices))
	for v := range g.vertices {
		pending[v] = len(g.dependencies[v])
	}
	var failed []string
	for _, c := range g.Cycles() {
		cerr := &CycleError{Cycles: [][]string{c}}
		for _, v := range c[:len(c)-1] {
			if _, ok := res.Errors[v]; !ok {
				res.Errors[v] = cerr
				failed = append(failed, v)
			}
		}
	}
	done := map[string]bool{}
	for _, v := range failed {
		done[v] = true
	}
	for _, v := range failed {
		g.skipDependents(v, v, res, done)
	}

	q := &readyQueue{prio: prio}
	for _, v := range g.Vertices() {
		if pending[v] == 0 && !done[v] {
			heap.Push(q, v)
		}
	}

	type outcome struct {
		v   string
		err error
	}
	results := make(chan outcome)
	running := 0
	stopped := false
	for {
		if ctx.Err() != nil {
			stopped = true
		}
		for !stopped && running < par && q.Len() > 0 {
			v := heap.Pop(q).(string)
			running++
			go func() {
				results <- outcome{v: v, err: callSafely(ctx, v, fn)}
			}()
		}
		if running == 0 {
			break
		}
		var o outcome
		select {
		case o = <-results:
		case <-ctx.Done():
			stopped = true
			o = <-results
		}
		running--
		done[o.v] = true
		if o.err != nil {
			res.Errors[o.v] = o.err
			g.skipDependents(o.v, o.v, res, done)
			if opts.FailFast {
				stopped = true
			}
			continue
		}
		res.Completed = append(res.Completed, o.v)
		for d := range g.dependents[o.v] {
			pending[d]--
			if pending[d] == 0 && !done[d] {
				heap.Push(q, d)
			}
		}
	}
	for v := range g.vertices {
		if !done[v] {
			res.NotRun = append(res.NotRun, v)
		}
	}
	slices.Sort(res.NotRun)
	return res
}

// skipDependents marks every transitive dependent of v as skipped because of
// root (unless it already finished or was already skipped).
func (g *Graph) skipDependents(v, root string, res *WalkResult, done map[string]bool) {
	for _, d := range g.Dependents(v) {
		if done[d] {
			continue
		}
		done[d] = true
		res.Skipped[d] = root
		g.skipDependents(d, root, res, done)
	}
}

func callSafely(ctx context.Context, v string, fn WalkFunc) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn(ctx, v)
}

// IsCycle reports whether err is or wraps a *CycleError.
func IsCycle(err error) bool {
	var ce *CycleError
	return errors.As(err, &ce)
}

// readyQueue is a max-heap on priority, then min on name.
type readyQueue struct {
	items []string
	prio  func(string) int
}

func (q *readyQueue) Len() int { return len(q.items) }
func (q *readyQueue) Less(i, j int) bool {
	pi, pj := q.prio(q.items[i]), q.prio(q.items[j])
	if pi != pj {
		return pi > pj
	}
	return q.items[i] < q.items[j]
}
func (q *readyQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *readyQueue) Push(x any)    { q.items = append(q.items, x.(string)) }
func (q *readyQueue) Pop() any {
	n := len(q.items) - 1
	v := q.items[n]
	q.items = q.items[:n]
	return v
}

func sortedErrKeys(m map[string]error) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

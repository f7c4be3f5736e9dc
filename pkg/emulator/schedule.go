package emulator

import (
	"container/heap"
	"time"
)

// task is one scheduled status transition. fn runs with the emulator's
// lock held and receives the time the task was due, so timestamps are the
// scheduled ones even when a request processes the task lazily.
type task struct {
	due time.Time
	seq int64
	fn  func(due time.Time)
}

type taskHeap []*task

func (h taskHeap) Len() int { return len(h) }
func (h taskHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].seq < h[j].seq
	}
	return h[i].due.Before(h[j].due)
}
func (h taskHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *taskHeap) Push(x any)   { *h = append(*h, x.(*task)) }
func (h *taskHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return t
}

// after schedules fn to run d (a realistic delay, scaled by Speed) after
// now. e.mu must be held.
func (e *Emulator) after(now time.Time, d time.Duration, fn func(due time.Time)) {
	e.at(now.Add(e.opts.Speed.scale(d)), fn)
}

// at schedules fn at an absolute time (not scaled). e.mu must be held.
func (e *Emulator) at(due time.Time, fn func(due time.Time)) {
	e.taskSeq++
	heap.Push(&e.tasks, &task{due: due, seq: e.taskSeq, fn: fn})
	e.armLocked()
}

// armLocked makes sure a clock timer fires for the earliest task.
func (e *Emulator) armLocked() {
	if len(e.tasks) == 0 || e.closed {
		return
	}
	due := e.tasks[0].due
	if e.timerStop != nil && !e.timerDue.After(due) {
		return
	}
	if e.timerStop != nil {
		e.timerStop()
	}
	e.timerDue = due
	e.timerStop = e.clock.AfterFunc(due.Sub(e.clock.Now()), func() {
		e.mu.Lock()
		e.timerStop = nil
		e.runDueLocked()
		e.mu.Unlock()
	})
}

// runDueLocked runs every task due by now, in order. Tasks may schedule
// further tasks; those due already run in the same pass.
func (e *Emulator) runDueLocked() {
	now := e.clock.Now()
	for len(e.tasks) > 0 && !e.tasks[0].due.After(now) {
		t := heap.Pop(&e.tasks).(*task)
		t.fn(t.due)
	}
	e.armLocked()
}

package dag

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestWalkOrderAndFailures(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name        string
		g           *Graph
		fail        map[string]bool
		failFast    bool
		wantDone    []string // sorted
		wantErrs    []string
		wantSkipped map[string]string
		wantNotRun  []string
	}{
		{
			name:        "all ok",
			g:           build("c>b", "b>a", "d"),
			wantDone:    []string{"a", "b", "c", "d"},
			wantSkipped: map[string]string{},
		},
		{
			name:        "failure skips dependents only",
			g:           build("c>b", "b>a", "e>d", "f>a"),
			fail:        map[string]bool{"b": true},
			wantDone:    []string{"a", "d", "e", "f"},
			wantErrs:    []string{"b"},
			wantSkipped: map[string]string{"c": "b"},
		},
		{
			name:        "transitive skip names root",
			g:           build("d>c", "c>b", "b>a"),
			fail:        map[string]bool{"a": true},
			wantErrs:    []string{"a"},
			wantSkipped: map[string]string{"b": "a", "c": "a", "d": "a"},
		},
		{
			name:        "cycle reported, rest runs",
			g:           build("a>b", "b>a", "c>a", "x"),
			wantDone:    []string{"x"},
			wantErrs:    []string{"a", "b"},
			wantSkipped: map[string]string{"c": "a"},
		},
		{
			name:        "fail fast stops new work",
			g:           build("a", "b", "c", "d"),
			fail:        map[string]bool{"a": true},
			failFast:    true,
			wantErrs:    []string{"a"},
			wantSkipped: map[string]string{},
			wantNotRun:  []string{"b", "c", "d"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			finished := map[string]bool{}
			res := tt.g.Walk(context.Background(), WalkOptions{Parallelism: 1, FailFast: tt.failFast}, func(_ context.Context, v string) error {
				mu.Lock()
				defer mu.Unlock()
				for _, d := range tt.g.Dependencies(v) {
					if !finished[d] {
						t.Errorf("%s ran before its dependency %s", v, d)
					}
				}
				if tt.fail[v] {
					return fmt.Errorf("%s: %w", v, boom)
				}
				finished[v] = true
				return nil
			})
			done := append([]string(nil), res.Completed...)
			sortStrings(done)
			if len(done) == 0 {
				done = nil
			}
			if !reflect.DeepEqual(done, tt.wantDone) {
				t.Errorf("completed %v, want %v", done, tt.wantDone)
			}
			if got := sortedErrKeys(res.Errors); !reflect.DeepEqual(nilIfEmpty(got), tt.wantErrs) {
				t.Errorf("errors %v, want %v", got, tt.wantErrs)
			}
			if !reflect.DeepEqual(res.Skipped, tt.wantSkipped) {
				t.Errorf("skipped %v, want %v", res.Skipped, tt.wantSkipped)
			}
			if !reflect.DeepEqual(res.NotRun, tt.wantNotRun) {
				t.Errorf("not run %v, want %v", res.NotRun, tt.wantNotRun)
			}
			if res.OK() != (len(tt.wantErrs) == 0) {
				t.Errorf("OK() = %v", res.OK())
			}
			if (res.Err() == nil) != res.OK() {
				t.Errorf("Err() = %v with OK() = %v", res.Err(), res.OK())
			}
		})
	}
}

func TestWalkPriorityOrder(t *testing.T) {
	// With one worker, the long chain's head must start before the others.
	g := build("a2>a1", "a3>a2", "b", "c")
	cp := g.CriticalPath()
	var order []string
	g.Walk(context.Background(), WalkOptions{Parallelism: 1, Priority: func(v string) int { return cp[v] }}, func(_ context.Context, v string) error {
		order = append(order, v)
		return nil
	})
	want := []string{"a1", "a2", "a3", "b", "c"}
	if !reflect.DeepEqual(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
}

func TestWalkParallelism(t *testing.T) {
	g := New()
	for i := 0; i < 20; i++ {
		g.AddVertex(fmt.Sprintf("v%02d", i))
	}
	tests := []struct{ par, want int }{{1, 1}, {4, 4}, {50, 20}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.par), func(t *testing.T) {
			var cur, peak atomic.Int32
			gate := make(chan struct{})
			arrived := make(chan struct{}, 20)
			go func() {
				// Release work only once the expected number is running at once.
				for i := 0; i < tt.want; i++ {
					<-arrived
				}
				close(gate)
			}()
			res := g.Walk(context.Background(), WalkOptions{Parallelism: tt.par}, func(_ context.Context, v string) error {
				n := cur.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				arrived <- struct{}{}
				<-gate
				cur.Add(-1)
				return nil
			})
			if !res.OK() || len(res.Completed) != 20 {
				t.Fatalf("result %+v", res)
			}
			if int(peak.Load()) != tt.want {
				t.Fatalf("peak concurrency %d, want %d", peak.Load(), tt.want)
			}
		})
	}
}

func TestWalkCancelAndPanic(t *testing.T) {
	g := build("b>a", "c")
	ctx, cancel := context.WithCancel(context.Background())
	res := g.Walk(ctx, WalkOptions{Parallelism: 1}, func(_ context.Context, v string) error {
		if v == "a" {
			cancel()
		}
		return nil
	})
	if !reflect.DeepEqual(res.NotRun, []string{"b", "c"}) {
		t.Fatalf("not run %v", res.NotRun)
	}
	res = build("x").Walk(context.Background(), WalkOptions{}, func(context.Context, string) error { panic("bad") })
	if res.Errors["x"] == nil {
		t.Fatalf("panic not reported: %+v", res)
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func sortStrings(s []string) {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
}

func TestWalkErrMessageIsBounded(t *testing.T) {
	g := New()
	for i := 0; i < 12; i++ {
		g.AddVertex(fmt.Sprintf("v%02d", i))
	}
	res := g.Walk(context.Background(), WalkOptions{}, func(_ context.Context, v string) error { return errors.New("boom") })
	msg := res.Err().Error()
	if !strings.Contains(msg, "v04: boom; and 7 more failure(s)") || strings.Contains(msg, "v05") {
		t.Fatalf("message %q", msg)
	}
	if !errors.Is(res.Err(), res.Errors["v11"]) {
		t.Fatal("unshown errors are not reachable with errors.Is")
	}
}

package executor

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func fastWait() WaitOptions {
	return WaitOptions{PollMin: time.Millisecond, PollMax: 4 * time.Millisecond, StreamGrace: time.Hour}
}

func TestWaitPolling(t *testing.T) {
	tests := []struct {
		name     string
		kind     string
		statuses []string // successive statuses the remote reports
		want     []string
		wantErr  string
		timeout  time.Duration
	}{
		{"already past", "accounts", []string{"ACTIVE"}, []string{"APPROVED"}, "", 0},
		{"progresses", "accounts", []string{"SUBMITTED", "APPROVAL_PENDING", "APPROVED"}, []string{"APPROVED"}, "", 0},
		{"failure ends wait", "accounts", []string{"SUBMITTED", "REJECTED"}, []string{"ACTIVE"}, "reached REJECTED while waiting for ACTIVE", 0},
		{"timeout names last status", "transfers", []string{"QUEUED"}, []string{"COMPLETE"}, "timed out after 20ms waiting for COMPLETE (last status QUEUED)", 20 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newFakeRemote()
			r.put(tt.kind, "id1", tt.statuses[0])
			w := NewWatcher(r, fastWait())
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, s := range tt.statuses[1:] {
					time.Sleep(2 * time.Millisecond)
					r.put(tt.kind, "id1", s)
				}
			}()
			got, err := w.Wait(ctx, WaitTarget{Address: "accounts.a", Kind: tt.kind, ID: "id1"}, tt.want, tt.timeout)
			wg.Wait()
			if tt.wantErr != "" {
				var we *WaitError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &we) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if LifecycleOf(tt.kind).Check(got, tt.want) != Met {
				t.Fatalf("returned status %s does not meet %v", got, tt.want)
			}
		})
	}
}

func TestWaitListsOnceForManyWaiters(t *testing.T) {
	r := newFakeRemote()
	r.listable["accounts"] = true
	for _, id := range []string{"a", "b", "c", "d"} {
		r.put("accounts", id, "ACTIVE")
	}
	w := NewWatcher(r, fastWait())
	// Seed the cache with one list, as the first waiter does.
	if _, err := w.Wait(context.Background(), WaitTarget{Address: "x", Kind: "accounts", ID: "a"}, []string{"ACTIVE"}, 0); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"b", "c", "d"} {
		if _, err := w.Wait(context.Background(), WaitTarget{Address: id, Kind: "accounts", ID: id}, []string{"ACTIVE"}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.lists.Load(); got != 1 {
		t.Fatalf("lists = %d, want 1 (one list serves every waiter)", got)
	}
	if got := r.gets.Load(); got != 0 {
		t.Fatalf("gets = %d, want 0", got)
	}
}

func TestObserveNeverRegresses(t *testing.T) {
	w := NewWatcher(newFakeRemote(), fastWait())
	steps := []struct{ kind, status, want string }{
		{"accounts", "ACTIVE", "ACTIVE"},                 // the stream was first
		{"accounts", "SUBMITTED", "ACTIVE"},              // the create's late response
		{"accounts", "ACCOUNT_CLOSED", "ACCOUNT_CLOSED"}, // failures always count
		{"accounts", "ACTIVE", "ACCOUNT_CLOSED"},         // and are final
	}
	for i, s := range steps {
		w.Observe(s.kind, "a", s.status)
		if got := w.Status("a"); got != s.want {
			t.Fatalf("step %d: status %s, want %s", i, got, s.want)
		}
	}
	w.ObserveFields("a", Object{"account_number": "123"}, true)
	w.ObserveFields("a", Object{"account_number": nil}, false)
	if got := w.Merge("a", Object{})["account_number"]; got != "123" {
		t.Fatalf("account_number %v", got)
	}
}

func TestWaitUsesStream(t *testing.T) {
	r := newFakeRemote()
	r.events = make(chan StatusEvent, 4)
	r.put("journals", "j1", "queued")
	w := NewWatcher(r, fastWait())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w.Start(ctx, time.Now())
	w.ensureStream("journals")
	r.events <- StatusEvent{Kind: "journals", ID: "other", Status: "queued"} // marks the stream live
	for !w.Connected("journals") {
		time.Sleep(time.Millisecond)
	}
	w.Observe("journals", "j1", "queued") // the create's response, as the engine records it
	go func() { r.events <- StatusEvent{Kind: "journals", ID: "j1", Status: "executed"} }()
	st, err := w.Wait(ctx, WaitTarget{Address: "journals.j", Kind: "journals", ID: "j1"}, []string{"executed"}, time.Second)
	if err != nil || st != "executed" {
		t.Fatalf("status %s err %v", st, err)
	}
	if r.Requests() != 0 {
		t.Fatalf("stream-fed wait sent %d requests, want 0", r.Requests())
	}
}

func TestWaitRetriesFailedPolls(t *testing.T) {
	r := newFakeRemote()
	r.put("accounts", "a", "ACTIVE")
	r.getErrs = 2
	w := NewWatcher(r, fastWait())
	st, err := w.Wait(context.Background(), WaitTarget{Address: "accounts.a", Kind: "accounts", ID: "a"}, []string{"ACTIVE"}, time.Second)
	if err != nil || st != "ACTIVE" {
		t.Fatalf("status %s err %v", st, err)
	}
	// A vanished object ends the wait at once.
	_, err = w.Wait(context.Background(), WaitTarget{Address: "accounts.b", Kind: "accounts", ID: "b"}, []string{"ACTIVE"}, time.Second)
	if !errors.Is(err, ErrGone) {
		t.Fatalf("err %v, want ErrGone", err)
	}
}

package executor

import (
	"context"
	"testing"
	"time"
)

// A failure event replayed from before this run's request (the account
// stream replays the whole UTC day) must not end the wait on the
// resubmitted object; without Since it would.
func TestWaitIgnoresEventsBeforeRequest(t *testing.T) {
	for _, tc := range []struct {
		name  string
		since bool
		ok    bool
	}{{"request marked", true, true}, {"unmarked", false, false}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newFakeRemote()
			r.events = make(chan StatusEvent, 4)
			r.put("accounts", "a1", "SUBMITTED")
			w := NewWatcher(r, fastWait())
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w.Start(ctx, time.Now())
			sent := time.Date(2026, 11, 25, 10, 10, 57, 0, time.UTC)
			if tc.since {
				w.Since("a1", sent)
			}
			w.Observe("accounts", "a1", "SUBMITTED") // the PATCH response
			w.ensureStream("accounts")
			r.events <- StatusEvent{Kind: "accounts", ID: "a1", Status: "ACTION_REQUIRED", At: sent.Add(-40 * time.Millisecond)}
			for !w.Connected("accounts") {
				time.Sleep(time.Millisecond)
			}
			go func() {
				r.events <- StatusEvent{Kind: "accounts", ID: "a1", Status: "APPROVED", At: sent.Add(10 * time.Millisecond)}
				r.events <- StatusEvent{Kind: "accounts", ID: "a1", Status: "ACTIVE", At: sent.Add(20 * time.Millisecond)}
			}()
			st, err := w.Wait(ctx, WaitTarget{Address: "accounts.bob", Kind: "accounts", ID: "a1"}, []string{"ACTIVE"}, 2*time.Second)
			if tc.ok && (err != nil || st != "ACTIVE") {
				t.Fatalf("status %s err %v, want ACTIVE", st, err)
			}
			if !tc.ok && err == nil {
				t.Fatalf("status %s: the replayed failure was expected to end the unmarked wait", st)
			}
		})
	}
}

// The fix-and-reapply way out of ACTION_REQUIRED, with event streams on:
// the PATCH resubmits the account, the wait ends ACTIVE and the
// dependents are created.
func TestE2EFixActionRequiredThenReapply(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the emulator on the wall clock")
	}
	w := newRealWorld(t, 100)
	opts := func() Options {
		return Options{Wait: WaitOptions{PollMin: 20 * time.Millisecond, PollMax: 100 * time.Millisecond, StreamGrace: 10 * time.Second}}
	}
	nodes := func(family, hash string) []*Node {
		ns := seed("rex")
		ns[0].Hash = hash
		ns[0].Render = func(LookupFunc) (Object, string, error) {
			b := accountBody("rex@example.com")
			b["identity"].(map[string]any)["family_name"] = family
			return b, "", nil
		}
		return ns
	}
	res := w.apply(nodes("Action_Required", "h1"), opts())
	if res.Err() == nil {
		t.Fatalf("first apply succeeded:\n%s", res.Table())
	}
	res = w.apply(nodes("Fixed", "h2"), opts())
	if err := res.Err(); err != nil {
		t.Fatalf("re-apply after the fix: %v\n%s", err, res.Table())
	}
	if res.Summary.Change != 1 || res.Summary.Add != 4 {
		t.Fatalf("summary %+v, want 1 changed, 4 added\n%s", res.Summary, res.Table())
	}
}

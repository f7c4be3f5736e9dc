package state

import (
	"context"
	"testing"
)

func TestRunHistory(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		ctx := context.Background()
		b := openBackend(t, bk.newDSN(t))
		h, ok := b.(RunHistory)
		if !ok {
			t.Fatalf("%T does not implement RunHistory", b)
		}
		first := testLockInfo("first")
		w, err := b.Lock(ctx, "default", first, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		dying := testLockInfo("dying")
		dying.Operation = "destroy"
		w, err = b.Lock(ctx, "default", dying, 0)
		if err != nil {
			t.Fatal(err)
		}
		simulateDeath(t, w)
		lockWorkspace(t, b, "default", testLockInfo("current"))
		lockWorkspace(t, b, "other", testLockInfo("elsewhere"))

		runs, err := h.Runs(ctx, "default", 10)
		if err != nil {
			t.Fatal(err)
		}
		type row struct{ lock, op, result string }
		want := []row{{"current", "apply", "running"}, {"dying", "destroy", "interrupted"}, {"first", "apply", "finished"}}
		if len(runs) != len(want) {
			t.Fatalf("runs = %+v", runs)
		}
		for i, r := range runs {
			if (row{r.LockID, r.Operation, r.Result}) != want[i] || r.Workspace != "default" || !r.Started.Equal(first.Created) {
				t.Errorf("run %d = %+v, want %+v", i, r, want[i])
			}
			if r.Finished.IsZero() != (r.Result == "running") {
				t.Errorf("run %d: finished %v with result %s", i, r.Finished, r.Result)
			}
		}
		if runs, _ := h.Runs(ctx, "default", 1); len(runs) != 1 || runs[0].LockID != "current" {
			t.Errorf("limit 1: %+v", runs)
		}
	})
}

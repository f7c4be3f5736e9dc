package state

import (
	"context"
	"time"
)

// pollLock calls try until it reports the lock taken, try fails, ctx ends or
// timeout passes (try is always called at least once). Waits start at 10ms
// and double up to 500ms. It reports whether the lock was taken.
func pollLock(ctx context.Context, timeout time.Duration, try func() (bool, error)) (bool, error) {
	deadline := time.Now().Add(timeout)
	wait := 10 * time.Millisecond
	for {
		ok, err := try()
		if err != nil || ok {
			return ok, err
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return false, nil
		}
		d := min(wait, remaining)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, 500*time.Millisecond)
	}
}

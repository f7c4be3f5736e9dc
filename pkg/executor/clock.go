package executor

import "time"

// Clock tells the time. Tests share the emulator's fake clock with the
// executor so intent times and created_at compare on one timeline.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

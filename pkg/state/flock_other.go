//go:build !unix

package state

import (
	"errors"
	"os"
)

// tryFlock is not implemented off Unix: SQLite state needs flock(2).
func tryFlock(path string) (*os.File, error) {
	return nil, errors.New("SQLite state locking needs flock(2), available on Linux, macOS and the BSDs; use PostgreSQL state on this platform")
}

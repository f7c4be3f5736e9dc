//go:build unix

package state

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// tryFlock opens path (creating it 0600) and takes an exclusive flock(2) on
// it without blocking. It returns nil, nil when another open file holds the
// lock. The kernel releases the lock when the file is closed or the process
// dies, however it dies.
func tryFlock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err == nil {
		return f, nil
	}
	f.Close()
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil, nil
	}
	return nil, fmt.Errorf("lock %s: %w", path, err)
}

package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// snapshotVersion is bumped when the persistence format changes.
const snapshotVersion = 1

// snapshot is the DataFile format: the whole state plus the event logs, so
// SSE replay with since=... still works after a restart.
type snapshot struct {
	Version int       `json:"version"`
	SavedAt time.Time `json:"saved_at"`
	State   *state    `json:"state"`
	Events  [][]event `json:"events"`
}

// Save writes a snapshot to Options.DataFile atomically (a temporary file
// in the same directory, fsynced, renamed over the old one, mode 0600).
func (e *Emulator) Save(ctx context.Context) error {
	if e.opts.DataFile == "" {
		return errors.New("save: no data file configured")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	e.mu.Lock()
	b, err := json.Marshal(snapshot{Version: snapshotVersion, SavedAt: e.clock.Now(), State: e.st, Events: e.hub.snapshot()})
	e.mu.Unlock()
	if err != nil {
		return fmt.Errorf("save %s: %w", e.opts.DataFile, err)
	}
	return writeFileAtomic(e.opts.DataFile, b)
}

func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	name := tmp.Name()
	defer os.Remove(name) // no-op once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

// load reads path into the emulator; a missing file is not an error.
func (e *Emulator) load(path string) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load %s: %w", path, err)
	}
	var snap snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return false, fmt.Errorf("load %s: not an emulator data file: %w", path, err)
	}
	if snap.Version != snapshotVersion || snap.State == nil {
		return false, fmt.Errorf("load %s: unsupported data file version %d (want %d)", path, snap.Version, snapshotVersion)
	}
	snap.State.index()
	e.st = snap.State
	e.hub.restore(snap.Events)
	return true, nil
}

// resumeLocked reschedules the transitions of everything loaded in a
// non-final status (timers are not persisted, the statuses are).
func (e *Emulator) resumeLocked() {
	now := e.clock.Now()
	for _, a := range e.st.Accounts {
		e.scheduleAccountLocked(a, now)
	}
	for _, x := range e.st.ACH {
		if x.Status == relQueued {
			e.scheduleRelationshipLocked(x.ID, "", now)
		}
	}
	for _, b := range e.st.Banks {
		if b.Status == relQueued {
			e.scheduleBankLocked(b.ID, now)
		}
	}
	for _, t := range e.st.Transfers {
		e.scheduleTransferLocked(t, now)
	}
	for _, j := range e.st.Journals {
		e.scheduleJournalLocked(j, now)
	}
	for _, o := range e.st.Orders {
		e.scheduleOrderLocked(o, now)
	}
}

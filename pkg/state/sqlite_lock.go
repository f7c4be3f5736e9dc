package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// ErrHolderAlive is returned by the SQLite ForceUnlock when the lock's holder
// is still running: its lock goes away when it exits.
var ErrHolderAlive = errors.New("lock holder is still running")

func (b *sqliteBackend) lockPath(workspace string) string {
	return b.path + "." + workspace + ".lock"
}

// fillLockInfo gives info an ID and a creation time if it lacks them.
func fillLockInfo(info LockInfo) LockInfo {
	if info.ID == "" {
		info.ID = strings.ToLower(ulid.Make().String())
	}
	if info.Created.IsZero() {
		info.Created = time.Now()
	}
	info.Created = info.Created.UTC().Truncate(time.Microsecond)
	return info
}

func (b *sqliteBackend) Lock(ctx context.Context, workspace string, info LockInfo, timeout time.Duration) (Workspace, error) {
	if err := ValidateWorkspace(workspace); err != nil {
		return nil, err
	}
	info = fillLockInfo(info)
	var f *os.File
	ok, err := pollLock(ctx, timeout, func() (bool, error) {
		var err error
		f, err = tryFlock(b.lockPath(workspace))
		return f != nil, err
	})
	if err != nil {
		return nil, fmt.Errorf("lock workspace %s: %w", workspace, err)
	}
	if !ok {
		holder, err := b.lockRow(ctx, workspace)
		if err != nil {
			return nil, fmt.Errorf("lock workspace %s: %w", workspace, err)
		}
		return nil, &LockedError{Workspace: workspace, Holder: holder}
	}
	runID, err := b.recordLock(ctx, workspace, info)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock workspace %s: %w", workspace, err)
	}
	return &sqliteWorkspace{sqliteView: sqliteView{b: b, ws: workspace}, file: f, info: info, runID: runID}, nil
}

// recordLock writes the holder's identity, replacing a record left by a
// holder that died, and starts a run.
func (b *sqliteBackend) recordLock(ctx context.Context, workspace string, info LockInfo) (int64, error) {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	now := fmtTime(time.Now())
	if _, err := tx.ExecContext(ctx, `UPDATE runs SET finished_at = ?, result = 'interrupted'
		WHERE workspace = ? AND finished_at IS NULL`, now, workspace); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO locks (workspace, id, operation, who, host, pid, version, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, workspace, info.ID, info.Operation, info.Who, info.Host, info.PID, info.Version, fmtTime(info.Created)); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO runs (workspace, lock_id, operation, started_at, result) VALUES (?, ?, ?, ?, 'running')`,
		workspace, info.ID, info.Operation, fmtTime(info.Created))
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	return id, tx.Commit()
}

// lockRow reads the recorded holder; nil if there is no record.
func (b *sqliteBackend) lockRow(ctx context.Context, workspace string) (*LockInfo, error) {
	var li LockInfo
	var created string
	err := b.db.QueryRowContext(ctx, `SELECT id, operation, who, host, pid, version, created_at FROM locks WHERE workspace = ?`, workspace).
		Scan(&li.ID, &li.Operation, &li.Who, &li.Host, &li.PID, &li.Version, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lock holder: %w", err)
	}
	if li.Created, err = parseTime(created); err != nil {
		return nil, err
	}
	return &li, nil
}

func (b *sqliteBackend) LockHolder(ctx context.Context, workspace string) (*LockInfo, error) {
	if err := ValidateWorkspace(workspace); err != nil {
		return nil, err
	}
	f, err := tryFlock(b.lockPath(workspace))
	if err != nil {
		return nil, fmt.Errorf("workspace %s: %w", workspace, err)
	}
	if f != nil { // nobody holds it; a leftover record is stale
		f.Close()
		return nil, nil
	}
	li, err := b.lockRow(ctx, workspace)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: %w", workspace, err)
	}
	if li == nil { // the holder has the file lock but has not written its record yet
		li = &LockInfo{Who: "unknown", Host: "unknown", Operation: "unknown"}
	}
	return li, nil
}

func (b *sqliteBackend) ForceUnlock(ctx context.Context, workspace, lockID string) error {
	if err := ValidateWorkspace(workspace); err != nil {
		return err
	}
	li, err := b.lockRow(ctx, workspace)
	if err != nil {
		return fmt.Errorf("unlock workspace %s: %w", workspace, err)
	}
	if li == nil {
		return fmt.Errorf("unlock workspace %s: %w with ID %s", workspace, ErrNoLock, lockID)
	}
	if li.ID != lockID {
		return fmt.Errorf("unlock workspace %s: %w with ID %s (the lock's ID is %s)", workspace, ErrNoLock, lockID, li.ID)
	}
	f, err := tryFlock(b.lockPath(workspace))
	if err != nil {
		return fmt.Errorf("unlock workspace %s: %w", workspace, err)
	}
	if f == nil {
		return fmt.Errorf("unlock workspace %s: %w: %s@%s pid %d (operation %s) holds it; a SQLite lock is released as soon as its holder exits, so stop that process",
			workspace, ErrHolderAlive, li.Who, li.Host, li.PID, li.Operation)
	}
	defer f.Close()
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("unlock workspace %s: %w", workspace, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM locks WHERE workspace = ? AND id = ?`, workspace, lockID); err != nil {
		return fmt.Errorf("unlock workspace %s: %w", workspace, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE runs SET finished_at = ?, result = 'interrupted' WHERE workspace = ? AND lock_id = ? AND finished_at IS NULL`,
		fmtTime(time.Now()), workspace, lockID); err != nil {
		return fmt.Errorf("unlock workspace %s: %w", workspace, err)
	}
	return tx.Commit()
}

// sqliteWorkspace is a locked SQLite workspace.
type sqliteWorkspace struct {
	sqliteView
	info  LockInfo
	runID int64

	mu     sync.Mutex
	file   *os.File // holds the flock; nil once closed
	closed bool
}

func (w *sqliteWorkspace) check() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("workspace %s: lock already released", w.ws)
	}
	return nil
}

func (w *sqliteWorkspace) Put(ctx context.Context, r Record) error {
	if err := w.check(); err != nil {
		return err
	}
	if err := prepare(&r, time.Now()); err != nil {
		return fmt.Errorf("workspace %s: put: %w", w.ws, err)
	}
	_, err := w.b.db.ExecContext(ctx, `INSERT OR REPLACE INTO records (workspace, `+recordColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.ws, r.Address, r.Kind, string(r.Phase), r.RemoteID, r.AccountID, r.IdempotencyKey, r.SpecHash,
		r.Status, nullJSON(r.Object), nullJSON(r.Request), encodeDeps(r.Dependencies), r.Error,
		fmtTime(r.IntentAt), fmtTime(r.UpdatedAt))
	if err != nil {
		return fmt.Errorf("workspace %s: put %s: %w", w.ws, r.Address, err)
	}
	return nil
}

func (w *sqliteWorkspace) Delete(ctx context.Context, addr string) error {
	if err := w.check(); err != nil {
		return err
	}
	if _, err := w.b.db.ExecContext(ctx, `DELETE FROM records WHERE workspace = ? AND address = ?`, w.ws, addr); err != nil {
		return fmt.Errorf("workspace %s: delete %s: %w", w.ws, addr, err)
	}
	return nil
}

func (w *sqliteWorkspace) SetOutputs(ctx context.Context, outputs map[string]json.RawMessage) error {
	if err := w.check(); err != nil {
		return err
	}
	if err := validateOutputs(outputs); err != nil {
		return fmt.Errorf("workspace %s: set outputs: %w", w.ws, err)
	}
	tx, err := w.b.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("workspace %s: set outputs: %w", w.ws, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM outputs WHERE workspace = ?`, w.ws); err != nil {
		return fmt.Errorf("workspace %s: set outputs: %w", w.ws, err)
	}
	for name, value := range outputs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO outputs (workspace, name, value) VALUES (?, ?, ?)`, w.ws, name, []byte(value)); err != nil {
			return fmt.Errorf("workspace %s: set output %s: %w", w.ws, name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("workspace %s: set outputs: %w", w.ws, err)
	}
	return nil
}

func (w *sqliteWorkspace) ImportSalt(ctx context.Context, salt []byte) error {
	if err := w.check(); err != nil {
		return err
	}
	if len(salt) != SaltSize {
		return fmt.Errorf("workspace %s: import salt: want %d bytes, got %d", w.ws, SaltSize, len(salt))
	}
	if _, err := w.b.db.ExecContext(ctx, `INSERT INTO workspaces (name, salt, created_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET salt = excluded.salt`, w.ws, salt, fmtTime(time.Now())); err != nil {
		return fmt.Errorf("workspace %s: import salt: %w", w.ws, err)
	}
	return nil
}

// Close removes the holder record, ends the run and releases the flock.
func (w *sqliteWorkspace) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err1 := w.b.db.ExecContext(ctx, `DELETE FROM locks WHERE workspace = ? AND id = ?`, w.ws, w.info.ID)
	_, err2 := w.b.db.ExecContext(ctx, `UPDATE runs SET finished_at = ?, result = 'finished' WHERE id = ?`, fmtTime(time.Now()), w.runID)
	err3 := w.file.Close()
	w.file = nil
	if err := errors.Join(err1, err2, err3); err != nil {
		return fmt.Errorf("workspace %s: release lock: %w", w.ws, err)
	}
	return nil
}

package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// heldByExpr is true when the session advisory lock on bigint key $K is
// granted to backend pid $P (any pid when $P is NULL) in this database.
// A bigint key is stored as classid = high 32 bits, objid = low 32 bits,
// objsubid = 1.
const heldByExpr = `EXISTS (SELECT 1 FROM pg_locks p
	WHERE p.locktype = 'advisory' AND p.granted AND p.objsubid = 1
	AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database())
	AND p.classid::bigint = (($K::bigint >> 32) & 4294967295)
	AND p.objid::bigint = ($K::bigint & 4294967295)
	AND ($P::int IS NULL OR p.pid = $P::int))`

func (b *pgBackend) Lock(ctx context.Context, workspace string, info LockInfo, timeout time.Duration) (Workspace, error) {
	if err := ValidateWorkspace(workspace); err != nil {
		return nil, err
	}
	info = fillLockInfo(info)
	key := b.lockKey(workspace)
	// The lock lives on this connection, and only this one, until Close:
	// a pooled connection could be handed to someone else with it.
	conn, err := b.connect(ctx, "brokerctl lock "+workspace)
	if err != nil {
		return nil, fmt.Errorf("lock workspace %s: %w", workspace, err)
	}
	// Put must be durable when it returns, whatever the server's default.
	if _, err := conn.Exec(ctx, `SET synchronous_commit = on`); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("lock workspace %s: %w", workspace, err)
	}
	// An apply may sit idle for minutes while it waits on the Broker API; a
	// server-side idle_session_timeout (PostgreSQL 14+) must not end the
	// session that holds the lock. Older servers lack the setting: ignore.
	conn.Exec(ctx, `SET idle_session_timeout = 0`)
	ok, err := pollLock(ctx, timeout, func() (bool, error) {
		var got bool
		err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got)
		return got, err
	})
	if err != nil || !ok {
		defer conn.Close(context.Background())
		if err != nil {
			return nil, fmt.Errorf("lock workspace %s: %w", workspace, err)
		}
		holder, err := b.lockRow(ctx, conn, workspace)
		if err != nil {
			return nil, fmt.Errorf("lock workspace %s: %w", workspace, err)
		}
		return nil, &LockedError{Workspace: workspace, Holder: holder}
	}
	runID, err := b.recordLock(ctx, conn, workspace, info, key)
	if err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("lock workspace %s: %w", workspace, err)
	}
	s := &pgSession{conn: conn}
	return &pgWorkspace{pgView: pgView{b: b, s: s, ws: workspace}, info: info, key: key, runID: runID}, nil
}

// recordLock writes the holder's identity (replacing one left by a holder
// whose session ended) and starts a run.
func (b *pgBackend) recordLock(ctx context.Context, conn *pgx.Conn, workspace string, info LockInfo, key int64) (int64, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, b.sql(`UPDATE {s}.runs SET finished_at = now(), result = 'interrupted'
		WHERE workspace = $1 AND finished_at IS NULL`), workspace); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, b.sql(`INSERT INTO {s}.locks (workspace, id, operation, who, host, pid, version, created_at, lock_key, backend_pid)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, pg_backend_pid())
		ON CONFLICT (workspace) DO UPDATE SET id = excluded.id, operation = excluded.operation, who = excluded.who,
			host = excluded.host, pid = excluded.pid, version = excluded.version, created_at = excluded.created_at,
			lock_key = excluded.lock_key, backend_pid = excluded.backend_pid`),
		workspace, info.ID, info.Operation, info.Who, info.Host, info.PID, info.Version, info.Created, key); err != nil {
		return 0, err
	}
	var runID int64
	if err := tx.QueryRow(ctx, b.sql(`INSERT INTO {s}.runs (workspace, lock_id, operation, started_at, result)
		VALUES ($1, $2, $3, $4, 'running') RETURNING id`), workspace, info.ID, info.Operation, info.Created).Scan(&runID); err != nil {
		return 0, err
	}
	return runID, tx.Commit(ctx)
}

// pgLockRow is the recorded holder of a workspace lock.
type pgLockRow struct {
	LockInfo
	backendPID int32
	live       bool // the recorded session still holds the advisory lock
}

func (b *pgBackend) readLockRow(ctx context.Context, conn *pgx.Conn, workspace string) (*pgLockRow, error) {
	var r pgLockRow
	var pid int32
	q := `SELECT id, operation, who, host, pid, version, created_at, backend_pid,
		` + heldByExpr + ` FROM {s}.locks l WHERE workspace = $1`
	q = replaceParams(q, "$2", "l.backend_pid")
	err := conn.QueryRow(ctx, b.sql(q), workspace, b.lockKey(workspace)).
		Scan(&r.ID, &r.Operation, &r.Who, &r.Host, &pid, &r.Version, &r.Created, &r.backendPID, &r.live)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lock holder: %w", err)
	}
	r.PID = int(pid)
	r.Created = r.Created.UTC()
	return &r, nil
}

// replaceParams puts key ($2) and pid expressions into heldByExpr.
func replaceParams(q, key, pid string) string {
	out := []byte{}
	for i := 0; i < len(q); i++ {
		if q[i] == '$' && i+1 < len(q) && (q[i+1] == 'K' || q[i+1] == 'P') {
			if q[i+1] == 'K' {
				out = append(out, key...)
			} else {
				out = append(out, pid...)
			}
			i++
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}

// lockRow returns the holder a blocked Lock reports: nil unless the
// recorded session still holds the lock (the current holder may not have
// written its record yet, replacing one left by a dead holder).
func (b *pgBackend) lockRow(ctx context.Context, conn *pgx.Conn, workspace string) (*LockInfo, error) {
	r, err := b.readLockRow(ctx, conn, workspace)
	if err != nil || r == nil || !r.live {
		return nil, err
	}
	return &r.LockInfo, nil
}

func (b *pgBackend) LockHolder(ctx context.Context, workspace string) (*LockInfo, error) {
	if err := ValidateWorkspace(workspace); err != nil {
		return nil, err
	}
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	r, err := b.readLockRow(ctx, b.s.conn, workspace)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: %w", workspace, err)
	}
	if r != nil && r.live {
		return &r.LockInfo, nil
	}
	// No live record: someone may hold the lock and not have written theirs yet.
	var held bool
	q := replaceParams(`SELECT `+heldByExpr, "$1", "NULL")
	if err := b.s.conn.QueryRow(ctx, q, b.lockKey(workspace)).Scan(&held); err != nil {
		return nil, fmt.Errorf("workspace %s: read lock: %w", workspace, err)
	}
	if held {
		return &LockInfo{Who: "unknown", Host: "unknown", Operation: "unknown"}, nil
	}
	return nil, nil
}

func (b *pgBackend) ForceUnlock(ctx context.Context, workspace, lockID string) error {
	if err := ValidateWorkspace(workspace); err != nil {
		return err
	}
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	conn := b.s.conn
	r, err := b.readLockRow(ctx, conn, workspace)
	if err != nil {
		return fmt.Errorf("unlock workspace %s: %w", workspace, err)
	}
	if r == nil {
		return fmt.Errorf("unlock workspace %s: %w with ID %s", workspace, ErrNoLock, lockID)
	}
	if r.ID != lockID {
		return fmt.Errorf("unlock workspace %s: %w with ID %s (the lock's ID is %s)", workspace, ErrNoLock, lockID, r.ID)
	}
	key := b.lockKey(workspace)
	if r.live {
		// Terminate the holder's session only if it still holds this lock,
		// checked in the same statement, so a reused pid is never hit.
		q := replaceParams(`SELECT pg_terminate_backend($2) WHERE `+heldByExpr, "$1", "$2")
		if _, err := conn.Exec(ctx, q, key, r.backendPID); err != nil {
			return fmt.Errorf("unlock workspace %s: terminate holder session %d: %w", workspace, r.backendPID, err)
		}
		// Termination is asynchronous: wait until the lock is gone.
		q = replaceParams(`SELECT `+heldByExpr, "$1", "$2")
		released, err := pollLock(ctx, 10*time.Second, func() (bool, error) {
			var held bool
			err := conn.QueryRow(ctx, q, key, r.backendPID).Scan(&held)
			return !held, err
		})
		if err != nil {
			return fmt.Errorf("unlock workspace %s: %w", workspace, err)
		}
		if !released {
			return fmt.Errorf("unlock workspace %s: session %d still holds the lock after being terminated", workspace, r.backendPID)
		}
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("unlock workspace %s: %w", workspace, err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, b.sql(`DELETE FROM {s}.locks WHERE workspace = $1 AND id = $2`), workspace, lockID); err != nil {
		return fmt.Errorf("unlock workspace %s: %w", workspace, err)
	}
	if _, err := tx.Exec(ctx, b.sql(`UPDATE {s}.runs SET finished_at = now(), result = 'interrupted'
		WHERE workspace = $1 AND lock_id = $2 AND finished_at IS NULL`), workspace, lockID); err != nil {
		return fmt.Errorf("unlock workspace %s: %w", workspace, err)
	}
	return tx.Commit(ctx)
}

// pgWorkspace is a locked workspace: every read and write goes through the
// session that holds the advisory lock, so a session that was terminated
// (ForceUnlock) or lost can no longer write.
type pgWorkspace struct {
	pgView
	info   LockInfo
	key    int64
	runID  int64
	closed bool // guarded by s.mu
}

func (w *pgWorkspace) exec(ctx context.Context, what string, f func(conn *pgx.Conn) error) error {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if w.closed {
		return fmt.Errorf("workspace %s: %s: lock already released", w.ws, what)
	}
	if err := f(w.s.conn); err != nil {
		return fmt.Errorf("workspace %s: %s: %w", w.ws, what, err)
	}
	return nil
}

func (w *pgWorkspace) Put(ctx context.Context, r Record) error {
	if err := prepare(&r, time.Now()); err != nil {
		return fmt.Errorf("workspace %s: put: %w", w.ws, err)
	}
	deps := r.Dependencies
	if deps == nil {
		deps = []string{}
	}
	return w.exec(ctx, "put "+r.Address, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, w.b.sql(`INSERT INTO {s}.records (workspace, `+recordColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
			ON CONFLICT (workspace, address) DO UPDATE SET kind = excluded.kind, phase = excluded.phase,
				remote_id = excluded.remote_id, account_id = excluded.account_id, idempotency_key = excluded.idempotency_key,
				spec_hash = excluded.spec_hash, status = excluded.status, object = excluded.object, request = excluded.request,
				dependencies = excluded.dependencies, error = excluded.error, intent_at = excluded.intent_at, updated_at = excluded.updated_at`),
			w.ws, r.Address, r.Kind, string(r.Phase), r.RemoteID, r.AccountID, r.IdempotencyKey, r.SpecHash,
			r.Status, jsonArg(r.Object), jsonArg(r.Request), deps, r.Error, r.IntentAt, r.UpdatedAt)
		return err
	})
}

// jsonArg sends raw JSON as text (NULL when empty) so the server keeps it verbatim.
func jsonArg(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}

func (w *pgWorkspace) Delete(ctx context.Context, addr string) error {
	return w.exec(ctx, "delete "+addr, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, w.b.sql(`DELETE FROM {s}.records WHERE workspace = $1 AND address = $2`), w.ws, addr)
		return err
	})
}

func (w *pgWorkspace) SetOutputs(ctx context.Context, outputs map[string]json.RawMessage) error {
	if err := validateOutputs(outputs); err != nil {
		return fmt.Errorf("workspace %s: set outputs: %w", w.ws, err)
	}
	return w.exec(ctx, "set outputs", func(conn *pgx.Conn) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, w.b.sql(`DELETE FROM {s}.outputs WHERE workspace = $1`), w.ws); err != nil {
				return err
			}
			for name, value := range outputs {
				if _, err := tx.Exec(ctx, w.b.sql(`INSERT INTO {s}.outputs (workspace, name, value) VALUES ($1, $2, $3::json)`), w.ws, name, string(value)); err != nil {
					return fmt.Errorf("output %s: %w", name, err)
				}
			}
			return nil
		})
	})
}

func (w *pgWorkspace) ImportSalt(ctx context.Context, salt []byte) error {
	if len(salt) != SaltSize {
		return fmt.Errorf("workspace %s: import salt: want %d bytes, got %d", w.ws, SaltSize, len(salt))
	}
	return w.exec(ctx, "import salt", func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, w.b.sql(`INSERT INTO {s}.workspaces (name, salt) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET salt = excluded.salt`), w.ws, salt)
		return err
	})
}

// Close removes the holder record, ends the run, unlocks and closes the
// session (closing alone would release the lock too).
func (w *pgWorkspace) Close() error {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn := w.s.conn
	_, err1 := conn.Exec(ctx, w.b.sql(`DELETE FROM {s}.locks WHERE workspace = $1 AND id = $2`), w.ws, w.info.ID)
	_, err2 := conn.Exec(ctx, w.b.sql(`UPDATE {s}.runs SET finished_at = now(), result = 'finished' WHERE id = $1`), w.runID)
	_, err3 := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, w.key)
	err4 := conn.Close(ctx)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return fmt.Errorf("workspace %s: release lock: %w", w.ws, err)
	}
	return nil
}

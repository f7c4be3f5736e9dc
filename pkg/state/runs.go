package state

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Run is one locked run of a workspace (apply, destroy, migrate...).
type Run struct {
	ID        int64     `json:"id"`
	Workspace string    `json:"workspace"`
	LockID    string    `json:"lock_id"`
	Operation string    `json:"operation"`
	Started   time.Time `json:"started"`
	// Finished is zero while the run holds the lock.
	Finished time.Time `json:"finished,omitzero"`
	// Result is "running", "finished" (the lock was released normally) or
	// "interrupted" (the holder died or its lock was broken).
	Result string `json:"result"`
}

// RunHistory is implemented by both backends: the runs recorded each time
// a workspace was locked.
type RunHistory interface {
	// Runs returns the workspace's most recent runs, newest first, at most limit.
	Runs(ctx context.Context, workspace string, limit int) ([]Run, error)
}

func (b *sqliteBackend) Runs(ctx context.Context, workspace string, limit int) ([]Run, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT id, workspace, lock_id, operation, started_at, COALESCE(finished_at, ''), result
		FROM runs WHERE workspace = ? ORDER BY id DESC LIMIT ?`, workspace, limit)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: runs: %w", workspace, err)
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		var r Run
		var started, finished string
		if err := rows.Scan(&r.ID, &r.Workspace, &r.LockID, &r.Operation, &started, &finished, &r.Result); err != nil {
			return nil, fmt.Errorf("workspace %s: runs: %w", workspace, err)
		}
		if r.Started, err = parseTime(started); err != nil {
			return nil, err
		}
		if finished != "" {
			if r.Finished, err = parseTime(finished); err != nil {
				return nil, err
			}
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

func (b *pgBackend) Runs(ctx context.Context, workspace string, limit int) ([]Run, error) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	rows, err := b.s.conn.Query(ctx, b.sql(`SELECT id, workspace, lock_id, operation, started_at, finished_at, result
		FROM {s}.runs WHERE workspace = $1 ORDER BY id DESC LIMIT $2`), workspace, limit)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: runs: %w", workspace, err)
	}
	runs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Run, error) {
		var r Run
		var finished *time.Time
		err := row.Scan(&r.ID, &r.Workspace, &r.LockID, &r.Operation, &r.Started, &finished, &r.Result)
		r.Started = r.Started.UTC()
		if finished != nil {
			r.Finished = finished.UTC()
		}
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("workspace %s: runs: %w", workspace, err)
	}
	return runs, nil
}

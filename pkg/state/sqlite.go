package state

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteMigrations are applied in order; migration i brings the schema to
// version i+1. Never edit one that has shipped: append a new one.
var sqliteMigrations = []string{
	`CREATE TABLE workspaces (
		name       TEXT PRIMARY KEY,
		salt       BLOB NOT NULL,
		created_at TEXT NOT NULL
	);
	CREATE TABLE records (
		workspace       TEXT NOT NULL,
		address         TEXT NOT NULL,
		kind            TEXT NOT NULL,
		phase           TEXT NOT NULL,
		remote_id       TEXT NOT NULL DEFAULT '',
		account_id      TEXT NOT NULL DEFAULT '',
		idempotency_key TEXT NOT NULL DEFAULT '',
		spec_hash       TEXT NOT NULL DEFAULT '',
		status          TEXT NOT NULL DEFAULT '',
		object          BLOB,
		request         BLOB,
		dependencies    TEXT NOT NULL DEFAULT '[]',
		error           TEXT NOT NULL DEFAULT '',
		intent_at       TEXT NOT NULL,
		updated_at      TEXT NOT NULL,
		PRIMARY KEY (workspace, address)
	);
	CREATE TABLE outputs (
		workspace TEXT NOT NULL,
		name      TEXT NOT NULL,
		value     BLOB NOT NULL,
		PRIMARY KEY (workspace, name)
	);
	CREATE TABLE locks (
		workspace  TEXT PRIMARY KEY,
		id         TEXT NOT NULL,
		operation  TEXT NOT NULL,
		who        TEXT NOT NULL,
		host       TEXT NOT NULL,
		pid        INTEGER NOT NULL,
		version    TEXT NOT NULL,
		created_at TEXT NOT NULL
	);`,
	`CREATE TABLE runs (
		id          INTEGER PRIMARY KEY AUTOINCREMENT,
		workspace   TEXT NOT NULL,
		lock_id     TEXT NOT NULL,
		operation   TEXT NOT NULL,
		started_at  TEXT NOT NULL,
		finished_at TEXT,
		result      TEXT NOT NULL
	);
	CREATE INDEX runs_workspace ON runs (workspace, id);`,
	`CREATE TABLE workspace_meta (
		workspace TEXT NOT NULL,
		key       TEXT NOT NULL,
		value     TEXT NOT NULL,
		PRIMARY KEY (workspace, key)
	);`,
}

// sqliteTime is how times are stored: fixed width, so text order is time order.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(sqliteTime) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(sqliteTime, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t, nil
}

// sqliteBackend is a SQLite file holding any number of workspaces.
type sqliteBackend struct {
	path string
	db   *sql.DB
}

func openSQLite(ctx context.Context, path string) (*sqliteBackend, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	// Create the file ourselves so that it (and the -wal and -shm files
	// SQLite derives from it) is readable by its owner only.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	f.Close()
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	b := &sqliteBackend{path: abs, db: db}
	if err := b.migrateLocked(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open state %s: %w", path, explainOpenError(err))
	}
	return b, nil
}

// migrateLocked runs migrate holding the flock on "<file>.lock", which no
// workspace lock uses ("<file>.<workspace>.lock"): the first connection to a
// new file switches it to WAL mode, and SQLite reports a concurrent opener
// as busy without waiting, so openers of one file take turns.
func (b *sqliteBackend) migrateLocked(ctx context.Context) error {
	var f *os.File
	ok, err := pollLock(ctx, time.Minute, func() (bool, error) {
		var err error
		f, err = tryFlock(b.path + ".lock")
		return f != nil, err
	})
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("another process has been opening this state file for a minute")
	}
	defer f.Close()
	return b.migrate(ctx)
}

// migrate applies the migrations the file lacks, in one IMMEDIATE
// transaction so that two processes opening a new file do not race.
func (b *sqliteBackend) migrate(ctx context.Context) error {
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if err := checkForeign(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if current > len(sqliteMigrations) {
		return fmt.Errorf("state schema version %d is newer than this brokerctl understands (%d): upgrade brokerctl", current, len(sqliteMigrations))
	}
	for v := current + 1; v <= len(sqliteMigrations); v++ {
		if _, err := tx.ExecContext(ctx, sqliteMigrations[v-1]); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`, v, fmtTime(time.Now())); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return tx.Commit()
}

// ErrNotStateFile reports that --state names a file that is not a brokerctl
// state file: not SQLite at all, damaged, or another program's database.
var ErrNotStateFile = errors.New("not a brokerctl state file")

// checkForeign refuses a SQLite file that already holds tables but no
// schema_version table: it belongs to another program, and migrating it
// would add brokerctl's tables to that program's database.
func checkForeign(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer rows.Close()
	var names []string
	ours := false
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if n == "schema_version" {
			ours = true
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(names) > 0 && !ours {
		const max = 5
		shown := names
		if len(shown) > max {
			shown = append(shown[:max:max], "...")
		}
		return fmt.Errorf("%w: it is a SQLite database of another program (tables %s, no schema_version); point --state at a new or brokerctl file",
			ErrNotStateFile, strings.Join(shown, ", "))
	}
	return nil
}

// explainOpenError turns SQLite's "file is not a database (26)" and
// "database disk image is malformed (11)" into an error that says what the
// user can do about it, keeping the driver's text.
func explainOpenError(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff { // primary result code
	case sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("%w: the file is not a SQLite database (%v); point --state at a new file or restore it from a backup", ErrNotStateFile, err)
	case sqlite3.SQLITE_CORRUPT:
		return fmt.Errorf("%w: the file is damaged (%v); restore it from a backup", ErrNotStateFile, err)
	}
	return err
}

func (b *sqliteBackend) Close() error { return b.db.Close() }

func (b *sqliteBackend) Open(ctx context.Context, workspace string) (Reader, error) {
	if err := ValidateWorkspace(workspace); err != nil {
		return nil, err
	}
	return &sqliteView{b: b, ws: workspace}, nil
}

func (b *sqliteBackend) Workspaces(ctx context.Context) ([]string, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT name FROM workspaces
		UNION SELECT DISTINCT workspace FROM records
		UNION SELECT DISTINCT workspace FROM outputs ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list workspaces: %w", err)
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// sqliteView reads one workspace; sqliteWorkspace embeds it to write.
type sqliteView struct {
	b  *sqliteBackend
	ws string
}

func (v *sqliteView) Name() string { return v.ws }
func (v *sqliteView) Close() error { return nil }

func (v *sqliteView) Salt(ctx context.Context) ([]byte, error) {
	salt := make([]byte, SaltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("workspace %s: generate salt: %w", v.ws, err)
	}
	// INSERT OR IGNORE keeps the first salt if two processes race.
	if _, err := v.b.db.ExecContext(ctx, `INSERT OR IGNORE INTO workspaces (name, salt, created_at) VALUES (?, ?, ?)`,
		v.ws, salt, fmtTime(time.Now())); err != nil {
		return nil, fmt.Errorf("workspace %s: store salt: %w", v.ws, err)
	}
	var stored []byte
	if err := v.b.db.QueryRowContext(ctx, `SELECT salt FROM workspaces WHERE name = ?`, v.ws).Scan(&stored); err != nil {
		return nil, fmt.Errorf("workspace %s: read salt: %w", v.ws, err)
	}
	return stored, nil
}

const recordColumns = `address, kind, phase, remote_id, account_id, idempotency_key, spec_hash,
	status, object, request, dependencies, error, intent_at, updated_at`

// scanner is *sql.Row, *sql.Rows or a pgx row.
type scanner interface{ Scan(dest ...any) error }

func scanSQLiteRecord(s scanner) (Record, error) {
	var r Record
	var phase, deps, intentAt, updatedAt string
	var object, request []byte
	if err := s.Scan(&r.Address, &r.Kind, &phase, &r.RemoteID, &r.AccountID, &r.IdempotencyKey, &r.SpecHash,
		&r.Status, &object, &request, &deps, &r.Error, &intentAt, &updatedAt); err != nil {
		return Record{}, err
	}
	r.Phase = Phase(phase)
	r.Object, r.Request = rawOrNil(object), rawOrNil(request)
	var err error
	if r.Dependencies, err = decodeDeps(deps); err != nil {
		return Record{}, fmt.Errorf("record %s: %w", r.Address, err)
	}
	if r.IntentAt, err = parseTime(intentAt); err != nil {
		return Record{}, fmt.Errorf("record %s: %w", r.Address, err)
	}
	if r.UpdatedAt, err = parseTime(updatedAt); err != nil {
		return Record{}, fmt.Errorf("record %s: %w", r.Address, err)
	}
	return r, nil
}

func rawOrNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

func (v *sqliteView) List(ctx context.Context) ([]Record, error) {
	rows, err := v.b.db.QueryContext(ctx, `SELECT `+recordColumns+` FROM records WHERE workspace = ? ORDER BY address`, v.ws)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: list records: %w", v.ws, err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanSQLiteRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("workspace %s: list records: %w", v.ws, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("workspace %s: list records: %w", v.ws, err)
	}
	return out, nil
}

func (v *sqliteView) Get(ctx context.Context, addr string) (Record, bool, error) {
	r, err := scanSQLiteRecord(v.b.db.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM records WHERE workspace = ? AND address = ?`, v.ws, addr))
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("workspace %s: get %s: %w", v.ws, addr, err)
	}
	return r, true, nil
}

func (v *sqliteView) Outputs(ctx context.Context) (map[string]json.RawMessage, error) {
	rows, err := v.b.db.QueryContext(ctx, `SELECT name, value FROM outputs WHERE workspace = ?`, v.ws)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: read outputs: %w", v.ws, err)
	}
	defer rows.Close()
	out := map[string]json.RawMessage{}
	for rows.Next() {
		var name string
		var value []byte
		if err := rows.Scan(&name, &value); err != nil {
			return nil, fmt.Errorf("workspace %s: read outputs: %w", v.ws, err)
		}
		out[name] = rawOrNil(value)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("workspace %s: read outputs: %w", v.ws, err)
	}
	return out, nil
}

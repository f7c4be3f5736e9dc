package state

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultSchema is the PostgreSQL schema brokerctl's tables live in unless the
// DSN names another with ?schema=NAME or ?search_path=NAME.
const DefaultSchema = "brokerctl"

// pgMigrations are applied in order; "{s}" is the quoted schema. Never edit
// one that has shipped: append a new one.
var pgMigrations = []string{
	`CREATE TABLE {s}.workspaces (
		name       text PRIMARY KEY,
		salt       bytea NOT NULL,
		created_at timestamptz NOT NULL DEFAULT now()
	);
	CREATE TABLE {s}.records (
		workspace       text NOT NULL,
		address         text NOT NULL,
		kind            text NOT NULL,
		phase           text NOT NULL,
		remote_id       text NOT NULL DEFAULT '',
		account_id      text NOT NULL DEFAULT '',
		idempotency_key text NOT NULL DEFAULT '',
		spec_hash       text NOT NULL DEFAULT '',
		status          text NOT NULL DEFAULT '',
		object          json,
		request         json,
		dependencies    text[] NOT NULL DEFAULT '{}',
		error           text NOT NULL DEFAULT '',
		intent_at       timestamptz NOT NULL,
		updated_at      timestamptz NOT NULL,
		PRIMARY KEY (workspace, address)
	);
	CREATE TABLE {s}.outputs (
		workspace text NOT NULL,
		name      text NOT NULL,
		value     json NOT NULL,
		PRIMARY KEY (workspace, name)
	);
	CREATE TABLE {s}.locks (
		workspace   text PRIMARY KEY,
		id          text NOT NULL,
		operation   text NOT NULL,
		who         text NOT NULL,
		host        text NOT NULL,
		pid         integer NOT NULL,
		version     text NOT NULL,
		created_at  timestamptz NOT NULL,
		lock_key    bigint NOT NULL,
		backend_pid integer NOT NULL
	);`,
	`CREATE TABLE {s}.runs (
		id          bigserial PRIMARY KEY,
		workspace   text NOT NULL,
		lock_id     text NOT NULL,
		operation   text NOT NULL,
		started_at  timestamptz NOT NULL,
		finished_at timestamptz,
		result      text NOT NULL
	);
	CREATE INDEX runs_workspace ON {s}.runs (workspace, id);`,
	`CREATE TABLE {s}.workspace_meta (
		workspace text NOT NULL,
		key       text NOT NULL,
		value     text NOT NULL,
		PRIMARY KEY (workspace, key)
	);`,
}

var schemaRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// pgSession is one connection shared under a mutex: a pgx.Conn is not safe
// for concurrent use.
type pgSession struct {
	mu   sync.Mutex
	conn *pgx.Conn
}

// pgBackend is one schema of one PostgreSQL database.
type pgBackend struct {
	cfg    *pgx.ConnConfig
	schema string // unquoted
	dbName string
	s      *pgSession // reads and lock administration; never holds a workspace lock
}

// parsePostgresDSN takes the schema out of dsn: the "schema" parameter (not
// sent to the server) or else the first entry of "search_path".
func parsePostgresDSN(dsn string) (*pgx.ConnConfig, string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, "", fmt.Errorf("parse PostgreSQL URL: %w", redactURLError(err))
	}
	q := u.Query()
	schema := q.Get("schema")
	q.Del("schema")
	if schema == "" {
		if sp := q.Get("search_path"); sp != "" {
			schema = strings.Trim(strings.TrimSpace(strings.Split(sp, ",")[0]), `"`)
		}
	}
	if schema == "" {
		schema = DefaultSchema
	}
	if !schemaRE.MatchString(schema) {
		return nil, "", fmt.Errorf("invalid PostgreSQL schema %q: use letters, digits and '_' (at most 63), not starting with a digit", schema)
	}
	u.RawQuery = q.Encode()
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, "", fmt.Errorf("parse PostgreSQL URL: %w", redactURLError(err))
	}
	return cfg, schema, nil
}

// redactURLError keeps a password in a malformed URL out of the message.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return errors.New("malformed URL")
	}
	return err
}

func openPostgres(ctx context.Context, dsn string) (*pgBackend, error) {
	cfg, schema, err := parsePostgresDSN(dsn)
	if err != nil {
		return nil, err
	}
	b := &pgBackend{cfg: cfg, schema: schema}
	conn, err := b.connect(ctx, "brokerctl")
	if err != nil {
		return nil, err
	}
	b.s = &pgSession{conn: conn}
	if err := conn.QueryRow(ctx, `SELECT current_database()`).Scan(&b.dbName); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("open PostgreSQL state: %w", err)
	}
	if err := b.migrate(ctx); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("open PostgreSQL state (schema %s): %w", schema, err)
	}
	return b, nil
}

// connect opens a new dedicated connection, named for pg_stat_activity.
func (b *pgBackend) connect(ctx context.Context, appName string) (*pgx.Conn, error) {
	cfg := b.cfg.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = appName
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	return conn, nil
}

// sql qualifies the tables in q with the schema.
func (b *pgBackend) sql(q string) string {
	return strings.ReplaceAll(q, "{s}", pgx.Identifier{b.schema}.Sanitize())
}

// key hashes parts, prefixed with the database and schema, to 64 bits.
func (b *pgBackend) key(parts ...string) int64 {
	h := sha256.New()
	for _, p := range append([]string{"brokerctl", b.dbName, b.schema}, parts...) {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return int64(binary.BigEndian.Uint64(h.Sum(nil)[:8]))
}

// lockKey is the advisory lock key of a workspace.
func (b *pgBackend) lockKey(workspace string) int64 { return b.key("workspace", workspace) }

// migrate applies missing migrations. It takes a transaction-scoped advisory
// lock in the two-int4 key space, which session locks on bigint keys (the
// workspace locks) never share, so it cannot block or be blocked by a
// workspace lock; and it is only taken when something is missing.
func (b *pgBackend) migrate(ctx context.Context) error {
	conn := b.s.conn
	var current int
	err := conn.QueryRow(ctx, b.sql(`SELECT COALESCE(MAX(version), 0) FROM {s}.schema_version`)).Scan(&current)
	if err == nil && current == len(pgMigrations) {
		return nil
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	k := b.key("migrations")
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1::int4, $2::int4)`, int32(k>>32), int32(k)); err != nil {
		return fmt.Errorf("migrate: take migration lock: %w", err)
	}
	if _, err := tx.Exec(ctx, b.sql(`CREATE SCHEMA IF NOT EXISTS {s}`)); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, b.sql(`CREATE TABLE IF NOT EXISTS {s}.schema_version (
		version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := tx.QueryRow(ctx, b.sql(`SELECT COALESCE(MAX(version), 0) FROM {s}.schema_version`)).Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if current > len(pgMigrations) {
		return fmt.Errorf("state schema version %d is newer than this brokerctl understands (%d): upgrade brokerctl", current, len(pgMigrations))
	}
	for v := current + 1; v <= len(pgMigrations); v++ {
		if _, err := tx.Exec(ctx, b.sql(pgMigrations[v-1])); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.Exec(ctx, b.sql(`INSERT INTO {s}.schema_version (version) VALUES ($1)`), v); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return tx.Commit(ctx)
}

func (b *pgBackend) Close() error {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return b.s.conn.Close(ctx)
}

func (b *pgBackend) Open(ctx context.Context, workspace string) (Reader, error) {
	if err := ValidateWorkspace(workspace); err != nil {
		return nil, err
	}
	return &pgView{b: b, s: b.s, ws: workspace}, nil
}

func (b *pgBackend) Workspaces(ctx context.Context) ([]string, error) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	rows, err := b.s.conn.Query(ctx, b.sql(`SELECT name FROM {s}.workspaces
		UNION SELECT workspace FROM {s}.records UNION SELECT workspace FROM {s}.outputs ORDER BY 1`))
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	return names, nil
}

// pgView reads one workspace over a session; pgWorkspace embeds it with
// the session that holds the lock.
type pgView struct {
	b  *pgBackend
	s  *pgSession
	ws string
}

func (v *pgView) Name() string { return v.ws }
func (v *pgView) Close() error { return nil }

func (v *pgView) Salt(ctx context.Context) ([]byte, error) {
	salt := make([]byte, SaltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("workspace %s: generate salt: %w", v.ws, err)
	}
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	var stored []byte
	// The first salt stored wins if two sessions race.
	err := v.s.conn.QueryRow(ctx, v.b.sql(`WITH ins AS (
			INSERT INTO {s}.workspaces (name, salt) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING salt)
		SELECT salt FROM ins UNION ALL SELECT salt FROM {s}.workspaces WHERE name = $1 LIMIT 1`), v.ws, salt).Scan(&stored)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: salt: %w", v.ws, err)
	}
	return stored, nil
}

func scanPGRecord(s scanner) (Record, error) {
	var r Record
	var phase string
	var object, request []byte
	if err := s.Scan(&r.Address, &r.Kind, &phase, &r.RemoteID, &r.AccountID, &r.IdempotencyKey, &r.SpecHash,
		&r.Status, &object, &request, &r.Dependencies, &r.Error, &r.IntentAt, &r.UpdatedAt); err != nil {
		return Record{}, err
	}
	r.Phase = Phase(phase)
	r.Object, r.Request = rawOrNil(object), rawOrNil(request)
	if len(r.Dependencies) == 0 {
		r.Dependencies = nil
	}
	r.IntentAt, r.UpdatedAt = r.IntentAt.UTC(), r.UpdatedAt.UTC()
	return r, nil
}

func (v *pgView) List(ctx context.Context) ([]Record, error) {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	rows, err := v.s.conn.Query(ctx, v.b.sql(`SELECT `+recordColumns+` FROM {s}.records WHERE workspace = $1 ORDER BY address COLLATE "C"`), v.ws)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: list records: %w", v.ws, err)
	}
	recs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Record, error) { return scanPGRecord(row) })
	if err != nil {
		return nil, fmt.Errorf("workspace %s: list records: %w", v.ws, err)
	}
	return recs, nil
}

func (v *pgView) Get(ctx context.Context, addr string) (Record, bool, error) {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	r, err := scanPGRecord(v.s.conn.QueryRow(ctx, v.b.sql(`SELECT `+recordColumns+` FROM {s}.records WHERE workspace = $1 AND address = $2`), v.ws, addr))
	if errors.Is(err, pgx.ErrNoRows) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("workspace %s: get %s: %w", v.ws, addr, err)
	}
	return r, true, nil
}

func (v *pgView) Outputs(ctx context.Context) (map[string]json.RawMessage, error) {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	rows, err := v.s.conn.Query(ctx, v.b.sql(`SELECT name, value::text FROM {s}.outputs WHERE workspace = $1`), v.ws)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: read outputs: %w", v.ws, err)
	}
	out := map[string]json.RawMessage{}
	var name, value string
	_, err = pgx.ForEachRow(rows, []any{&name, &value}, func() error {
		out[name] = json.RawMessage(value)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("workspace %s: read outputs: %w", v.ws, err)
	}
	return out, nil
}

package state

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// createV1 builds a store as the first release left it: migration 1 only,
// with one record in it.
func createV1(t *testing.T, bk backendKind, dsn string) {
	t.Helper()
	ctx := context.Background()
	switch bk.name {
	case "sqlite":
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range []string{
			`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`,
			sqliteMigrations[0],
			`INSERT INTO schema_version VALUES (1, '2026-01-01T00:00:00.000000Z')`,
			`INSERT INTO records (workspace, address, kind, phase, intent_at, updated_at)
				VALUES ('default', 'accounts.old', 'account', 'created', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')`,
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	case "postgres":
		cfg, schema, err := parsePostgresDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		b := &pgBackend{schema: schema}
		for _, q := range []string{
			`CREATE SCHEMA {s}`,
			`CREATE TABLE {s}.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
			pgMigrations[0],
			`INSERT INTO {s}.schema_version (version) VALUES (1)`,
			`INSERT INTO {s}.records (workspace, address, kind, phase, intent_at, updated_at)
				VALUES ('default', 'accounts.old', 'account', 'created', now(), now())`,
		} {
			if _, err := conn.Exec(ctx, b.sql(q)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestMigrationUpgradesOldSchema(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		ctx := context.Background()
		dsn := bk.newDSN(t)
		if bk.name == "sqlite" {
			dsn = filepath.Join(t.TempDir(), "v1.db")
		}
		createV1(t, bk, dsn)
		b := openBackend(t, dsn)
		if got := schemaVersions(t, b); !reflect.DeepEqual(got, []int{1, 2, 3}) {
			t.Errorf("versions after upgrade = %v", got)
		}
		r, _ := b.Open(ctx, "default")
		if _, ok, err := r.Get(ctx, "accounts.old"); !ok || err != nil {
			t.Errorf("record lost in the upgrade: %v %v", ok, err)
		}
		// The tables migration 2 added work: a lock records a run.
		w := lockWorkspace(t, b, "default", testLockInfo("l"))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMigrationRefusesNewerSchema(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		ctx := context.Background()
		dsn := bk.newDSN(t)
		b := openBackend(t, dsn)
		var err error
		switch b := b.(type) {
		case *sqliteBackend:
			_, err = b.db.ExecContext(ctx, `INSERT INTO schema_version VALUES (99, 'x')`)
		case *pgBackend:
			_, err = b.s.conn.Exec(ctx, b.sql(`INSERT INTO {s}.schema_version (version) VALUES (99)`))
		}
		if err != nil {
			t.Fatal(err)
		}
		_, err = Open(ctx, dsn)
		if err == nil || !strings.Contains(err.Error(), "schema version 99 is newer than this brokerctl understands") {
			t.Errorf("Open of a newer schema: %v", err)
		}
	})
}

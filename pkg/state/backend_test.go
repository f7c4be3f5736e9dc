package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgresEnv names the variable holding a PostgreSQL URL for the tests;
// scripts/with-postgres.sh sets it.
const postgresEnv = "BROKERCTL_TEST_POSTGRES"

// backendKind is one backend the suite runs against. newDSN returns the DSN
// of a fresh, empty store that is removed when the test ends.
type backendKind struct {
	name   string
	newDSN func(t testing.TB) string
}

var backendKinds = []backendKind{
	{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "state", "test.db") }},
	{"postgres", func(t testing.TB) string { return newPostgresSchema(t, "") }},
}

// forEachBackend runs f as a subtest per backend.
func forEachBackend(t *testing.T, f func(t *testing.T, bk backendKind)) {
	t.Helper()
	for _, bk := range backendKinds {
		t.Run(bk.name, func(t *testing.T) { f(t, bk) })
	}
}

// postgresURL returns the test server's URL or skips the test.
func postgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(postgresEnv)
	if u == "" {
		t.Skipf("PostgreSQL tests skipped: %s is not set (run: bash scripts/with-postgres.sh go test ./pkg/state/...)", postgresEnv)
	}
	return u
}

// newPostgresSchema returns a DSN for a fresh schema (named schema if not
// empty) in the test database and drops the schema when the test ends.
func newPostgresSchema(t testing.TB, schema string) string {
	t.Helper()
	base := postgresURL(t)
	if schema == "" {
		b := make([]byte, 6)
		rand.Read(b)
		schema = "t_" + hex.EncodeToString(b)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", postgresEnv, err)
	}
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("cleanup: drop schema %s: %v", schema, err)
		}
	})
	return u.String()
}

// openBackend opens dsn and closes it when the test ends.
func openBackend(t *testing.T, dsn string) Backend {
	t.Helper()
	b, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// lockWorkspace locks ws and releases it when the test ends.
func lockWorkspace(t *testing.T, b Backend, ws string, info LockInfo) Workspace {
	t.Helper()
	w, err := b.Lock(context.Background(), ws, info, 0)
	if err != nil {
		t.Fatalf("Lock(%s): %v", ws, err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func testLockInfo(id string) LockInfo {
	return LockInfo{ID: id, Operation: "apply", Who: "alice", Host: "ci-runner-7", PID: 4242, Version: "v0.1.0",
		Created: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)}
}

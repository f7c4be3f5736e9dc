package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// backend is where a test keeps brokerctl's state.
type backend struct {
	Name string
	// State is the --state value.
	State string
	// dump returns everything the backend stores, for the PII checks.
	dump func(t *testing.T) []namedBlob
}

// namedBlob is stored content and where it came from.
type namedBlob struct {
	Name string
	Data []byte
}

// backends runs f once per state backend: SQLite always, PostgreSQL when
// BROKERCTL_TEST_POSTGRES is set (scripts/with-postgres.sh, make test).
// The tests mostly wait (on the client's rate limiter, on the emulator's
// timers), so they all run at once.
func backends(t *testing.T, f func(t *testing.T, newBackend func(dir string) backend)) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, func(dir string) backend { return sqliteBackend(t, dir) })
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv("BROKERCTL_TEST_POSTGRES")
		if dsn == "" {
			t.Skip("BROKERCTL_TEST_POSTGRES is not set: run under scripts/with-postgres.sh (make test does) for the PostgreSQL variant")
		}
		t.Parallel()
		f(t, func(string) backend { return postgresBackend(t, dsn) })
	})
}

// sqliteBackend keeps state in dir/state/state.db; its dump is every file
// of that directory (the database, -wal, -shm and lock files).
func sqliteBackend(t *testing.T, dir string) backend {
	stateDir := filepath.Join(dir, "state")
	return backend{
		Name:  "sqlite",
		State: filepath.Join(stateDir, "state.db"),
		dump: func(t *testing.T) []namedBlob {
			t.Helper()
			entries, err := os.ReadDir(stateDir)
			if err != nil {
				t.Fatalf("state directory: %v", err)
			}
			// docs/state.md: files 0600, directories 0700 (brokerctl
			// created this one).
			if fi, err := os.Stat(stateDir); err != nil {
				t.Fatal(err)
			} else if fi.Mode().Perm() != 0o700 {
				t.Errorf("state directory %s: mode %v, want 0700", stateDir, fi.Mode().Perm())
			}
			var out []namedBlob
			for _, e := range entries {
				if fi, err := e.Info(); err != nil {
					t.Fatal(err)
				} else if fi.Mode().Perm()&0o077 != 0 {
					t.Errorf("state file %s: mode %v, want readable by its owner only", e.Name(), fi.Mode().Perm())
				}
				data, err := os.ReadFile(filepath.Join(stateDir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, namedBlob{Name: e.Name(), Data: data})
			}
			if len(out) == 0 {
				t.Fatalf("no state files in %s", stateDir)
			}
			return out
		},
	}
}

// postgresBackend keeps state in a schema of its own in the database of
// dsn, dropped when the test ends; its dump is every row of every table of
// that schema.
func postgresBackend(t *testing.T, dsn string) backend {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatal(err)
	}
	schema := "e2e_" + hex.EncodeToString(rnd[:])
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("BROKERCTL_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Logf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	return backend{
		Name:  "postgres",
		State: u.String(),
		dump: func(t *testing.T) []namedBlob {
			t.Helper()
			ctx := ctxTimeout(t)
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Fatalf("connect to PostgreSQL: %v", err)
			}
			defer conn.Close(ctx)
			rows, err := conn.Query(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name", schema)
			if err != nil {
				t.Fatal(err)
			}
			tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			if len(tables) == 0 {
				t.Fatalf("no tables in schema %s", schema)
			}
			var out []namedBlob
			for _, tbl := range tables {
				rows, err := conn.Query(ctx, fmt.Sprintf("SELECT row_to_json(t)::text FROM %s t", pgx.Identifier{schema, tbl}.Sanitize()))
				if err != nil {
					t.Fatalf("dump %s: %v", tbl, err)
				}
				lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
				if err != nil {
					t.Fatalf("dump %s: %v", tbl, err)
				}
				out = append(out, namedBlob{Name: schema + "." + tbl, Data: []byte(strings.Join(lines, "\n"))})
			}
			return out
		},
	}
}

// expectNoLeak fails for every sensitive value found in the backend's
// stored data or in any output of the runner's processes.
func expectNoLeak(t *testing.T, be backend, r *runner, secrets []string) {
	t.Helper()
	blobs := be.dump(t)
	// The dump must be readable text where the state keeps it: it holds
	// the resources' addresses, else a grep for secrets would prove nothing.
	var stored strings.Builder
	for _, b := range blobs {
		stored.Write(b.Data)
	}
	if !strings.Contains(stored.String(), `accounts.customer[`) {
		t.Errorf("%s: the state dump does not hold the resource addresses: it cannot be searched for secrets", be.Name)
	}
	for _, res := range r.all() {
		name := "brokerctl " + strings.Join(res.Args, " ")
		blobs = append(blobs, namedBlob{Name: name + " (stdout)", Data: []byte(res.Stdout)}, namedBlob{Name: name + " (stderr)", Data: []byte(res.Stderr)})
	}
	scanned := 0
	for _, b := range blobs {
		scanned += len(b.Data)
		for _, s := range secrets {
			if s == "" {
				t.Fatal("empty secret to look for")
			}
			if i := strings.Index(string(b.Data), s); i >= 0 {
				lo, hi := max(i-80, 0), min(i+len(s)+80, len(b.Data))
				t.Errorf("%s: %s holds %q: ...%q...", be.Name, b.Name, s, b.Data[lo:hi])
			}
		}
	}
	t.Logf("%s: scanned %d stored blobs and process outputs (%d bytes) for %d sensitive values", be.Name, len(blobs), scanned, len(secrets))
}

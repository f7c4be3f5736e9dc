package state

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenRefusesNonStateFiles: --state pointing at garbage, a damaged state
// file or another program's SQLite database fails with ErrNotStateFile and
// a message naming the problem, and never adds brokerctl tables to a foreign
// database.
func TestOpenRefusesNonStateFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	good := filepath.Join(dir, "good.db")
	b, err := Open(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}

	foreign := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE customers (id INTEGER); CREATE TABLE records (x TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not sqlite at all\n", 300)), 0o600); err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(dir, "damaged.db")
	// Keep the valid header and first pages, lose the rest.
	if err := os.WriteFile(damaged, raw[:len(raw)/3], 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, path, want string
	}{
		{"garbage", garbage, "not a SQLite database"},
		{"foreign", foreign, "another program (tables customers, records"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Open(ctx, tc.path)
			if err == nil {
				b.Close()
				t.Fatalf("Open(%s) succeeded", tc.name)
			}
			if !errors.Is(err, ErrNotStateFile) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open(%s) = %v, want ErrNotStateFile containing %q", tc.name, err, tc.want)
			}
		})
	}

	// A damaged file either fails as ErrNotStateFile or, if the lost pages
	// were not needed to migrate, at the first read; it must never panic
	// or succeed with an empty listing.
	t.Run("damaged", func(t *testing.T) {
		b, err := Open(ctx, damaged)
		if err != nil {
			if !errors.Is(err, ErrNotStateFile) {
				t.Fatalf("Open(damaged) = %v, want ErrNotStateFile", err)
			}
			return
		}
		defer b.Close()
		if _, err := b.Workspaces(ctx); err == nil {
			t.Log("damaged file still readable; nothing to check")
		}
	})

	// The foreign database is untouched.
	db, err = sql.Open("sqlite", foreign)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type='table'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("foreign database has %d tables after Open, want 2", n)
	}
}

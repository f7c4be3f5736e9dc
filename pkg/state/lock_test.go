package state

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockContention(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		ctx := context.Background()
		dsn := bk.newDSN(t)
		// Two backends: two processes of brokerctl.
		b1, b2 := openBackend(t, dsn), openBackend(t, dsn)
		holder := testLockInfo("lock-holder")
		w1, err := b1.Lock(ctx, "default", holder, time.Second)
		if err != nil {
			t.Fatal(err)
		}

		// The second waits for its timeout, then names the holder.
		start := time.Now()
		_, err = b2.Lock(ctx, "default", testLockInfo("lock-second"), 150*time.Millisecond)
		var le *LockedError
		if !errors.As(err, &le) {
			t.Fatalf("second Lock: %v, want *LockedError", err)
		}
		if waited := time.Since(start); waited < 150*time.Millisecond {
			t.Errorf("second Lock gave up after %v, before its timeout", waited)
		}
		want := "workspace default is locked by alice@ci-runner-7 (pid 4242, operation apply) since 2026-11-25T08:00:00Z"
		if err.Error() != want {
			t.Errorf("error text:\n got %q\nwant %q", err, want)
		}
		if h, err := b2.LockHolder(ctx, "default"); err != nil || h == nil || h.ID != "lock-holder" || h.Host != "ci-runner-7" {
			t.Errorf("LockHolder = %+v, %v", h, err)
		}
		// A reader is never blocked.
		r, err := b2.Open(ctx, "default")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.List(ctx); err != nil {
			t.Errorf("List while locked: %v", err)
		}

		// A waiting Lock succeeds once the holder releases.
		got := make(chan error, 1)
		go func() {
			w2, err := b2.Lock(ctx, "default", testLockInfo("lock-second"), 10*time.Second)
			if err == nil {
				err = w2.Put(ctx, Record{Address: "a.b", Kind: "account", Phase: PhaseIntent})
				w2.Close()
			}
			got <- err
		}()
		select {
		case err := <-got:
			t.Fatalf("second Lock returned while the first was held: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if err := w1.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-got:
			if err != nil {
				t.Fatalf("second Lock after release: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("second Lock did not get the lock after release")
		}
		if h, err := b1.LockHolder(ctx, "default"); err != nil || h != nil {
			t.Errorf("LockHolder after release = %+v, %v", h, err)
		}
	})
}

func TestLockHonoursContext(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		dsn := bk.newDSN(t)
		b1, b2 := openBackend(t, dsn), openBackend(t, dsn)
		lockWorkspace(t, b1, "default", testLockInfo("l1"))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := b2.Lock(ctx, "default", testLockInfo("l2"), time.Minute)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Lock with an expiring context: %v", err)
		}
	})
}

func TestLockWorkspacesInParallel(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		ctx := context.Background()
		dsn := bk.newDSN(t)
		b1, b2 := openBackend(t, dsn), openBackend(t, dsn)
		wa := lockWorkspace(t, b1, "team-a", testLockInfo("a"))
		wb := lockWorkspace(t, b2, "team-b", testLockInfo("b"))
		for _, w := range []Workspace{wa, wb} {
			if err := w.Put(ctx, Record{Address: "accounts." + w.Name(), Kind: "account", Phase: PhaseCreated}); err != nil {
				t.Fatal(err)
			}
		}
		for _, w := range []Workspace{wa, wb} {
			l, err := w.List(ctx)
			if err != nil || len(l) != 1 || l[0].Address != "accounts."+w.Name() {
				t.Errorf("%s: %+v %v", w.Name(), l, err)
			}
		}
		names, err := b1.Workspaces(ctx)
		if err != nil || strings.Join(names, ",") != "team-a,team-b" {
			t.Errorf("Workspaces = %v, %v", names, err)
		}
	})
}

func TestForceUnlock(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		ctx := context.Background()
		dsn := bk.newDSN(t)
		b1, b2 := openBackend(t, dsn), openBackend(t, dsn)
		w1, err := b1.Lock(ctx, "default", testLockInfo("held"), 0)
		if err != nil {
			t.Fatal(err)
		}
		defer w1.Close()
		if err := b2.ForceUnlock(ctx, "default", "wrong-id"); !errors.Is(err, ErrNoLock) {
			t.Errorf("ForceUnlock with a wrong ID: %v", err)
		}
		if err := b2.ForceUnlock(ctx, "other", "held"); !errors.Is(err, ErrNoLock) {
			t.Errorf("ForceUnlock of an unlocked workspace: %v", err)
		}
		err = b2.ForceUnlock(ctx, "default", "held")
		switch bk.name {
		case "sqlite":
			// The kernel owns the lock: a live holder cannot be broken, only stopped.
			if !errors.Is(err, ErrHolderAlive) || !strings.Contains(err.Error(), "pid 4242") {
				t.Fatalf("ForceUnlock of a live SQLite holder: %v", err)
			}
			if err := w1.Put(ctx, Record{Address: "a.b", Kind: "account", Phase: PhaseIntent}); err != nil {
				t.Errorf("holder lost its lock: %v", err)
			}
		case "postgres":
			// The holder's session is terminated: it can no longer write.
			if err != nil {
				t.Fatalf("ForceUnlock: %v", err)
			}
			if err := w1.Put(ctx, Record{Address: "a.b", Kind: "account", Phase: PhaseIntent}); err == nil {
				t.Error("the terminated holder could still write")
			}
			if h, err := b2.LockHolder(ctx, "default"); err != nil || h != nil {
				t.Errorf("LockHolder after ForceUnlock = %+v, %v", h, err)
			}
			w2, err := b2.Lock(ctx, "default", testLockInfo("next"), time.Second)
			if err != nil {
				t.Fatalf("Lock after ForceUnlock: %v", err)
			}
			w2.Close()
		}
	})
}

func TestLockKeysDistinctAcrossSchemas(t *testing.T) {
	ctx := context.Background()
	dsnA := newPostgresSchema(t, "")
	dsnB := newPostgresSchema(t, "")
	ba, bb := openBackend(t, dsnA), openBackend(t, dsnB)
	ka, kb := ba.(*pgBackend).lockKey("default"), bb.(*pgBackend).lockKey("default")
	if ka == kb {
		t.Fatalf("schemas share lock key %d", ka)
	}
	if ba.(*pgBackend).lockKey("default") == ba.(*pgBackend).lockKey("defaulu") {
		t.Fatal("workspaces share a lock key")
	}
	// The same workspace name in two schemas of one database locks independently.
	wa := lockWorkspace(t, ba, "default", testLockInfo("a"))
	wb := lockWorkspace(t, bb, "default", testLockInfo("b"))
	if err := wa.Put(ctx, Record{Address: "x.a", Kind: "k", Phase: PhaseIntent}); err != nil {
		t.Fatal(err)
	}
	if l, _ := wb.List(ctx); len(l) != 0 {
		t.Errorf("schema b sees schema a's records: %+v", l)
	}
	// And a migration of a third schema does not wait for either lock.
	dsnC := newPostgresSchema(t, "")
	octx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := Open(octx, dsnC); err != nil {
		t.Fatalf("creating a new schema while workspaces are locked: %v", err)
	}
}

func TestLockFileModes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := dir + "/nested/dir/state.db"
	b := openBackend(t, path)
	w := lockWorkspace(t, b, "default", testLockInfo("l"))
	if err := w.Put(ctx, Record{Address: "a.b", Kind: "k", Phase: PhaseIntent}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{
		dir + "/nested":        "drwx------",
		dir + "/nested/dir":    "drwx------",
		path:                   "-rw-------",
		path + "-wal":          "-rw-------",
		path + ".lock":         "-rw-------",
		path + ".default.lock": "-rw-------",
	} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if got := fi.Mode().String(); got != want {
			t.Errorf("%s: mode %s, want %s", p, got, want)
		}
	}
}

// TestHeldByExprKeys checks the pg_locks lookup for keys whose high or low
// half has the sign bit set, as the hash gives half the time.
func TestHeldByExprKeys(t *testing.T) {
	ctx := context.Background()
	b := openBackend(t, newPostgresSchema(t, "")).(*pgBackend)
	holder, err := b.connect(ctx, "test holder")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	q := replaceParams(`SELECT `+heldByExpr, "$1", "$2")
	for _, key := range []int64{-1, -5_000_000_000, 1, 5_000_000_000, -9223372036854775808, 9223372036854775807, 0x7fffffff_80000000} {
		var got bool
		if err := holder.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil || !got {
			t.Fatalf("lock %d: %v %v", key, got, err)
		}
		var held, heldByOther, heldByHolder bool
		pid := int32(holder.PgConn().PID())
		if err := b.s.conn.QueryRow(ctx, q, key, nil).Scan(&held); err != nil {
			t.Fatal(err)
		}
		b.s.conn.QueryRow(ctx, q, key, pid+100000).Scan(&heldByOther)
		b.s.conn.QueryRow(ctx, q, key, pid).Scan(&heldByHolder)
		if !held || heldByOther || !heldByHolder {
			t.Errorf("key %d: held=%v heldByOther=%v heldByHolder=%v", key, held, heldByOther, heldByHolder)
		}
		holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key)
		if err := b.s.conn.QueryRow(ctx, q, key, nil).Scan(&held); err != nil || held {
			t.Errorf("key %d still held after unlock: %v", key, err)
		}
	}
}

func TestSQLitePragmas(t *testing.T) {
	b := openBackend(t, filepath.Join(t.TempDir(), "p.db")).(*sqliteBackend)
	ctx := context.Background()
	// Check several pooled connections, not just the first.
	conns := make([]*sql.Conn, 3)
	for i := range conns {
		c, err := b.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	for _, c := range conns {
		var mode string
		var sync, busy int
		c.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode)
		c.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync)
		c.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy)
		if mode != "wal" || sync != 2 || busy != 10000 {
			t.Errorf("journal_mode=%s synchronous=%d busy_timeout=%d, want wal, 2 (FULL), 10000", mode, sync, busy)
		}
	}
}

package state

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestWorkspaceMetadata(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		ctx := context.Background()
		dsn := bk.newDSN(t)
		b := openBackend(t, dsn)
		w := lockWorkspace(t, b, "prod", testLockInfo("m1"))
		if m, err := w.Metadata(ctx); err != nil || len(m) != 0 {
			t.Fatalf("fresh workspace metadata = %v, %v; want empty", m, err)
		}
		for _, kv := range [][2]string{{MetaTarget, `{"kind":"builtin-emulator"}`}, {MetaTarget, `{"kind":"endpoint"}`}, {"note", "x"}} {
			if err := w.SetMetadata(ctx, kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.SetMetadata(ctx, "Bad Key", "v"); err == nil || !strings.Contains(err.Error(), "invalid metadata key") {
			t.Errorf("bad key accepted: %v", err)
		}
		if err := w.SetMetadata(ctx, "note", ""); err != nil {
			t.Fatal(err)
		}
		// Another workspace of the same store has its own metadata.
		other := lockWorkspace(t, b, "dev", testLockInfo("m2"))
		if err := other.SetMetadata(ctx, MetaTarget, "dev-target"); err != nil {
			t.Fatal(err)
		}
		other.Close()
		w.Close()
		if err := w.SetMetadata(ctx, "note", "late"); err == nil {
			t.Error("SetMetadata after the lock was released succeeded")
		}
		// A reader (no lock) sees what was written, in a new process too.
		b2 := openBackend(t, dsn)
		r, err := b2.Open(ctx, "prod")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{MetaTarget: `{"kind":"endpoint"}`}
		if m, err := r.Metadata(ctx); err != nil || !reflect.DeepEqual(m, want) {
			t.Errorf("metadata = %v, %v; want %v", m, err, want)
		}
	})
}

func TestMigrateCopiesMetadata(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		ctx := context.Background()
		src := openBackend(t, filepath.Join(t.TempDir(), "src.db"))
		sw := lockWorkspace(t, src, "default", testLockInfo("src"))
		if err := sw.Put(ctx, sampleRecord("accounts.alice", PhaseCreated)); err != nil {
			t.Fatal(err)
		}
		if err := sw.SetMetadata(ctx, MetaTarget, "t1"); err != nil {
			t.Fatal(err)
		}
		sw.Close()
		dst := openBackend(t, bk.newDSN(t))
		dw := lockWorkspace(t, dst, "default", testLockInfo("dst"))
		if err := dw.SetMetadata(ctx, "stale", "x"); err != nil {
			t.Fatal(err)
		}
		dw.Close()
		if _, err := Migrate(ctx, src, dst, MigrateOptions{From: "default", Lock: testLockInfo("mig"), LockTimeout: time.Second, Force: true}); err != nil {
			t.Fatal(err)
		}
		r, _ := dst.Open(ctx, "default")
		if m, err := r.Metadata(ctx); err != nil || !reflect.DeepEqual(m, map[string]string{MetaTarget: "t1"}) {
			t.Errorf("migrated metadata = %v, %v", m, err)
		}
	})
}

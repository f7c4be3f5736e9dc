package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// TestMigrate moves a SQLite workspace to each backend (PostgreSQL is the
// case `brokerctl state migrate` exists for).
func TestMigrate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		ctx := context.Background()
		src := openBackend(t, filepath.Join(t.TempDir(), "src.db"))
		sw, err := src.Lock(ctx, "default", testLockInfo("src"), 0)
		if err != nil {
			t.Fatal(err)
		}
		recs := []Record{sampleRecord("accounts.alice", PhaseCreated), sampleRecord("orders.o1", PhaseIntent)}
		for _, r := range recs {
			if err := sw.Put(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		outs := map[string]json.RawMessage{"alice_id": json.RawMessage(`"b0b6dd9d"`)}
		if err := sw.SetOutputs(ctx, outs); err != nil {
			t.Fatal(err)
		}
		salt, err := sw.Salt(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sw.Close()

		dst := openBackend(t, bk.newDSN(t))
		opts := MigrateOptions{From: "default", To: "team", Lock: testLockInfo("mig"), LockTimeout: time.Second}
		res, err := Migrate(ctx, src, dst, opts)
		if err != nil {
			t.Fatal(err)
		}
		if res != (MigrateResult{Records: 2, Outputs: 1}) {
			t.Errorf("result %+v", res)
		}
		r, _ := dst.Open(ctx, "team")
		got, err := r.List(ctx)
		if err != nil || !reflect.DeepEqual(got, recs) {
			t.Errorf("migrated records:\n got %+v\nwant %+v (%v)", got, recs, err)
		}
		if o, err := r.Outputs(ctx); err != nil || !reflect.DeepEqual(o, outs) {
			t.Errorf("migrated outputs %s, %v", o, err)
		}
		if s, err := r.Salt(ctx); err != nil || !bytes.Equal(s, salt) {
			t.Errorf("migrated salt %x, want %x (%v)", s, salt, err)
		}
		// Both locks were released.
		for _, b := range []Backend{src, dst} {
			for _, ws := range []string{"default", "team"} {
				if h, err := b.LockHolder(ctx, ws); err != nil || h != nil {
					t.Errorf("lock left behind on %s: %+v %v", ws, h, err)
				}
			}
		}

		// A second migration refuses to overwrite, unless forced.
		if _, err := Migrate(ctx, src, dst, opts); !errors.Is(err, ErrNotEmpty) {
			t.Fatalf("second Migrate: %v, want ErrNotEmpty", err)
		}
		dw, _ := dst.Lock(ctx, "team", testLockInfo("x"), 0)
		dw.Put(ctx, Record{Address: "stale.only_in_dst", Kind: "k", Phase: PhaseCreated})
		dw.Close()
		opts.Force = true
		if _, err := Migrate(ctx, src, dst, opts); err != nil {
			t.Fatalf("forced Migrate: %v", err)
		}
		if got, _ := r.List(ctx); !reflect.DeepEqual(got, recs) {
			t.Errorf("after forced migrate: %+v", got)
		}

		// A locked source is not migrated.
		hold := lockWorkspace(t, src, "default", testLockInfo("busy"))
		opts.LockTimeout = 0
		var le *LockedError
		if _, err := Migrate(ctx, src, dst, opts); !errors.As(err, &le) {
			t.Errorf("Migrate of a locked source: %v", err)
		}
		hold.Close()
	})
}

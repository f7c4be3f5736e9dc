package state

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func sampleRecord(addr string, phase Phase) Record {
	t0 := time.Date(2026, 11, 25, 7, 1, 2, 123456000, time.UTC)
	return Record{
		Address: addr, Kind: "account", Phase: phase,
		RemoteID: "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", AccountID: "", IdempotencyKey: "bk-" + addr,
		SpecHash: "sha256:abc", Status: "SUBMITTED",
		Object:       json.RawMessage(`{"id": "b0b6dd9d", "identity": {"tax_id": "sha256:9f2c"}, "n": [1, 2]}`),
		Request:      json.RawMessage(`{"contact": {"email_address": "a@example.com"}}`),
		Dependencies: []string{"accounts.bob", "ach.alice"},
		Error:        "",
		IntentAt:     t0, UpdatedAt: t0.Add(time.Second),
	}
}

func TestRecordsCRUD(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		ctx := context.Background()
		dsn := bk.newDSN(t)
		b := openBackend(t, dsn)
		w := lockWorkspace(t, b, "default", testLockInfo("lock-1"))

		recs := []Record{sampleRecord("orders.buy", PhaseIntent), sampleRecord("accounts.alice", PhaseCreated),
			{Address: "journals.j1", Kind: "journal", Phase: PhaseFailed, Error: "403: insufficient funds"}}
		for _, r := range recs {
			if err := w.Put(ctx, r); err != nil {
				t.Fatalf("Put(%s): %v", r.Address, err)
			}
		}
		got, ok, err := w.Get(ctx, "accounts.alice")
		if err != nil || !ok {
			t.Fatalf("Get: %v %v", ok, err)
		}
		if !reflect.DeepEqual(got, recs[1]) {
			t.Errorf("Get round trip:\n got %+v\nwant %+v", got, recs[1])
		}
		// Zero timestamps are filled in.
		j1, _, _ := w.Get(ctx, "journals.j1")
		if j1.UpdatedAt.IsZero() || !j1.IntentAt.Equal(j1.UpdatedAt) || j1.Object != nil || j1.Dependencies != nil {
			t.Errorf("defaults: %+v", j1)
		}

		// Update in place.
		upd := recs[0]
		upd.Phase, upd.RemoteID, upd.Status = PhaseCreated, "order-1", "filled"
		if err := w.Put(ctx, upd); err != nil {
			t.Fatal(err)
		}
		if err := w.Delete(ctx, "journals.j1"); err != nil {
			t.Fatal(err)
		}
		if err := w.Delete(ctx, "no.such"); err != nil {
			t.Errorf("Delete of a missing record: %v", err)
		}
		if _, ok, err := w.Get(ctx, "journals.j1"); ok || err != nil {
			t.Errorf("deleted record still there: %v %v", ok, err)
		}

		// Bad records are refused.
		for _, bad := range []Record{{Kind: "account", Phase: PhaseIntent}, {Address: "a.b", Phase: "done"},
			{Address: "a.b", Phase: PhaseIntent, Object: json.RawMessage(`{"x":`)}} {
			if err := w.Put(ctx, bad); err == nil {
				t.Errorf("Put(%+v) succeeded", bad)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Put(ctx, recs[0]); err == nil || !strings.Contains(err.Error(), "released") {
			t.Errorf("Put after Close: %v", err)
		}

		// A fresh process (new backend) sees the same state, read-only.
		b2 := openBackend(t, dsn)
		r, err := b2.Open(ctx, "default")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		list, err := r.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []Record{recs[1], upd}
		if !reflect.DeepEqual(list, want) {
			t.Errorf("List after reopen:\n got %+v\nwant %+v", list, want)
		}
		// Other workspaces are separate.
		other, _ := b2.Open(ctx, "other")
		if l, err := other.List(ctx); err != nil || len(l) != 0 {
			t.Errorf("other workspace: %v %v", l, err)
		}
		names, err := b2.Workspaces(ctx)
		if err != nil || !reflect.DeepEqual(names, []string{"default"}) {
			t.Errorf("Workspaces = %v, %v", names, err)
		}
	})
}

func TestOutputs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		ctx := context.Background()
		b := openBackend(t, bk.newDSN(t))
		w := lockWorkspace(t, b, "ci", testLockInfo("l"))
		if out, err := w.Outputs(ctx); err != nil || len(out) != 0 {
			t.Fatalf("empty outputs: %v %v", out, err)
		}
		first := map[string]json.RawMessage{"alice_id": json.RawMessage(`"b0b6dd9d"`), "ids": json.RawMessage(`["a", "b"]`), "n": json.RawMessage(`3`)}
		if err := w.SetOutputs(ctx, first); err != nil {
			t.Fatal(err)
		}
		second := map[string]json.RawMessage{"alice_id": json.RawMessage(`"c0ffee"`), "obj": json.RawMessage(`{"k": null}`)}
		if err := w.SetOutputs(ctx, second); err != nil {
			t.Fatal(err)
		}
		got, err := w.Outputs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, second) {
			t.Errorf("Outputs = %s, want %s", got, second)
		}
		if err := w.SetOutputs(ctx, map[string]json.RawMessage{"x": json.RawMessage(`{`)}); err == nil {
			t.Error("invalid JSON output accepted")
		}
	})
}

func TestSaltStable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		ctx := context.Background()
		dsn := bk.newDSN(t)
		b := openBackend(t, dsn)
		r, _ := b.Open(ctx, "default")
		// Concurrent first uses agree on one salt.
		salts := make([][]byte, 8)
		var wg sync.WaitGroup
		for i := range salts {
			wg.Go(func() {
				s, err := r.Salt(ctx)
				if err != nil {
					t.Error(err)
				}
				salts[i] = s
			})
		}
		wg.Wait()
		for _, s := range salts {
			if len(s) != SaltSize || !bytes.Equal(s, salts[0]) {
				t.Fatalf("salts differ or wrong size: %x vs %x", s, salts[0])
			}
		}
		if bytes.Equal(salts[0], make([]byte, SaltSize)) {
			t.Fatal("salt is all zeros")
		}
		w := lockWorkspace(t, b, "default", testLockInfo("l"))
		if s, _ := w.Salt(ctx); !bytes.Equal(s, salts[0]) {
			t.Error("salt changed under lock")
		}
		b2 := openBackend(t, dsn)
		r2, _ := b2.Open(ctx, "default")
		if s, _ := r2.Salt(ctx); !bytes.Equal(s, salts[0]) {
			t.Error("salt changed after reopen")
		}
		o, _ := b2.Open(ctx, "other")
		if s, _ := o.Salt(ctx); bytes.Equal(s, salts[0]) {
			t.Error("two workspaces share a salt")
		}
	})
}

func TestMigrationsIdempotent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		dsn := bk.newDSN(t)
		// Several processes opening a new store at once all succeed.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				b, err := Open(context.Background(), dsn)
				if err == nil {
					err = b.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("concurrent Open: %v", err)
			}
		}
		b := openBackend(t, dsn)
		got := schemaVersions(t, b)
		want := []int{1, 2, 3}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("schema_version = %v, want %v", got, want)
		}
	})
}

// schemaVersions reads the applied migrations of either backend.
func schemaVersions(t *testing.T, b Backend) []int {
	t.Helper()
	ctx := context.Background()
	var vs []int
	switch b := b.(type) {
	case *sqliteBackend:
		rows, err := b.db.QueryContext(ctx, `SELECT version FROM schema_version ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var v int
			rows.Scan(&v)
			vs = append(vs, v)
		}
	case *pgBackend:
		rows, err := b.s.conn.Query(ctx, b.sql(`SELECT version FROM {s}.schema_version ORDER BY version`))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var v int
			rows.Scan(&v)
			vs = append(vs, v)
		}
	default:
		t.Fatalf("unknown backend %T", b)
	}
	return vs
}

func TestLockedErrorText(t *testing.T) {
	info := testLockInfo("x")
	e := &LockedError{Workspace: "prod", Holder: &info}
	want := "workspace prod is locked by alice@ci-runner-7 (pid 4242, operation apply) since 2026-11-25T08:00:00Z"
	if e.Error() != want {
		t.Errorf("got %q\nwant %q", e.Error(), want)
	}
	if got := (&LockedError{Workspace: "w"}).Error(); got != "workspace w is locked by another process" {
		t.Errorf("no holder: %q", got)
	}
}

func TestValidateWorkspace(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"default", true}, {"team-a.ci_2", true}, {"_x", true}, {strings.Repeat("a", 128), true},
		{"", false}, {".hidden", false}, {"-x", false}, {"a/b", false}, {"a b", false}, {strings.Repeat("a", 129), false}, {"ü", false},
	} {
		if err := ValidateWorkspace(tc.name); (err == nil) != tc.ok {
			t.Errorf("ValidateWorkspace(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestOpenDispatch(t *testing.T) {
	for _, tc := range []struct {
		dsn  string
		pg   bool
		path string
	}{
		{"postgres://u@h/db", true, ""}, {"postgresql://h/db", true, ""}, {"state.db", false, ""}, {"", false, ""},
	} {
		if IsPostgres(tc.dsn) != tc.pg {
			t.Errorf("IsPostgres(%q) != %v", tc.dsn, tc.pg)
		}
	}
	if got := DefaultPath(""); got != ".brokerctl/default.db" {
		t.Errorf("DefaultPath = %q", got)
	}
	if got := DefaultPath("ci"); got != ".brokerctl/ci.db" {
		t.Errorf("DefaultPath(ci) = %q", got)
	}
	if _, err := Open(context.Background(), ""); err == nil {
		t.Error("Open(\"\") succeeded")
	}
}

func TestParsePostgresDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn, schema, err string
	}{
		{"postgres://u:pw@db.internal:5433/app", "brokerctl", ""},
		{"postgres://u@h/app?schema=team_a&sslmode=disable", "team_a", ""},
		{"postgresql://u@h/app?search_path=ci,public", "ci", ""},
		{"postgres://u@h/app?schema=x&search_path=y", "x", ""},
		{"postgres://u@h/app?schema=bad-name", "", "invalid PostgreSQL schema"},
		{"postgres://u:secret@h:notaport/app", "", "parse PostgreSQL URL"},
	} {
		cfg, schema, err := parsePostgresDSN(tc.dsn)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "secret") {
				t.Errorf("%s: err = %v, want %q without the password", tc.dsn, err, tc.err)
			}
			continue
		}
		if err != nil || schema != tc.schema {
			t.Errorf("%s: schema %q err %v, want %q", tc.dsn, schema, err, tc.schema)
			continue
		}
		if _, sent := cfg.RuntimeParams["schema"]; sent {
			t.Errorf("%s: schema parameter would be sent to the server", tc.dsn)
		}
	}
}

func TestPutConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		ctx := context.Background()
		b := openBackend(t, bk.newDSN(t))
		w := lockWorkspace(t, b, "default", testLockInfo("l"))
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 10 {
					if err := w.Put(ctx, Record{Address: fmt.Sprintf("transfers.t%d_%d", g, i), Kind: "transfer", Phase: PhaseIntent}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if l, err := w.List(ctx); err != nil || len(l) != 80 {
			t.Errorf("List: %d records, %v", len(l), err)
		}
	})
}

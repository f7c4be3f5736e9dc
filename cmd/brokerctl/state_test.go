package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/brokerctl/brokerctl/pkg/state"
)

// runState runs brokerctl in-process with stdin not a terminal.
func runState(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{}
	code = run(args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

// seedState writes two records and an output into workspace ws of the
// SQLite file path.
func seedState(t *testing.T, dsn, ws string) {
	t.Helper()
	ctx := context.Background()
	be, err := state.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	w, err := be.Lock(ctx, ws, state.NewLockInfo("apply", "test"), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	at := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	for _, r := range []state.Record{
		{Address: "accounts.alice", Kind: "account", Phase: state.PhaseCreated, RemoteID: "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415",
			Status: "ACTIVE", IdempotencyKey: "bk-1", UpdatedAt: at,
			Object: json.RawMessage(`{"identity":{"tax_id":"***"}}`), Request: json.RawMessage(`{"identity":{"tax_id":"sha256:5e1f"}}`)},
		{Address: "transfers.fund", Kind: "transfer", Phase: state.PhaseIntent, IdempotencyKey: "bk-2", UpdatedAt: at,
			Dependencies: []string{"accounts.alice"}},
	} {
		if err := w.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.SetOutputs(ctx, map[string]json.RawMessage{"alice_id": json.RawMessage(`"b0b6dd9d"`)}); err != nil {
		t.Fatal(err)
	}
}

func TestStateListShow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	seedState(t, path, "ci")

	code, out, errs := runState(t, "state", "list", "--state", path, "--workspace", "ci")
	if code != 0 {
		t.Fatalf("list: %d %s", code, errs)
	}
	for _, want := range []string{"ADDRESS", "accounts.alice  account   created  ACTIVE", "transfers.fund  transfer  intent   -", "2026-11-25T07:00:00Z"} {
		if !strings.Contains(out, want) {
			t.Errorf("list output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runState(t, "state", "list", "--state", path, "--workspace", "ci", "-o", "json")
	var recs []state.Record
	if code != 0 || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 2 {
		t.Fatalf("list -o json: %d %s", code, out)
	}
	code, out, _ = runState(t, "state", "show", "accounts.alice", "--state", path, "--workspace", "ci")
	var rec state.Record
	if code != 0 || json.Unmarshal([]byte(out), &rec) != nil || rec.RemoteID != "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415" {
		t.Fatalf("show: %d %s", code, out)
	}
	if !strings.Contains(out, `"tax_id": "sha256:5e1f"`) {
		t.Errorf("show does not print the stored (hashed) request:\n%s", out)
	}
	code, _, errs = runState(t, "state", "show", "accounts.bob", "--state", path, "--workspace", "ci")
	if code != 1 || !strings.Contains(errs, "no resource accounts.bob in workspace ci") {
		t.Errorf("show missing: %d %s", code, errs)
	}
	code, out, _ = runState(t, "state", "workspaces", "--state", path)
	if code != 0 || out != "ci\n" {
		t.Errorf("workspaces: %d %q", code, out)
	}
	code, out, _ = runState(t, "state", "history", "--state", path, "--workspace", "ci")
	if code != 0 || !strings.Contains(out, "apply      finished") || !strings.Contains(out, "LOCK ID") {
		t.Errorf("history: %d\n%s", code, out)
	}
	code, out, _ = runState(t, "state", "history", "--state", path, "-o", "json")
	if code != 0 || out != "[]\n" {
		t.Errorf("history of an empty workspace: %d %q", code, out)
	}
	// Another workspace of the same file is empty.
	code, out, _ = runState(t, "state", "list", "--state", path)
	if code != 0 || !strings.Contains(out, "No resources in workspace default.") {
		t.Errorf("list default: %d %s", code, out)
	}
}

func TestStateUnlockSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	be, err := state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	info := state.NewLockInfo("apply", "test")
	w, err := be.Lock(ctx, "default", info, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"wrong-id", "--yes"}, 1, "is locked with ID " + info.ID + ", not wrong-id"},
		{[]string{info.ID, "--yes"}, 1, "that holder is still running"},
		{[]string{info.ID, "--force"}, 2, "stdin is not a terminal; pass --yes"},
		{[]string{info.ID, "--force", "--yes"}, 1, "a SQLite lock is released as soon as its holder exits"},
	} {
		code, _, errs := runState(t, append([]string{"state", "unlock", "--state", path}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("unlock %v: exit %d, stderr %q; want %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
	if err := w.Put(ctx, state.Record{Address: "a.b", Kind: "k", Phase: state.PhaseIntent}); err != nil {
		t.Errorf("the holder lost its lock: %v", err)
	}
	w.Close()
	code, _, errs := runState(t, "state", "unlock", "--state", path, "--yes", info.ID)
	if code != 1 || !strings.Contains(errs, "no such lock") {
		t.Errorf("unlock after release: %d %s", code, errs)
	}
}

func TestStateMigrateSQLite(t *testing.T) {
	dir := t.TempDir()
	from, to := filepath.Join(dir, "from.db"), filepath.Join(dir, "to.db")
	seedState(t, from, "default")
	code, out, errs := runState(t, "state", "migrate", "--from", from, "--to", to)
	if code != 0 || !strings.Contains(out, "2 records, 1 outputs") {
		t.Fatalf("migrate: %d %s %s", code, out, errs)
	}
	code, _, errs = runState(t, "state", "migrate", "--from", from, "--to", to)
	if code != 1 || !strings.Contains(errs, "destination workspace is not empty") || !strings.Contains(errs, "--force") {
		t.Errorf("second migrate: %d %s", code, errs)
	}
	if code, _, errs = runState(t, "state", "migrate", "--from", from, "--to", to, "--force"); code != 0 {
		t.Errorf("forced migrate: %d %s", code, errs)
	}
	code, _, errs = runState(t, "state", "migrate", "--from", from)
	if code != 2 || !strings.Contains(errs, "--to is required") {
		t.Errorf("migrate without --to: %d %s", code, errs)
	}
	code, _, errs = runState(t, "state", "migrate", "--from", filepath.Join(dir, "missing.db"), "--to", to)
	if code != 1 || !strings.Contains(errs, "no state at") {
		t.Errorf("migrate from a missing file: %d %s", code, errs)
	}
}

// TestStatePostgres migrates to PostgreSQL and force-unlocks a live holder
// there; it runs when BROKERCTL_TEST_POSTGRES is set (scripts/with-postgres.sh).
func TestStatePostgres(t *testing.T) {
	base := os.Getenv("BROKERCTL_TEST_POSTGRES")
	if base == "" {
		t.Skip("PostgreSQL tests skipped: BROKERCTL_TEST_POSTGRES is not set (run: bash scripts/with-postgres.sh go test ./cmd/brokerctl/)")
	}
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "cli_" + hex.EncodeToString(b)
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	dsn := u.String()
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err == nil {
			conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
			conn.Close(ctx)
		}
	})

	from := filepath.Join(t.TempDir(), "from.db")
	seedState(t, from, "default")
	code, out, errs := runState(t, "state", "migrate", "--from", from, "--to", dsn)
	if code != 0 || !strings.Contains(out, "2 records, 1 outputs") {
		t.Fatalf("migrate to PostgreSQL: %d %s %s", code, out, errs)
	}
	code, out, _ = runState(t, "state", "list", "--state", dsn)
	if code != 0 || !strings.Contains(out, "accounts.alice") {
		t.Errorf("list on PostgreSQL: %d %s", code, out)
	}

	be, err := state.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	info := state.NewLockInfo("apply", "test")
	w, err := be.Lock(ctx, "default", info, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	code, out, _ = runState(t, "state", "list", "--state", dsn)
	if code != 0 || !strings.Contains(out, "workspace default is locked by") || !strings.Contains(out, info.ID) {
		t.Errorf("list does not show the lock holder:\n%s", out)
	}
	code, out, errs = runState(t, "state", "unlock", "--state", dsn, "--force", "--yes", info.ID)
	if code != 0 || !strings.Contains(out, "Workspace default unlocked") {
		t.Fatalf("unlock --force: %d %s %s", code, out, errs)
	}
	if err := w.Put(ctx, state.Record{Address: "a.b", Kind: "k", Phase: state.PhaseIntent}); err == nil {
		t.Error("the force-unlocked holder can still write")
	}

	// A holder that died left its record: unlock without --force clears it.
	dead := state.NewLockInfo("destroy", "test")
	w2, err := be.Lock(ctx, "default", dead, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'brokerctl lock default' AND datname = current_database()`); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ { // termination is asynchronous
		if h, _ := be.LockHolder(ctx, "default"); h == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, out, errs = runState(t, "state", "unlock", "--state", dsn, "--yes", dead.ID)
	if code != 0 || !strings.Contains(out, "unlocked") {
		t.Errorf("unlock of a dead holder's record: %d %s %s", code, out, errs)
	}
	code, out, _ = runState(t, "state", "history", "--state", dsn)
	if code != 0 || !strings.Contains(out, "destroy    interrupted") {
		t.Errorf("history after unlock:\n%s", out)
	}
}

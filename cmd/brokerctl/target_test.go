package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// soloManifest declares one account and reads the built-in emulator's
// firm account, so a run both creates and looks up.
const soloManifest = `data:
  accounts:
    firm:
      id: 8f8c8cee-2591-4f83-be12-82c659b5e748
accounts:
  solo:
    contact:
      email_address: solo.target@example.com
      street_address: ["1 Main St"]
      city: Austin
      state: TX
      country: USA
    identity:
      given_name: Solo
      family_name: Target
      date_of_birth: "1990-01-01"
      tax_id: 666-55-4321
      tax_id_type: USA_SSN
      country_of_tax_residence: USA
      funding_source: [savings]
    disclosures:
      is_control_person: false
      is_affiliated_exchange_or_finra: false
      is_politically_exposed: false
      immediate_family_exposed: false
    agreements:
      - agreement: customer_agreement
        signed_at: "2026-01-15T10:00:00Z"
        ip_address: 127.0.0.1
    wait_for: {status: ACTIVE, timeout: 1m}
`

// cliEnv runs brokerctl in-process in a fresh working directory with a
// controlled environment.
type cliEnv struct {
	t   *testing.T
	dir string
	env map[string]string
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("solo.yaml", []byte(soloManifest), 0o600); err != nil {
		t.Fatal(err)
	}
	return &cliEnv{t: t, dir: dir, env: map[string]string{"NO_COLOR": "1"}}
}

func (c *cliEnv) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb, func(k string) string { return c.env[k] })
	return code, out.String(), errb.String()
}

// files lists every file under root (relative paths, sorted).
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// A workspace name that would escape .brokerctl is a usage error (exit 2)
// for every command, and not a single file is created anywhere.
func TestWorkspaceTraversalRejectedBeforeAnyFile(t *testing.T) {
	c := newCLIEnv(t)
	// The parent of the working directory is a fresh temp dir too: a
	// traversal would land there.
	parent := filepath.Dir(c.dir)
	before := files(t, parent)
	for _, args := range [][]string{
		{"apply", "-f", "solo.yaml"},
		{"plan", "-f", "solo.yaml"},
		{"plan", "-f", "solo.yaml", "--detailed-exitcode"},
		{"destroy", "-f", "solo.yaml", "--yes"},
		{"output"},
		{"state", "list"},
	} {
		for _, ws := range []string{"../../escape", "../etc", "feature/x"} {
			t.Run(strings.Join(args, " ")+" "+ws, func(t *testing.T) {
				code, _, stderr := c.run(append(args, "--workspace", ws)...)
				want := 2
				if args[0] == "plan" && len(args) > 3 {
					want = 1 // under --detailed-exitcode 2 means "changes"
				}
				if code != want {
					t.Fatalf("exit %d, want %d; stderr %q", code, want, stderr)
				}
				if !strings.Contains(stderr, "invalid workspace name") {
					t.Fatalf("stderr %q does not name the bad workspace", stderr)
				}
			})
		}
	}
	if after := files(t, parent); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Fatalf("files created by rejected runs:\nbefore %v\nafter  %v", before, after)
	}
}

// Bad emulator serve flags are usage errors like the others.
func TestEmulatorServeFlagExitCodes(t *testing.T) {
	c := newCLIEnv(t)
	for _, args := range [][]string{
		{"emulator", "serve", "--addr", "127.0.0.1:0", "--firm-cash", "-5"},
		{"emulator", "serve", "--addr", "127.0.0.1:0", "--firm-cash", "lots"},
		{"emulator", "serve", "--addr", "127.0.0.1:0", "--journal-limit", "0"},
	} {
		code, _, stderr := c.run(args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr)
		}
	}
}

// pgTestDSN returns a DSN on a fresh schema of the test PostgreSQL server
// (dropped at cleanup), or skips when BROKERCTL_TEST_POSTGRES is unset.
func pgTestDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("BROKERCTL_TEST_POSTGRES")
	if base == "" {
		t.Skip("PostgreSQL tests skipped: BROKERCTL_TEST_POSTGRES is not set (run: bash scripts/with-postgres.sh go test ./cmd/brokerctl/)")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "tgt_" + hex.EncodeToString(b)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("schema", schema)
	u.RawQuery = q.Encode()
	t.Cleanup(func() {
		ctx := context.Background()
		if conn, err := pgx.Connect(ctx, base); err == nil {
			conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
			conn.Close(ctx)
		}
	})
	return u.String()
}

// With state in PostgreSQL the built-in emulator still keeps its objects
// in .brokerctl/emulator-<workspace>.json of the working directory, so a
// second run and a destroy see the objects the first run created.
func TestBuiltinEmulatorWithPostgresStatePersists(t *testing.T) {
	dsn := pgTestDSN(t)
	c := newCLIEnv(t)
	code, out, errs := c.run("apply", "-f", "solo.yaml", "--state", dsn)
	if code != 0 || !strings.Contains(out, "1 added") {
		t.Fatalf("first apply: exit %d\n%s\n%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(".brokerctl", "emulator-default.json")); err != nil {
		t.Fatalf("built-in emulator data not kept with a postgres state: %v", err)
	}
	code, out, errs = c.run("apply", "-f", "solo.yaml", "--state", dsn)
	if code != 0 || !strings.Contains(out, "0 added") {
		t.Fatalf("second apply: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = c.run("destroy", "-f", "solo.yaml", "--state", dsn)
	if code != 0 || !strings.Contains(out, "closed") || strings.Contains(out, "already gone") {
		t.Fatalf("destroy did not close the account the first run made: exit %d\n%s\n%s", code, out, errs)
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/brokerctl/brokerctl/pkg/emulator"
	"github.com/brokerctl/brokerctl/pkg/state"
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

// standalone starts an emulator like `brokerctl emulator serve` with its
// own key pair and returns it with its URL.
func standalone(t *testing.T) (*emulator.Server, *broker.Client) {
	t.Helper()
	srv, err := emulator.Start(context.Background(), "127.0.0.1:0", emulator.Options{KeyID: "QAKEY0000001", Secret: "QASECRETxyz123"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := broker.New(broker.Config{BaseURL: srv.URL, KeyID: "QAKEY0000001", Secret: "QASECRETxyz123", RequestsPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func (c *cliEnv) creds(secret string) {
	c.env["APCA_API_KEY_ID"] = "QAKEY0000001"
	c.env["APCA_API_SECRET_KEY"] = secret
}

// accountStatuses lists, through the emulator's API, every account's status.
func accountStatuses(t *testing.T, c *broker.Client) map[string]string {
	t.Helper()
	var items []map[string]any
	if err := c.Do(context.Background(), "GET", "/v1/accounts", nil, nil, &items); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range items {
		out[a["id"].(string)], _ = a["status"].(string)
	}
	return out
}

const credsMsg = "(HTTP 401): check APCA_API_KEY_ID / APCA_API_SECRET_KEY"

// QA F2/F3: wrong credentials fail with one error and exit 1, before
// anything else is sent; destroy forgets nothing and closes nothing.
func TestWrongCredentialsFailFastAndForgetNothing(t *testing.T) {
	srv, api := standalone(t)
	c := newCLIEnv(t)
	c.creds("QASECRETxyz123")
	code, out, errs := c.run("--endpoint", srv.URL, "apply", "-f", "solo.yaml", "--state", "one.db")
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errs)
	}
	beforeState, _ := os.ReadFile("one.db")
	_, listBefore, _ := c.run("state", "list", "--state", "one.db")
	statuses := accountStatuses(t, api)

	c.creds("wrong")
	stats := srv.Emulator.Stats()
	for _, args := range [][]string{
		{"--endpoint", srv.URL, "destroy", "--yes", "-f", "solo.yaml", "--state", "one.db"},
		{"--endpoint", srv.URL, "apply", "-f", "solo.yaml", "--state", "one.db"},
		{"--endpoint", srv.URL, "apply", "-f", "solo.yaml", "--state", "fresh.db"},
	} {
		code, out, errs := c.run(args...)
		want := "Error: credentials rejected by " + srv.URL + " " + credsMsg + "\n"
		if code != 1 || errs != want {
			t.Fatalf("%v: exit %d, stderr %q, want exit 1 and %q (stdout %q)", args, code, errs, want, out)
		}
	}
	after := srv.Emulator.Stats()
	if got := after.Requests - stats.Requests; got != 3 {
		t.Errorf("three runs with a wrong secret sent %d requests, want 3 (one pre-flight each)", got)
	}
	if _, err := os.Stat("fresh.db"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a rejected first apply created its state file (%v)", err)
	}
	_, listAfter, _ := c.run("state", "list", "--state", "one.db")
	if listAfter != listBefore || !strings.Contains(listAfter, "created") {
		t.Errorf("state changed:\nbefore %s\nafter  %s", listBefore, listAfter)
	}
	if afterState, _ := os.ReadFile("one.db"); !bytes.Equal(afterState, beforeState) {
		t.Errorf("state file rewritten by rejected runs")
	}
	if got := accountStatuses(t, api); fmt.Sprint(got) != fmt.Sprint(statuses) {
		t.Errorf("accounts changed through the API: before %v after %v", statuses, got)
	}
}

// QA F3: plan loads and checks credentials like apply.
func TestPlanChecksCredentialsLikeApply(t *testing.T) {
	c := newCLIEnv(t)
	c.env["APCA_API_KEY_ID"] = "QAKEY0000001"
	for _, cmd := range []string{"apply", "plan"} {
		code, _, errs := c.run(cmd, "-f", "solo.yaml")
		if code != 2 || !strings.Contains(errs, "incomplete credentials in the environment: set both APCA_API_KEY_ID and APCA_API_SECRET_KEY") {
			t.Errorf("%s with half a key pair: exit %d, stderr %q", cmd, code, errs)
		}
	}
	if _, err := os.Stat(".brokerctl"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("rejected runs created .brokerctl (%v)", err)
	}
}

// QA F4: a dead endpoint fails in seconds with one clear line; --endpoint
// without credentials names --endpoint.
func TestUnreachableEndpointFailsFast(t *testing.T) {
	// A port below the ephemeral range: no other test's listener on port 0
	// can be given it between here and the run.
	port, err := freeFixedPort()
	if err != nil {
		t.Fatal(err)
	}
	dead := fmt.Sprintf("http://127.0.0.1:%d", port)
	c := newCLIEnv(t)
	c.creds("x")
	start := time.Now()
	code, _, errs := c.run("--endpoint", dead, "apply", "-f", "solo.yaml")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s to give up", took)
	}
	if want := "Error: cannot reach " + dead + ": connection refused\n"; code != 1 || errs != want {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, errs, want)
	}
	c = newCLIEnv(t)
	for _, cmd := range []string{"apply", "plan"} {
		code, _, errs = c.run("--endpoint", dead, cmd, "-f", "solo.yaml")
		if want := "--endpoint " + dead + " needs credentials"; code != 2 || !strings.Contains(errs, want) || strings.Contains(errs, "--target") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", cmd, code, errs, want)
		}
	}
}

// QA F19: --target and an endpoint that disagree are a usage error naming
// both; --debug and --json say where requests go.
func TestTargetEndpointContradictions(t *testing.T) {
	srv, _ := standalone(t)
	c := newCLIEnv(t)
	c.creds("QASECRETxyz123")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--target", "emulator", "--endpoint", srv.URL}, "--target emulator and --endpoint " + srv.URL + " contradict each other"},
		{[]string{"--target", "production", "--endpoint", srv.URL}, "--target production and --endpoint " + srv.URL + " contradict each other: production is https://broker-api.alpaca.markets"},
		{[]string{"--target", "sandbox", "--endpoint", srv.URL}, "--target sandbox and --endpoint " + srv.URL + " contradict each other"},
	} {
		for _, cmd := range []string{"apply", "plan"} {
			code, _, errs := c.run(append(tc.args, cmd, "-f", "solo.yaml", "--yes")...)
			if cmd == "plan" {
				code, _, errs = c.run(append(tc.args, cmd, "-f", "solo.yaml")...)
			}
			if code != 2 || !strings.Contains(errs, tc.want) {
				t.Errorf("%v %s: exit %d, stderr %q; want 2 and %q", tc.args, cmd, code, errs, tc.want)
			}
		}
	}
	c.env["APCA_BROKER_ENDPOINT"] = srv.URL
	code, _, errs := c.run("--target", "emulator", "apply", "-f", "solo.yaml")
	if code != 2 || !strings.Contains(errs, "--target emulator and APCA_BROKER_ENDPOINT "+srv.URL) {
		t.Errorf("endpoint from the environment: exit %d, stderr %q", code, errs)
	}
	delete(c.env, "APCA_BROKER_ENDPOINT")

	code, _, errs = c.run("--debug", "--endpoint", srv.URL, "apply", "-f", "solo.yaml")
	line := "target: endpoint " + srv.URL + " key QAKE…#"
	if code != 0 || !strings.Contains(errs, line) || strings.Contains(errs, "QAKEY0000001") || strings.Contains(errs, "QASECRET") {
		t.Errorf("--debug: exit %d, stderr %q; want a line %q and no key id or secret", code, errs, line)
	}
	code, out, _ := c.run("--endpoint", srv.URL, "apply", "-f", "solo.yaml", "--json")
	first, _, _ := strings.Cut(out, "\n")
	if code != 0 || !strings.Contains(first, `"type":"target"`) || !strings.Contains(first, `"url":"`+srv.URL+`"`) {
		t.Errorf("--json: exit %d, first event %s", code, first)
	}
}

// QA F18: state belongs to the target it was applied against. A run that
// would use another (here: the built-in emulator because the credentials
// are missing) is refused with exit 2 before anything is started, sent or
// written; the objects stay live on the API.
func TestStateBoundToTarget(t *testing.T) {
	srv, api := standalone(t)
	c := newCLIEnv(t)
	c.creds("QASECRETxyz123")
	if code, out, errs := c.run("--endpoint", srv.URL, "apply", "-f", "solo.yaml"); code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errs)
	}
	_, listBefore, _ := c.run("state", "list")
	statuses := accountStatuses(t, api)
	sent := srv.Emulator.Stats().Requests

	delete(c.env, "APCA_API_KEY_ID")
	delete(c.env, "APCA_API_SECRET_KEY")
	prefix := "workspace default was applied against " + srv.URL + " (key QAKE…#"
	for _, args := range [][]string{
		{"destroy", "-f", "solo.yaml"},
		{"apply", "-f", "solo.yaml"},
		{"plan", "-f", "solo.yaml"},
		{"--target", "emulator", "destroy", "-f", "solo.yaml"},
	} {
		code, _, errs := c.run(args...)
		if code != 2 || !strings.Contains(errs, prefix) || !strings.Contains(errs, "this run targets the built-in emulator: ") ||
			!strings.Contains(errs, "or use another --workspace/--state") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q...", args, code, errs, prefix)
		}
	}
	if _, err := os.Stat(filepath.Join(".brokerctl", "emulator-default.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the built-in emulator was started for a workspace of another target (%v)", err)
	}
	// Another key on the same endpoint is another target too.
	c.env["APCA_API_KEY_ID"], c.env["APCA_API_SECRET_KEY"] = "OTHERKEY01", "QASECRETxyz123"
	code, _, errs := c.run("--endpoint", srv.URL, "plan", "-f", "solo.yaml")
	if code != 2 || !strings.Contains(errs, "this run targets "+srv.URL+" (key OTHE…#") || !strings.Contains(errs, "--rebind-target") {
		t.Errorf("other key: exit %d, stderr %q", code, errs)
	}
	if got := srv.Emulator.Stats().Requests - sent; got != 0 {
		t.Errorf("refused runs sent %d requests", got)
	}
	if _, listAfter, _ := c.run("state", "list"); listAfter != listBefore {
		t.Errorf("state changed:\nbefore %s\nafter  %s", listBefore, listAfter)
	}
	if got := accountStatuses(t, api); fmt.Sprint(got) != fmt.Sprint(statuses) {
		t.Errorf("accounts changed: before %v after %v", statuses, got)
	}
	// The right target still works, and a destroy closes the account.
	c.creds("QASECRETxyz123")
	if code, out, errs := c.run("--endpoint", srv.URL, "destroy", "--yes", "-f", "solo.yaml"); code != 0 || !strings.Contains(out, "closed") {
		t.Fatalf("destroy on the bound target: exit %d\n%s\n%s", code, out, errs)
	}
	// Nothing live is left: the workspace may move to another target.
	delete(c.env, "APCA_API_KEY_ID")
	delete(c.env, "APCA_API_SECRET_KEY")
	if code, out, errs := c.run("apply", "-f", "solo.yaml"); code != 0 || !strings.Contains(out, "1 added") {
		t.Fatalf("apply on the emulator after a full destroy: exit %d\n%s\n%s", code, out, errs)
	}
	// ...and now belongs to the built-in emulator.
	c.creds("QASECRETxyz123")
	code, _, errs = c.run("--endpoint", srv.URL, "apply", "-f", "solo.yaml")
	if want := "workspace default was applied against the built-in emulator; this run targets " + srv.URL; code != 2 || !strings.Contains(errs, want) {
		t.Errorf("exit %d, stderr %q; want 2 and %q", code, errs, want)
	}
}

// State written before targets were recorded adopts the target of the
// next apply (with a notice), and is bound from then on.
func TestLegacyStateAdoptsTarget(t *testing.T) {
	c := newCLIEnv(t)
	if code, out, errs := c.run("apply", "-f", "solo.yaml"); code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errs)
	}
	ctx := context.Background()
	be, err := state.Open(ctx, filepath.Join(".brokerctl", "default.db"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := be.Lock(ctx, "default", state.NewLockInfo("test", "test"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := w.Metadata(ctx); m[state.MetaTarget] != `{"kind":"builtin-emulator"}` {
		t.Errorf("recorded target = %q", m[state.MetaTarget])
	}
	if err := w.SetMetadata(ctx, state.MetaTarget, ""); err != nil { // as an older brokerctl left it
		t.Fatal(err)
	}
	w.Close()
	be.Close()
	code, _, errs := c.run("apply", "-f", "solo.yaml")
	if code != 0 || !strings.Contains(errs, "workspace default has no recorded target (state from an older brokerctl); recording the built-in emulator") {
		t.Fatalf("legacy apply: exit %d, stderr %q", code, errs)
	}
	srv, _ := standalone(t)
	c.creds("QASECRETxyz123")
	if code, _, errs := c.run("--endpoint", srv.URL, "destroy", "--yes", "-f", "solo.yaml"); code != 2 || !strings.Contains(errs, "applied against the built-in emulator") {
		t.Errorf("after adoption: exit %d, stderr %q", code, errs)
	}
}

// The binding holds with a shared PostgreSQL state too.
func TestStateBoundToTargetPostgres(t *testing.T) {
	dsn := pgTestDSN(t)
	srv, _ := standalone(t)
	c := newCLIEnv(t)
	c.creds("QASECRETxyz123")
	if code, out, errs := c.run("--endpoint", srv.URL, "apply", "-f", "solo.yaml", "--state", dsn); code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errs)
	}
	delete(c.env, "APCA_API_KEY_ID")
	delete(c.env, "APCA_API_SECRET_KEY")
	code, _, errs := c.run("destroy", "-f", "solo.yaml", "--state", dsn)
	if code != 2 || !strings.Contains(errs, "was applied against "+srv.URL) || strings.Contains(errs, "password") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

// plan names its target under --debug and --json too.
func TestPlanAnnouncesTarget(t *testing.T) {
	c := newCLIEnv(t)
	code, _, errs := c.run("--debug", "plan", "-f", "solo.yaml")
	if first, _, _ := strings.Cut(errs, "\n"); code != 0 || !strings.HasPrefix(first, "target: emulator (built-in, not started) key CKEM…#") {
		t.Errorf("plan --debug: exit %d, first stderr line %q", code, first)
	}
	code, out, _ := c.run("plan", "-f", "solo.yaml", "--json")
	if first, _, _ := strings.Cut(out, "\n"); code != 0 || !strings.Contains(first, `"type":"target"`) || !strings.Contains(first, `"kind":"builtin-emulator"`) {
		t.Errorf("plan --json: exit %d, first event %s", code, first)
	}
}

// An endpoint that answers, but not with the Broker API's 2xx or 401,
// fails the pre-flight with its answer, exit 1, nothing else sent.
func TestPreflightReportsOtherAnswers(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"code":40410000,"message":"endpoint not found"}`))
	}))
	defer srv.Close()
	c := newCLIEnv(t)
	c.creds("x")
	code, _, errs := c.run("--endpoint", srv.URL, "apply", "-f", "solo.yaml")
	if code != 1 || !strings.Contains(errs, "pre-flight check of "+srv.URL+" (GET /v1/accounts) failed:") || !strings.Contains(errs, "endpoint not found") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// A key pair from --config that is rejected names the file it came from.
func TestRejectedConfigCredentialsNameTheFile(t *testing.T) {
	srv, _ := standalone(t)
	c := newCLIEnv(t)
	if err := os.WriteFile("creds.yaml", []byte("key_id: QAKEY0000001\nsecret_key: wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := c.run("--config", "creds.yaml", "--endpoint", srv.URL, "apply", "-f", "solo.yaml")
	want := "Error: credentials rejected by " + srv.URL + " " + credsMsg + " (this key pair is key_id / secret_key in creds.yaml)\n"
	if code != 1 || errs != want {
		t.Errorf("exit %d, stderr %q, want %q", code, errs, want)
	}
}

// TestPreflightOutlastsTransientAnswers: an endpoint that answers 503 or
// 429 for a while is up, so the pre-flight keeps asking within its budget;
// only a rejected key pair or a dead endpoint ends it at once.
func TestPreflightOutlastsTransientAnswers(t *testing.T) {
	tests := []struct {
		name     string
		failures int32 // answers before the first 200 (or 401)
		status   int
		final    int
		wantErr  string
	}{
		{"503 five times then ok", 5, http.StatusServiceUnavailable, http.StatusOK, ""},
		{"429 four times then ok", 4, http.StatusTooManyRequests, http.StatusOK, ""},
		{"502 then a rejected key pair", 2, http.StatusBadGateway, http.StatusUnauthorized, "credentials rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if calls.Add(1) <= tt.failures {
					w.WriteHeader(tt.status)
					fmt.Fprint(w, `{"code":50010000,"message":"injected"}`)
					return
				}
				w.WriteHeader(tt.final)
				if tt.final == http.StatusOK {
					fmt.Fprint(w, `[]`)
					return
				}
				fmt.Fprint(w, `{"code":40110000,"message":"request is not authorized"}`)
			}))
			defer srv.Close()
			spec := &targetSpec{Name: "endpoint", Kind: kindEndpoint, BaseURL: srv.URL, Creds: broker.Credentials{KeyID: "K", Secret: "S"}}
			c, err := broker.New(broker.Config{BaseURL: srv.URL, KeyID: "K", Secret: "S", MaxRetries: preflightRetries, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			err = preflight(context.Background(), c, spec)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("preflight: %v (after %d requests)", err, calls.Load())
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("preflight: %v, want %q", err, tt.wantErr)
			}
			if got, want := calls.Load(), tt.failures+1; got != want {
				t.Errorf("%d requests, want %d", got, want)
			}
		})
	}
}

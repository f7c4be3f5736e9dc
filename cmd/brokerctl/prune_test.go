package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/brokerctl/brokerctl/pkg/emulator"
)

// emulatorRun runs brokerctl against a standalone emulator, as a user with
// credentials and --endpoint would.
type emulatorRun struct {
	t      *testing.T
	srv    *emulator.Server
	client *broker.Client
	dir    string
}

func newEmulatorRun(t *testing.T) *emulatorRun {
	t.Helper()
	srv, err := emulator.Start(context.Background(), "127.0.0.1:0", emulator.Options{RequestsPerMinute: emulator.Unlimited})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := broker.New(broker.Config{BaseURL: srv.URL, KeyID: emulator.DefaultKeyID, Secret: emulator.DefaultSecret, RequestsPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	return &emulatorRun{t: t, srv: srv, client: c, dir: t.TempDir()}
}

// brokerctl runs one command in the test's directory and returns its exit
// code and output.
func (r *emulatorRun) brokerctl(args ...string) (int, string, string) {
	r.t.Helper()
	env := map[string]string{"APCA_API_KEY_ID": emulator.DefaultKeyID, "APCA_API_SECRET_KEY": emulator.DefaultSecret, "NO_COLOR": "1"}
	args = append([]string{"--endpoint", r.srv.URL, "--state", filepath.Join(r.dir, "state.db")}, args...)
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func (r *emulatorRun) mustRun(args ...string) string {
	r.t.Helper()
	code, out, errs := r.brokerctl(args...)
	if code != 0 {
		r.t.Fatalf("brokerctl %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, errs)
	}
	return out
}

// accountStatuses reads, through the API, the status of every account
// whose email is in emails.
func (r *emulatorRun) accountStatuses(emails []string) map[string]string {
	r.t.Helper()
	accts, err := r.client.ListAccounts(context.Background(), broker.AccountListOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range accts {
		if a.Contact != nil && slices.Contains(emails, a.Contact.EmailAddress) {
			out[a.Contact.EmailAddress] = string(a.Status)
		}
	}
	return out
}

// copyOnboarding copies the onboarding example with the first customers
// of its CSV (each costs a dozen requests at the client's rate limit).
func copyOnboarding(t *testing.T, dir string, customers int) {
	t.Helper()
	for _, n := range []string{"onboarding.yaml", "customers.csv"} {
		src := n
		if n == "onboarding.yaml" {
			src = "main.yaml"
		}
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "manifests", "onboarding", src))
		if err != nil {
			t.Fatal(err)
		}
		if n == "customers.csv" {
			lines := strings.SplitAfter(string(b), "\n")
			b = []byte(strings.Join(lines[:1+customers], ""))
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPruneOneCustomerFromCSV onboards the example customers, removes one
// row from the CSV and checks that plan names exactly that customer's
// resources, that apply --prune closes exactly that account (read back
// through the API), and that the next apply has nothing to do.
func TestPruneOneCustomerFromCSV(t *testing.T) {
	r := newEmulatorRun(t)
	copyOnboarding(t, r.dir, 4)
	manifest := filepath.Join(r.dir, "onboarding.yaml")
	csvPath := filepath.Join(r.dir, "customers.csv")
	rows, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(rows)), "\n")
	var emails []string
	for _, l := range lines[1:] {
		emails = append(emails, strings.SplitN(l, ",", 2)[0])
	}
	gone := emails[1]

	r.mustRun("apply", "-f", manifest)
	st := r.accountStatuses(emails)
	if len(st) != len(emails) {
		t.Fatalf("%d accounts after apply, want %d", len(st), len(emails))
	}

	kept := slices.Delete(slices.Clone(lines), 2, 3) // header is line 0
	if err := os.WriteFile(csvPath, []byte(strings.Join(kept, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := r.mustRun("plan", "-f", manifest)
	orphan := regexp.MustCompile(`(?m)^  \? (\S+): orphaned .*apply --prune`)
	var got []string
	for _, m := range orphan.FindAllStringSubmatch(out, -1) {
		got = append(got, m[1])
	}
	var want []string
	for _, kind := range []string{"accounts.customer", "ach_relationships.bank", "journals.welcome", "orders.first_trade", "transfers.deposit"} {
		want = append(want, kind+`["`+gone+`"]`)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("orphans %v, want %v\n%s", got, want, out)
	}
	if !strings.Contains(out, "No changes.") || !strings.Contains(out, "5 orphaned") {
		t.Fatalf("plan summary:\n%s", out)
	}
	out = r.mustRun("plan", "-f", manifest, "--prune")
	if !strings.Contains(out, "5 to destroy") {
		t.Fatalf("plan --prune:\n%s", out)
	}

	// Not on a terminal, outside the built-in emulator: --yes is required.
	if code, _, errs := r.brokerctl("apply", "-f", manifest, "--prune"); code != exitUsage || !strings.Contains(errs, "pass --yes") {
		t.Fatalf("apply --prune without --yes: exit %d, stderr %s", code, errs)
	}
	if st := r.accountStatuses(emails); st[gone] != "ACTIVE" {
		t.Fatalf("refused prune changed %s: %s", gone, st[gone])
	}
	out = r.mustRun("apply", "-f", manifest, "--prune", "--yes")
	if !regexp.MustCompile(`accounts.customer\["` + regexp.QuoteMeta(gone) + `"\] +destroyed +closed`).MatchString(out) {
		t.Fatalf("apply --prune table:\n%s", out)
	}
	if !regexp.MustCompile(`journals.welcome\["` + regexp.QuoteMeta(gone) + `"\] +forgotten +retained`).MatchString(out) {
		t.Fatalf("the welcome journal is retain_on_destroy:\n%s", out)
	}
	st = r.accountStatuses(emails)
	closed := 0
	for e, s := range st {
		switch {
		case e == gone && s != "ACCOUNT_CLOSED":
			t.Errorf("%s is %s, want ACCOUNT_CLOSED", e, s)
		case e != gone && s != "ACTIVE":
			t.Errorf("%s is %s, want ACTIVE", e, s)
		}
		if s == "ACCOUNT_CLOSED" {
			closed++
		}
	}
	if closed != 1 {
		t.Fatalf("%d accounts closed, want exactly 1", closed)
	}

	// Everything matches now: no changes, no orphans, no request to speak of.
	out = r.mustRun("plan", "-f", manifest)
	if !strings.Contains(out, "No changes.") || strings.Contains(out, "orphaned") {
		t.Fatalf("plan after prune:\n%s", out)
	}
	out = r.mustRun("apply", "-f", manifest, "--prune", "--yes")
	if !regexp.MustCompile(`Apply complete: 0 added, 0 changed, 0 replaced, 0 destroyed, \d+ unchanged, 0 failed, 0 skipped; [01] requests?`).MatchString(out) {
		t.Fatalf("re-apply:\n%s", out)
	}
}

// builtinRun runs brokerctl without credentials, against the built-in
// emulator, with its state in dir.
func builtinRun(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	args = append([]string{"--state", filepath.Join(dir, "state.db")}, args...)
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

func TestDestroyAddresses(t *testing.T) {
	dir := t.TempDir()
	copyOnboarding(t, dir, 2)
	manifest := filepath.Join(dir, "onboarding.yaml")
	if code, out, errs := builtinRun(t, dir, "apply", "-f", manifest); code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errs)
	}
	ada := `["ada.lovelace@example.com"]`

	// Naming an account takes its dependents along: listed, and confirmed.
	code, _, errs := builtinRun(t, dir, "destroy", "-f", manifest, "accounts.customer"+ada)
	if code != exitUsage || !strings.Contains(errs, "transfers.deposit"+ada+" (depends on a resource named)") || !strings.Contains(errs, "pass --yes") {
		t.Fatalf("destroy without --yes: exit %d\n%s", code, errs)
	}
	// A resource without dependents needs no confirmation.
	code, out, errs := builtinRun(t, dir, "destroy", "-f", manifest, "orders.first_trade"+ada)
	if code != 0 || !strings.Contains(out, "Destroy complete") || !strings.Contains(out, "orders.first_trade"+ada) || strings.Contains(out, "accounts.customer") {
		t.Fatalf("targeted destroy: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = builtinRun(t, dir, "destroy", "-f", manifest, "accounts.customer"+ada, "--yes")
	if code != 0 || !regexp.MustCompile(`(?m)^accounts.customer`+regexp.QuoteMeta(ada)+` +destroyed +closed`).MatchString(out) ||
		!strings.Contains(out, "2 destroyed, 2 forgotten or left as is") || strings.Contains(out, "ben.nakamura") {
		t.Fatalf("destroy account and dependents: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs := builtinRun(t, dir, "destroy", "-f", manifest, "accounts.nobody"); code != exitUsage || !strings.Contains(errs, "accounts.nobody is not in state") {
		t.Fatalf("unknown address: exit %d\n%s", code, errs)
	}
	if code, _, errs := builtinRun(t, dir, "destroy", "-f", manifest, "accounts.customer"+ada); code != exitUsage || !strings.Contains(errs, "already destroyed") {
		t.Fatalf("destroyed address: exit %d\n%s", code, errs)
	}
}

func TestStateForget(t *testing.T) {
	r := newEmulatorRun(t)
	copyOnboarding(t, r.dir, 1)
	manifest := filepath.Join(r.dir, "onboarding.yaml")
	r.mustRun("apply", "-f", manifest)
	dep := `transfers.deposit["ada.lovelace@example.com"]`

	before := r.srv.Emulator.Stats().Requests
	if code, _, errs := r.brokerctl("state", "forget", dep); code != exitUsage || !strings.Contains(errs, "pass --yes") {
		t.Fatalf("forget without --yes: exit %d\n%s", code, errs)
	}
	out := r.mustRun("state", "forget", dep, "--yes")
	if !strings.Contains(out, "Forgot "+dep) {
		t.Fatalf("forget:\n%s", out)
	}
	if after := r.srv.Emulator.Stats().Requests; after != before {
		t.Fatalf("forget sent %d requests", after-before)
	}
	if out := r.mustRun("state", "list"); strings.Contains(out, dep) {
		t.Fatalf("forgotten record still listed:\n%s", out)
	}
	if code, _, errs := r.brokerctl("state", "forget", dep, "--yes"); code != exitUsage || !strings.Contains(errs, "no resource") {
		t.Fatalf("forget twice: exit %d\n%s", code, errs)
	}
	// The manifest still declares it: plan creates it afresh.
	if out := r.mustRun("plan", "-f", manifest); !strings.Contains(out, "+ "+dep+": create") {
		t.Fatalf("plan after forget:\n%s", out)
	}
}

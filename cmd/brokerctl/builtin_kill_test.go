package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/brokerctl/brokerctl/pkg/emulator"
)

// duoManifest is soloManifest plus a second account.
const duoManifest = soloManifest + `  duo:
    contact:
      email_address: duo.target@example.com
      street_address: ["2 Main St"]
      city: Austin
      state: TX
      country: USA
    identity:
      given_name: Duo
      family_name: Target
      date_of_birth: "1990-01-01"
      tax_id: 666-55-4322
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

// QA Q10: a run killed with SIGKILL leaves the built-in emulator's data
// behind state (its newest objects were never saved). The next apply sees
// that, refreshes, and creates the lost objects again: exactly one of
// each, and the run after that is a plain no-op.
func TestBuiltinEmulatorLostObjectsResume(t *testing.T) {
	c := newCLIEnv(t)
	if code, out, errs := c.run("apply", "-f", "solo.yaml"); code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errs)
	}
	data := filepath.Join(".brokerctl", "emulator-default.json")
	old, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("duo.yaml", []byte(duoManifest), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := c.run("apply", "-f", "duo.yaml"); code != 0 || !strings.Contains(out, "1 added") {
		t.Fatalf("apply duo: exit %d\n%s\n%s", code, out, errs)
	}
	// As after kill -9: the emulator's data is the snapshot from before
	// accounts.duo was created; state records it.
	if err := os.WriteFile(data, old, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := c.run("apply", "-f", "duo.yaml")
	if code != 0 || !strings.Contains(errs, "state recorded 1 object(s) after the built-in emulator last saved its data") ||
		!strings.Contains(out, "1 added") {
		t.Fatalf("apply after losing emulator data: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = c.run("apply", "-f", "duo.yaml")
	if code != 0 || strings.Contains(errs, "refreshing") || !strings.Contains(out, "0 added") {
		t.Errorf("apply after the recovery: exit %d\n%s\n%s", code, out, errs)
	}
	// Exactly one account per e-mail, through the emulator's API.
	srv, err := emulator.Start(context.Background(), "127.0.0.1:0", emulator.Options{DataFile: data})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	api, err := broker.New(broker.Config{BaseURL: srv.URL, KeyID: emulator.DefaultKeyID, Secret: emulator.DefaultSecret, RequestsPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	var items []struct {
		Status  string `json:"status"`
		Contact struct {
			Email string `json:"email_address"`
		} `json:"contact"`
	}
	if err := api.Do(context.Background(), "GET", "/v1/accounts", nil, nil, &items); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, a := range items {
		count[a.Contact.Email]++
	}
	for _, email := range []string{"solo.target@example.com", "duo.target@example.com"} {
		if count[email] != 1 {
			t.Errorf("%s: %d accounts in the emulator, want 1 (all: %v)", email, count[email], count)
		}
	}
}

// QA Q11: two state files in one directory get their own built-in
// emulator data; the default state file keeps the old name.
func TestEmulatorDataPathPerStateFile(t *testing.T) {
	for _, tc := range []struct{ state, ws, want string }{
		{"", "default", filepath.Join(".brokerctl", "emulator-default.json")},
		{"", "ci", filepath.Join(".brokerctl", "emulator-ci.json")},
		{filepath.Join("st", "a.db"), "default", filepath.Join("st", "a.emulator-default.json")},
		{filepath.Join("st", "b.db"), "default", filepath.Join("st", "b.emulator-default.json")},
		{"postgres://u@h/db", "ci", filepath.Join(".brokerctl", "emulator-ci.json")},
	} {
		g := &Globals{StatePath: tc.state, Workspace: tc.ws}
		loc, err := stateLocation(g)
		if err != nil {
			t.Fatal(err)
		}
		if got := emulatorDataPath(g, loc); got != tc.want {
			t.Errorf("--state %q --workspace %s: %s, want %s", tc.state, tc.ws, got, tc.want)
		}
	}
}

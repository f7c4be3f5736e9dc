package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/brokerctl/brokerctl/pkg/broker"
)

// TestRefreshDrift deletes an ACH relationship and edits an account's
// contact through the API, behind brokerctl's back: plan trusts state and
// sees nothing, plan --refresh sees both, apply --refresh repairs both (read
// back through the API), and the next plan --refresh has no changes.
func TestRefreshDrift(t *testing.T) {
	r := newEmulatorRun(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "manifests", "quickstart", "main.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(r.dir, "quickstart.yaml")
	if err := os.WriteFile(manifest, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r.mustRun("apply", "-f", manifest)
	alice := strings.TrimSpace(r.mustRun("output", "alice_id"))
	ctx := context.Background()
	rels, err := r.client.ListACHRelationships(ctx, alice, nil)
	if err != nil || len(rels) != 1 {
		t.Fatalf("relationships %v, %v", rels, err)
	}
	if err := r.client.DeleteACHRelationship(ctx, alice, rels[0].ID); err != nil {
		t.Fatal(err)
	}
	patch := map[string]any{"contact": map[string]any{"city": "Elsewhere"}}
	if err := r.client.Do(ctx, http.MethodPatch, "/v1/accounts/"+alice, nil, patch, nil); err != nil {
		t.Fatal(err)
	}

	out := r.mustRun("plan", "-f", manifest)
	if !strings.Contains(out, "No changes.") || !strings.Contains(out, "State was not refreshed") {
		t.Fatalf("plan without refresh:\n%s", out)
	}
	out = r.mustRun("plan", "-f", manifest, "--refresh")
	for _, want := range []string{
		`(?m)^  \+ ach_relationships.alice_bank: create \(id ` + regexp.QuoteMeta(rels[0].ID) + `\) - deleted outside brokerctl, will be created$`,
		`(?m)^  ~ accounts.alice: update \(id [0-9a-f-]+\) fields: contact - changed outside brokerctl: contact.city$`,
		`Plan: 1 to add, 1 to change, 0 to replace`,
		// accounts: 1 list; ACH, transfers: 1 list each for alice; orders: 1
		// list per account; journals: 1 list.
		`Refreshed 7 resources from the API with 6 requests\.`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("plan --refresh: no match for %s in\n%s", want, out)
		}
	}
	code, jout, _ := r.brokerctl("plan", "-f", manifest, "--refresh", "--json", "--detailed-exitcode")
	if code != 2 || !strings.Contains(jout, `"resource":"ach_relationships.alice_bank","kind":"ach_relationships","action":"create"`) ||
		!strings.Contains(jout, `"drift":"deleted"`) || !strings.Contains(jout, `"drift":"changed"`) {
		t.Errorf("plan --refresh --json --detailed-exitcode: exit %d\n%s", code, jout)
	}
	// The deposit made with the old relationship stays as it is.
	if strings.Contains(out, "transfers.alice_deposit") {
		t.Errorf("plan --refresh touches the deposit:\n%s", out)
	}

	out = r.mustRun("apply", "-f", manifest, "--refresh")
	if !strings.Contains(out, "Apply complete: 1 added, 1 changed, 0 replaced, 0 destroyed") {
		t.Fatalf("apply --refresh:\n%s", out)
	}
	acct, err := r.client.GetAccount(ctx, alice)
	if err != nil || acct.Contact == nil || acct.Contact.City != "San Mateo" {
		t.Fatalf("contact after apply --refresh: %+v, %v", acct.Contact, err)
	}
	rels, err = r.client.ListACHRelationships(ctx, alice, []broker.ACHRelationshipStatus{"QUEUED", "APPROVED"})
	if err != nil || len(rels) != 1 {
		t.Fatalf("live relationships after apply --refresh: %v, %v", rels, err)
	}

	out = r.mustRun("plan", "-f", manifest, "--refresh")
	if !strings.Contains(out, "No changes.") {
		t.Fatalf("second plan --refresh:\n%s", out)
	}
}

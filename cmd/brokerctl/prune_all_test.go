package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brokerctl/brokerctl/pkg/executor"
)

// QA Q13: a CSV export that came out header-only makes every customer an
// orphan; apply --prune refuses (exit 2) unless --prune-all.
func TestPruneRefusesEmptyForEach(t *testing.T) {
	dir := t.TempDir()
	copyOnboarding(t, dir, 2)
	manifest := filepath.Join(dir, "onboarding.yaml")
	m, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	main, _, _ := strings.Cut(string(m), "\noutputs:") // they name the first row
	if err := os.WriteFile(manifest, []byte(main+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := builtinRun(t, dir, "apply", "-f", manifest); code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errs)
	}
	csvPath := filepath.Join(dir, "customers.csv")
	b, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(b), "\n")
	if err := os.WriteFile(csvPath, []byte(header+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := builtinRun(t, dir, "apply", "-f", manifest, "--prune", "--yes")
	if code != 2 || !strings.Contains(errs, "refusing --prune: it would destroy all") || !strings.Contains(errs, "pass --prune-all") {
		t.Fatalf("apply --prune of an empty CSV: exit %d\n%s\n%s", code, out, errs)
	}
	if _, list, _ := builtinRun(t, dir, "state", "list"); strings.Contains(list, "ACCOUNT_CLOSED") {
		t.Fatalf("a refused prune closed accounts:\n%s", list)
	}
	code, out, errs = builtinRun(t, dir, "apply", "-f", manifest, "--prune-all")
	if code != 0 || !strings.Contains(out, "closed") {
		t.Fatalf("apply --prune-all: exit %d\n%s\n%s", code, out, errs)
	}
}

func TestCheckPruneAll(t *testing.T) {
	del := func(a string) executor.Change { return executor.Change{Address: a, Action: executor.ActionDelete} }
	keep := func(a string) executor.Change { return executor.Change{Address: a, Action: executor.ActionNoOp} }
	tests := []struct {
		name     string
		changes  []executor.Change
		orphans  []executor.Change
		pruneAll bool
		want     string
	}{
		{"one row removed", []executor.Change{keep(`accounts.c["a"]`)}, []executor.Change{del(`accounts.c["b"]`)}, false, ""},
		{"every instance of a block", []executor.Change{keep("accounts.solo")}, []executor.Change{del(`accounts.c["a"]`), del(`accounts.c["b"]`)}, false,
			`every instance of accounts.c (all 2 instances)`},
		{"everything", []executor.Change{keep("data.accounts.firm")}, []executor.Change{del("accounts.solo"), del("data.accounts.x")}, false,
			"destroy all 1 managed resource(s)"},
		{"everything, --prune-all", nil, []executor.Change{del("accounts.solo")}, true, ""},
		{"a plain resource removed", []executor.Change{keep("accounts.a")}, []executor.Change{del("accounts.b")}, false, ""},
	}
	for _, tt := range tests {
		err := checkPruneAll(&executor.Plan{Changes: tt.changes, Orphans: tt.orphans}, tt.pruneAll)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || exitCode(err) != 2):
			t.Errorf("%s: %v, want exit 2 and %q", tt.name, err, tt.want)
		}
	}
}

package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// QA Q11: the 409 hint names lifecycle.import, and following it works.
func TestImportHintNamesTheField(t *testing.T) {
	srv, _ := standalone(t)
	c := newCLIEnv(t)
	c.creds("QASECRETxyz123")
	code, out, errs := c.run("--endpoint", srv.URL, "--state", "a.db", "apply", "-f", "solo.yaml")
	if code != 0 {
		t.Fatalf("apply a.db: exit %d\n%s\n%s", code, out, errs)
	}
	id := regexp.MustCompile(`accounts\.solo +\S+ +ACTIVE +([0-9a-f-]{36})`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no account id in:\n%s", out)
	}
	code, out, errs = c.run("--endpoint", srv.URL, "--state", "b.db", "apply", "-f", "solo.yaml")
	if code != 1 || !strings.Contains(out+errs, "adopt it with lifecycle.import,") || strings.Contains(out+errs, "import_id") {
		t.Fatalf("apply b.db: exit %d, want 1 and the lifecycle.import hint\n%s\n%s", code, out, errs)
	}
	m := strings.Replace(soloManifest, "    wait_for:", "    lifecycle: {import: "+id[1]+"}\n    wait_for:", 1)
	if err := os.WriteFile("imp.yaml", []byte(m), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := c.run("--endpoint", srv.URL, "--state", "c.db", "apply", "-f", "imp.yaml"); code != 0 || !strings.Contains(out, "imported") {
		t.Fatalf("apply with lifecycle.import: exit %d\n%s\n%s", code, out, errs)
	}
}

package main

import (
	"os"
	"strings"
	"testing"
)

// QA Q18: destroy works from state alone without -f (the manifest's CSV
// may be gone); a -f manifest that no longer loads says so.
func TestDestroyFromStateAlone(t *testing.T) {
	c := newCLIEnv(t)
	if code, out, errs := c.run("apply", "-f", "solo.yaml"); code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errs)
	}
	if err := os.WriteFile("solo.yaml", []byte("accounts:\n  solo:\n    contact: {email_address: 3}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := c.run("destroy", "-f", "solo.yaml")
	if code != 2 || !strings.Contains(errs, "error(s) in the manifest; destroy acts on state: run it without -f to remove everything recorded in workspace default") {
		t.Errorf("destroy -f broken manifest: exit %d, stderr %q", code, errs)
	}
	code, out, errs := c.run("destroy")
	if code != 0 || !strings.Contains(out, "accounts.solo") || !strings.Contains(out, "closed") || !strings.Contains(out, "1 destroyed, 1 forgotten or left as is") {
		t.Fatalf("destroy without -f: exit %d\n%s\n%s", code, out, errs)
	}
	_, list, _ := c.run("state", "list")
	if !strings.Contains(list, "ACCOUNT_CLOSED") {
		t.Errorf("state after destroy:\n%s", list)
	}
}

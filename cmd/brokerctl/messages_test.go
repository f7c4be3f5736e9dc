package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// QA Q17: plan --refresh announces the target once (--json: one "target"
// event), as plan without --refresh does.
func TestPlanRefreshAnnouncesTargetOnce(t *testing.T) {
	c := newCLIEnv(t)
	if code, out, errs := c.run("apply", "-f", "solo.yaml"); code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errs)
	}
	for _, args := range [][]string{
		{"plan", "-f", "solo.yaml", "--json"},
		{"plan", "-f", "solo.yaml", "--json", "--refresh"},
	} {
		code, out, errs := c.run(args...)
		if n := strings.Count(out, `"type":"target"`); code != 0 || n != 1 {
			t.Errorf("%v: exit %d, %d target events, want 1\n%s\n%s", args, code, n, out, errs)
		}
		code, _, errs = c.run(append([]string{"--debug"}, args[:3]...)...)
		if n := strings.Count(errs, "target: emulator"); code != 0 || n != 1 {
			t.Errorf("--debug %v: %d target lines, want 1\n%s", args[:3], n, errs)
		}
	}
}

// QA Q17: state migrate into a workspace that has state gives one hint,
// naming the flag.
func TestMigrateNotEmptyHintOnce(t *testing.T) {
	c := newCLIEnv(t)
	if code, out, errs := c.run("apply", "-f", "solo.yaml"); code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := c.run("state", "migrate", "--to", "copy.db"); code != 0 {
		t.Fatalf("migrate: exit %d\n%s\n%s", code, out, errs)
	}
	code, _, errs := c.run("state", "migrate", "--to", "copy.db")
	if code == 0 || strings.Count(errs, "--force") != 1 || !strings.Contains(errs, "; pass --force to replace them") ||
		strings.Contains(errs, "use force") || strings.Contains(errs, "MigrateOptions") {
		t.Errorf("second migrate: exit %d, stderr %q", code, errs)
	}
}

// QA Q17: every command's help text is wrapped at 80 columns.
func TestHelpWrapped(t *testing.T) {
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for i, l := range strings.Split(cmd.Long, "\n") {
			if n := len([]rune(l)); n > 80 {
				t.Errorf("%s --help, line %d: %d columns: %q", cmd.CommandPath(), i+1, n, l)
			}
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(&Globals{Getenv: func(string) string { return "" }}))
}

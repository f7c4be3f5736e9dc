package main

import (
	"strings"
	"testing"

	"github.com/brokerctl/brokerctl/pkg/executor"
)

// QA Q6: command-line mistakes exit 2 with a message naming the flag,
// before anything is started or written.
func TestRunFlagValuesExit2(t *testing.T) {
	c := newCLIEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"apply", "-f", "solo.yaml", "--replace", "accounts.nope"}, "--replace accounts.nope: no such resource in the manifest"},
		{[]string{"plan", "-f", "solo.yaml", "--replace", "accounts.solo[0]"}, "--replace accounts.solo[0]: no such resource in the manifest (declared: accounts.solo)"},
		{[]string{"apply", "-f", "solo.yaml", "--parallelism", "0"}, "--parallelism 0: want 1 or more"},
		{[]string{"destroy", "-f", "solo.yaml", "--parallelism", "-3"}, "--parallelism -3: want 1 or more"},
		{[]string{"apply", "-f", "solo.yaml", "--lock-timeout", "-1s"}, "--lock-timeout -1s: want 0 (do not wait) or more"},
		{[]string{"state", "forget", "accounts.solo", "--lock-timeout", "-1s"}, "--lock-timeout -1s: want 0"},
		{[]string{"emulator", "serve", "--addr", "nope"}, `--addr "nope": want host:port`},
		{[]string{"emulator", "serve", "--addr", "127.0.0.1:99999"}, `--addr "127.0.0.1:99999": want host:port`},
	} {
		code, _, errs := c.run(tc.args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, errs, tc.want)
		}
	}
	if fs := files(t, "."); len(fs) != 1 {
		t.Errorf("refused runs left files: %v", fs)
	}
	// A declared address still works.
	if code, out, errs := c.run("plan", "-f", "solo.yaml", "--replace", "accounts.solo"); code != 0 {
		t.Errorf("plan --replace accounts.solo: exit %d\n%s\n%s", code, out, errs)
	}
}

// QA Q3: outputs whose env names collide are a usage error (exit 2).
func TestCheckEnvNames(t *testing.T) {
	outs := map[string]executor.OutputValue{"my-out": {Value: "a"}, "My_Out": {Value: "b"}, "x": {Value: "c"}, "X": {Value: "d"}, "ok": {Value: "e"}}
	err := checkEnvNames(outs)
	want := "outputs My_Out and my-out all become MY_OUT; outputs X and x all become X: rename them"
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), want) {
		t.Errorf("checkEnvNames = %v (exit %d), want exit 2 and %q", err, exitCode(err), want)
	}
	if err := checkEnvNames(map[string]executor.OutputValue{"a": {}, "b": {}}); err != nil {
		t.Errorf("distinct names: %v", err)
	}
}

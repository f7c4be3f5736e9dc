package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brokerctl/brokerctl/pkg/executor"
)

// TestDotenvSourcedByShell writes hostile output values as a dotenv file,
// sources it with bash and sh (`set -a; . ./out.env`, as CI does) and checks
// that every value comes back byte for byte and that no command ran.
func TestDotenvSourcedByShell(t *testing.T) {
	values := map[string]string{
		"plain":      "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415",
		"subst":      "$(touch PWNED1) ${HOME} $HOME",
		"backticks":  "`touch PWNED2`",
		"backslash":  `a\b\\c \n \$x \` + "`" + `touch PWNED3` + "`",
		"quotes":     `say "hi" and 'bye'`,
		"newline":    "line one\nline two\n",
		"everything": "it's $(touch PWNED4) `touch PWNED5` \"q\" back\\slash\nnext 'line'",
		"trailing":   `ends with \`,
		"trailing_q": `O'Brien \`,
		"empty":      "",
		"unicode":    "Zoë ✓ \t tab",
		"json":       "", // replaced by a non-string value below
	}
	outs := map[string]executor.OutputValue{}
	for k, v := range values {
		outs[k] = executor.OutputValue{Value: v}
	}
	outs["json"] = executor.OutputValue{Value: map[string]any{"a": "`touch PWNED6`'"}}
	values["json"] = "{\"a\":\"`touch PWNED6`'\"}"

	var file, warn bytes.Buffer
	if err := writeDotenv(&file, &warn, outs); err != nil {
		t.Fatal(err)
	}
	for _, shell := range []string{"bash", "sh"} {
		t.Run(shell, func(t *testing.T) {
			if _, err := exec.LookPath(shell); err != nil {
				t.Skipf("%s not installed", shell)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "out.env"), file.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			for name, want := range values {
				// printf keeps trailing newlines that $(...) would strip.
				cmd := exec.Command(shell, "-c", `set -a; . ./out.env; printf '%s' "$`+envName(name)+`"`)
				cmd.Dir = dir
				cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=/nonexistent"}
				got, err := cmd.Output()
				if err != nil {
					t.Fatalf("%s: sourcing failed: %v\nfile:\n%s", name, err, file.String())
				}
				if string(got) != want {
					t.Errorf("%s: %s read %q, want %q\nfile:\n%s", name, shell, got, want, file.String())
				}
			}
			ran, _ := filepath.Glob(filepath.Join(dir, "PWNED*"))
			if len(ran) > 0 {
				t.Fatalf("sourcing the dotenv file ran commands (created %v)\nfile:\n%s", ran, file.String())
			}
		})
	}
	// Compose reads a backtick after a backslash literally, so the values it
	// would read differently are named on stderr; the others are not.
	for _, name := range []string{"everything", "trailing", "trailing_q", "json"} {
		if !strings.Contains(warn.String(), "output "+name+":") {
			t.Errorf("no warning for %s; warnings:\n%s", name, warn.String())
		}
	}
	for _, name := range []string{"plain", "subst", "backticks", "backslash", "quotes", "newline", "empty", "unicode"} {
		if strings.Contains(warn.String(), "output "+name+":") {
			t.Errorf("unexpected warning for %s:\n%s", name, warn.String())
		}
	}
}

// TestDotenvQuote pins the quoting chosen for each kind of value: single
// quotes whenever possible (literal for sh and docker compose alike).
func TestDotenvQuote(t *testing.T) {
	tests := []struct {
		in, want    string
		composeSafe bool
	}{
		{"COMPLETE", `'COMPLETE'`, true},
		{"$(id) `id` \\ \"x\"", "'$(id) `id` \\ \"x\"'", true},
		{"two\nlines", "'two\nlines'", true},
		{"it's $HOME \"q\" \\", `"it's \$HOME \"q\" \\"`, false},
		{"it's", `"it's"`, true},
		{"it's `id`", "\"it's \\`id\\`\"", false},
	}
	for _, tt := range tests {
		got, safe, err := dotenvQuote(tt.in)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if got != tt.want || safe != tt.composeSafe {
			t.Errorf("dotenvQuote(%q) = %s, %v; want %s, %v", tt.in, got, safe, tt.want, tt.composeSafe)
		}
	}
	if _, _, err := dotenvQuote("a\x00b"); err == nil || !strings.Contains(err.Error(), "NUL") {
		t.Errorf("NUL byte: err = %v, want a refusal naming NUL", err)
	}
}

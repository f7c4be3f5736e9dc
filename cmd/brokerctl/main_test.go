package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"version", []string{"version"}, exitOK, ""},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"unknown flag", []string{"version", "--bogus"}, exitUsage, "unknown flag: --bogus"},
		{"extra argument", []string{"version", "extra"}, exitUsage, `unknown command "extra"`},
		{"bad target", []string{"--target", "prod", "version"}, exitUsage, `--target "prod": want emulator, sandbox or production`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tt.args, strings.NewReader(""), &out, &errb, func(string) string { return "" })
			if code != tt.code {
				t.Fatalf("exit code = %d, want %d (stderr %q)", code, tt.code, errb.String())
			}
			if tt.err != "" && !strings.Contains(errb.String(), tt.err) {
				t.Fatalf("stderr = %q, want it to contain %q", errb.String(), tt.err)
			}
		})
	}
}

package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run brokerctl in-process as the "brokerctl" command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"brokerctl": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)) },
	})
}

// TestScripts runs every golden CLI test in testdata/script. Set
// UPDATE_GOLDEN=1 to rewrite the expected output in place.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") == "1",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			// Keep credentials from the developer's shell out of the tests.
			env.Setenv("APCA_API_KEY_ID", "")
			env.Setenv("APCA_API_SECRET_KEY", "")
			env.Setenv("APCA_BROKER_ENDPOINT", "")
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}

package main

import (
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
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
			// Scripts that need a fixed, known address (emulator serve
			// prints it) get free ports below Linux's ephemeral range
			// (32768-60999), where no outgoing connection can take them.
			for _, name := range []string{"PORT1", "PORT2"} {
				port, err := freeFixedPort()
				if err != nil {
					return err
				}
				env.Setenv(name, strconv.Itoa(port))
			}
			return nil
		},
	})
}

// freeFixedPort picks a random free TCP port in [20000, 32000) on loopback.
func freeFixedPort() (int, error) {
	for range 100 {
		port := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		ln.Close()
		return port, nil
	}
	return 0, errors.New("no free port in 20000-32000 on 127.0.0.1")
}

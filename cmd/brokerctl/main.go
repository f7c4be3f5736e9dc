// Command brokerctl applies declarative manifests to the Alpaca Broker API.
//
// This package is thin wiring: it parses flags into option structs and calls
// the packages under pkg/. Each command lives in its own file and registers
// itself with register from an init function.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes, documented in the README: 0 success, 1 an operation failed,
// 2 the command line or a manifest is invalid.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// version is set at build time with -ldflags "-X main.version=v1.2.3"; when
// unset it falls back to the module version recorded by the Go toolchain.
var version = ""

// Globals carries the persistent flags shared by every command and the
// streams commands write to, so tests can run commands in-process.
type Globals struct {
	// Endpoint is "sandbox", "production" or a base URL (--endpoint, APCA_BROKER_ENDPOINT).
	Endpoint string
	// Target is "emulator", "sandbox" or "production" (--target).
	Target string
	// ConfigFile is the credentials/config file (--config).
	ConfigFile string
	// StatePath is the state file or PostgreSQL DSN (--state, BROKERCTL_STATE).
	StatePath string
	// Workspace names the state workspace (--workspace, BROKERCTL_WORKSPACE).
	Workspace string
	// Debug enables debug logging on stderr (secrets are never logged).
	Debug bool
	// JSON asks for machine-readable output where a command supports it.
	JSON bool
	// NoColor disables colour and live progress.
	NoColor bool

	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment; tests replace it.
	Getenv func(string) string
}

// ExitError makes a command exit with a specific code. With a nil Err nothing
// more is printed: the command has already reported what went wrong.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// UsageError marks an error in the command line or in a manifest; it exits 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

var commands []func(*Globals) *cobra.Command

// register adds a command constructor; each command file calls it from init.
func register(f func(*Globals) *cobra.Command) { commands = append(commands, f) }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// run executes brokerctl with args and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	g := &Globals{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: getenv}
	root := newRootCmd(g)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Err != nil {
		fmt.Fprintf(stderr, "Error: %s\n", err)
	}
	return exitCode(err)
}

func exitCode(err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	var ue *UsageError
	if errors.As(err, &ue) || isCobraUsageError(err) {
		return exitUsage
	}
	return exitFailure
}

// isCobraUsageError recognises the argument errors cobra returns as plain
// errors (unknown command, wrong number of arguments).
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command ", "accepts ", "requires at least ", "requires at most ", "unknown flag", "unknown shorthand flag", "invalid argument "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func newRootCmd(g *Globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "brokerctl",
		Short: "Declarative workflows for the Alpaca Broker API",
		Long: `brokerctl applies YAML or JSON manifests that declare Alpaca Broker API
resources (accounts, ACH and bank relationships, transfers, journals, batch
journals and orders) with references between them. It validates manifests
against a JSON Schema, builds a dependency graph, and executes it with retries,
rate limiting, idempotency keys and durable state, so a run can be repeated or
resumed without creating anything twice.

With no credentials set, commands run against a built-in emulator of the API.`,
		Example: `  # Run the quickstart against the built-in emulator
  brokerctl apply -f examples/manifests/quickstart

  # Check a manifest without sending anything
  brokerctl validate -f onboarding.yaml

  # Start a local Broker API emulator for your own tests
  brokerctl emulator serve --addr 127.0.0.1:8080`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		Version:           versionString(),
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: true},
	}
	root.SetIn(g.Stdin)
	root.SetOut(g.Stdout)
	root.SetErr(g.Stderr)
	root.SetVersionTemplate("brokerctl {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })

	envOr := func(name, def string) string {
		if v := g.Getenv(name); v != "" {
			return v
		}
		return def
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.Endpoint, "endpoint", envOr("APCA_BROKER_ENDPOINT", ""), "Broker API endpoint: sandbox, production or a base URL (env APCA_BROKER_ENDPOINT)")
	pf.StringVar(&g.Target, "target", "", "where to run: emulator, sandbox or production (default: emulator when no credentials are set)")
	pf.StringVar(&g.ConfigFile, "config", envOr("BROKERCTL_CONFIG", ""), "config file with key_id, secret_key and endpoint (env BROKERCTL_CONFIG)")
	pf.StringVar(&g.StatePath, "state", envOr("BROKERCTL_STATE", ""), "state: a SQLite file path or a postgres:// URL (default .brokerctl/<workspace>.db; env BROKERCTL_STATE)")
	pf.StringVar(&g.Workspace, "workspace", envOr("BROKERCTL_WORKSPACE", "default"), "state workspace name (env BROKERCTL_WORKSPACE)")
	pf.BoolVar(&g.Debug, "debug", false, "log HTTP requests and decisions to stderr (secrets and personal data are redacted)")
	pf.BoolVar(&g.NoColor, "no-color", envOr("NO_COLOR", "") != "", "disable colour and the live progress display (env NO_COLOR)")

	root.PersistentPreRunE = func(*cobra.Command, []string) error { return checkGlobals(g) }
	for _, f := range commands {
		root.AddCommand(f(g))
	}
	return root
}

// checkGlobals rejects bad persistent flags before any command runs, so a
// typo in CI fails at validate time rather than at apply time.
func checkGlobals(g *Globals) error {
	switch g.Target {
	case "", "emulator", "sandbox", "production":
		return nil
	default:
		return &UsageError{Err: fmt.Errorf("--target %q: want emulator, sandbox or production (or --endpoint URL)", g.Target)}
	}
}

func versionString() string {
	v := version
	info, ok := debug.ReadBuildInfo()
	if v == "" {
		v = "(devel)"
		if ok && info.Main.Version != "" {
			v = info.Main.Version
		}
	}
	if ok {
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			v += " (" + rev
			if modified == "true" {
				v += ", modified"
			}
			v += ")"
		}
		v += " " + info.GoVersion
	}
	return v
}

package manifest_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/brokerctl/brokerctl/pkg/emulator"
	"github.com/brokerctl/brokerctl/pkg/executor"
	"github.com/brokerctl/brokerctl/pkg/manifest"
	"github.com/brokerctl/brokerctl/pkg/state"
)

// exampleFiles lists the examples: each directory of examples/manifests is
// one example (a module: every manifest in it, plus its data files).
func exampleFiles(t testing.TB) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join("..", "..", "examples", "manifests", "*", "main.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, f := range m {
		dirs = append(dirs, filepath.Dir(f))
	}
	if len(dirs) < 9 {
		t.Fatalf("found %d examples, want at least 9: %v", len(dirs), dirs)
	}
	return dirs
}

// noEnv hides the developer's environment so examples use their defaults.
func noEnv(string) (string, bool) { return "", false }

func TestExamplesValidate(t *testing.T) {
	for _, f := range exampleFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, diags := manifest.Load([]string{f}, manifest.Options{Getenv: noEnv})
			if diags.HasErrors() {
				t.Fatalf("%s does not validate:\n%v", f, diags)
			}
			if len(diags) > 0 {
				t.Errorf("%s has warnings:\n%v", f, diags)
			}
			if len(cfg.Resources) == 0 {
				t.Fatalf("%s declares no resource", f)
			}
		})
	}
}

// TestExamplesApply applies every example against the in-process emulator
// at instant speed, each with a fresh emulator and state, and checks that
// every resource was created or read and every output rendered.
func TestExamplesApply(t *testing.T) {
	for _, f := range exampleFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			cfg, diags := manifest.Load([]string{f}, manifest.Options{Getenv: noEnv})
			if diags.HasErrors() {
				t.Fatalf("%s does not validate:\n%v", f, diags)
			}
			nodes, outs, err := executor.FromManifest(cfg)
			if err != nil {
				t.Fatal(err)
			}
			res := applyOnEmulator(t, nodes, outs)
			if err := res.Err(); err != nil {
				t.Fatalf("apply %s: %v\n%s", f, err, res.Table())
			}
			if len(res.Rows) != len(cfg.Resources) {
				t.Errorf("%d result rows for %d resources\n%s", len(res.Rows), len(cfg.Resources), res.Table())
			}
			for _, row := range res.Rows {
				if row.Result != "created" && row.Result != "read" {
					t.Errorf("%s: result %q, want created or read", row.Address, row.Result)
				}
				if row.ID == "" {
					t.Errorf("%s: no id", row.Address)
				}
			}
			if len(res.Outputs) != len(cfg.Outputs) {
				t.Errorf("%d outputs rendered, want %d", len(res.Outputs), len(cfg.Outputs))
			}
		})
	}
}

func applyOnEmulator(t *testing.T, nodes []*executor.Node, outs []executor.OutputSpec) *executor.Result {
	t.Helper()
	ctx := context.Background()
	em, err := emulator.New(emulator.Options{Speed: emulator.SpeedInstant, RequestsPerMinute: emulator.Unlimited})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em.Handler())
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close(); em.Close() })
	c, err := broker.New(broker.Config{BaseURL: srv.URL, KeyID: emulator.DefaultKeyID, Secret: emulator.DefaultSecret,
		RequestsPerMinute: -1, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	be, err := state.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	ws, err := be.Lock(ctx, "default", state.NewLockInfo("test", "test"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	st, err := executor.NewStateStore(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	eng := executor.New(executor.NewBrokerRemote(c), st, nodes, outs, executor.Options{
		Wait:       executor.WaitOptions{PollMin: time.Millisecond, PollMax: 4 * time.Millisecond, NoStreams: true},
		RetryDelay: time.Millisecond,
	})
	res, err := eng.Apply(ctx)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

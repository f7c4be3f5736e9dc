package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/brokerctl/brokerctl/pkg/emulator"
	"github.com/brokerctl/brokerctl/pkg/executor"
	"github.com/brokerctl/brokerctl/pkg/manifest"
	"github.com/brokerctl/brokerctl/pkg/state"
)

// Target kinds, as recorded in state.
const (
	kindBuiltin  = "builtin-emulator"
	kindEndpoint = "endpoint"
)

// targetSpec is where a run would send requests, resolved from --target,
// --endpoint (or APCA_BROKER_ENDPOINT, or the config file) and the
// credentials, before anything is sent or started.
type targetSpec struct {
	// Name is "emulator", "sandbox", "production" or "endpoint" (a base
	// URL that is neither).
	Name string
	// Kind is kindBuiltin or kindEndpoint.
	Kind string
	// BaseURL is the endpoint; empty for the built-in emulator.
	BaseURL string
	// Creds are the key pair (zero for the built-in emulator).
	Creds broker.Credentials
	// RPM is the rate limit per quota (--rate-limit; 0: the default).
	RPM int
}

// KeyFingerprint identifies the key id without revealing it: its first
// four characters and the first 8 hex digits of its SHA-256.
func (t *targetSpec) KeyFingerprint() string {
	id := t.Creds.KeyID
	if t.Kind == kindBuiltin {
		id = emulator.DefaultKeyID
	}
	return keyFingerprint(id)
}

func keyFingerprint(id string) string {
	if id == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(id))
	prefix := id
	if len(prefix) > 4 {
		prefix = prefix[:4]
	}
	return prefix + "…#" + hex.EncodeToString(sum[:4])
}

// endpointSource names where the endpoint came from, for messages.
func endpointSource(g *Globals, creds broker.Credentials) (value, source string) {
	switch {
	case g.Endpoint != "" && g.Endpoint == g.Getenv(broker.EnvEndpoint):
		return g.Endpoint, broker.EnvEndpoint
	case g.Endpoint != "":
		return g.Endpoint, "--endpoint"
	case creds.Endpoint != "" && creds.Endpoint == g.Getenv(broker.EnvEndpoint):
		return creds.Endpoint, broker.EnvEndpoint
	case creds.Endpoint != "":
		return creds.Endpoint, "endpoint in " + creds.Source
	}
	return "", ""
}

// resolveTarget applies the target rules without sending anything: with
// no --target, no credentials and no endpoint it is the built-in emulator;
// otherwise the endpoint (sandbox by default) with the credentials, which
// must then be complete. --target and an endpoint that disagree are a
// usage error naming both.
func resolveTarget(g *Globals) (*targetSpec, error) {
	creds, found, err := broker.LoadCredentials(g.Getenv, g.ConfigFile)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	endpoint, source := endpointSource(g, creds)
	var url string
	if endpoint != "" {
		if url, err = broker.ResolveEndpoint(endpoint); err != nil {
			return nil, &UsageError{Err: fmt.Errorf("%s: %w", source, err)}
		}
	}
	name := g.Target
	switch name {
	case "":
		if !found && endpoint == "" {
			return &targetSpec{Name: "emulator", Kind: kindBuiltin}, nil
		}
	case "emulator":
		if endpoint != "" && source != "endpoint in "+creds.Source {
			return nil, &UsageError{Err: fmt.Errorf("--target emulator and %s %s contradict each other: the built-in emulator has no URL; drop one", source, endpoint)}
		}
		return &targetSpec{Name: "emulator", Kind: kindBuiltin}, nil
	case "sandbox", "production":
		want := broker.SandboxURL
		if name == "production" {
			want = broker.ProductionURL
		}
		if url != "" && url != want && !(name == "sandbox" && url == broker.ProductionURL) {
			return nil, &UsageError{Err: fmt.Errorf("--target %s and %s %s contradict each other: %s is %s; drop one", name, source, endpoint, name, want)}
		}
		if url == "" {
			url = want
		}
	default:
		return nil, &UsageError{Err: fmt.Errorf("--target %q: want emulator, sandbox or production", name)}
	}
	if url == "" {
		url = broker.SandboxURL
	}
	if url == broker.ProductionURL && name != "production" {
		return nil, &UsageError{Err: errors.New("the production endpoint needs an explicit --target production")}
	}
	t := &targetSpec{Name: name, Kind: kindEndpoint, BaseURL: url, Creds: creds}
	switch {
	case t.Name != "":
	case url == broker.SandboxURL:
		t.Name = "sandbox"
	default:
		t.Name = "endpoint"
	}
	if !found {
		who := "--target " + name
		if g.Target == "" {
			who = source + " " + endpoint
		}
		return nil, &UsageError{Err: fmt.Errorf("%s needs credentials: set %s and %s, or key_id and secret_key in --config", who, broker.EnvKeyID, broker.EnvSecret)}
	}
	return t, nil
}

// target is where requests go.
type target struct {
	Name   string
	Remote executor.Remote
	RPM    int
	// savedAt is when the built-in emulator's data was last saved before
	// this run (zero for an endpoint, or when it had none).
	savedAt time.Time
	close   func()
}

func (t *target) Close() {
	if t.close != nil {
		t.close()
	}
}

// connect builds the Remote for spec: it asks for confirmation before
// production, and checks with one authenticated request (short retry
// budget) that the endpoint answers and accepts the key pair. The built-in
// emulator is started on a loopback port, keeping its data next to state.
func connect(ctx context.Context, g *Globals, spec *targetSpec, yes, jsonOut bool, op string) (*target, error) {
	if spec.Kind == kindBuiltin {
		if g.Target == "" {
			fmt.Fprintln(g.Stderr, "brokerctl: no credentials set; using the built-in emulator (set APCA_API_KEY_ID and APCA_API_SECRET_KEY, or --target sandbox, for the real API)")
		}
		t, err := startEmulator(ctx, g, spec.RPM)
		if err == nil {
			announceTarget(g, spec, t, jsonOut)
		}
		return t, err
	}
	if spec.Name == "production" {
		if err := confirm(g, yes, op, "PRODUCTION"); err != nil {
			return nil, err
		}
	}
	cfg := broker.Config{BaseURL: spec.BaseURL, KeyID: spec.Creds.KeyID, Secret: spec.Creds.Secret, Logger: debugLogger(g), RequestsPerMinute: spec.RPM}
	pcfg := cfg
	pcfg.MaxRetries, pcfg.RetryWaitMin, pcfg.RetryWaitMax = preflightRetries, preflightRetryMin, preflightRetryMax
	watch := &rateWatch{base: http.DefaultTransport, now: time.Now}
	pcfg.HTTPClient = &http.Client{Timeout: preflightTimeout, Transport: watch}
	pf, err := broker.New(pcfg)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	client, err := broker.New(cfg)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	t := &target{Name: spec.Name, Remote: executor.NewBrokerRemote(client), RPM: cmp.Or(spec.RPM, broker.DefaultRequestsPerMinute)}
	announceTarget(g, spec, t, jsonOut)
	if err := preflightWatched(ctx, pf, spec, watch, g.Stderr); err != nil {
		return nil, err
	}
	return t, nil
}

// announceTarget says where requests go: one line on stderr under
// --debug, one "target" event with --json. t is nil for plan, which
// starts nothing.
func announceTarget(g *Globals, spec *targetSpec, t *target, jsonOut bool) {
	url := spec.BaseURL
	if spec.Kind == kindBuiltin {
		url = "(built-in, not started)"
		if t != nil {
			if br, ok := t.Remote.(*executor.BrokerRemote); ok {
				url = br.Client().BaseURL()
			}
		}
	}
	line := fmt.Sprintf("target: %s %s key %s", spec.Name, url, spec.KeyFingerprint())
	if g.Debug {
		fmt.Fprintln(g.Stderr, line)
	}
	if jsonOut {
		if t == nil && spec.Kind == kindBuiltin {
			url = ""
		}
		ev := struct {
			Level   string    `json:"@level"`
			Message string    `json:"@message"`
			Time    time.Time `json:"@timestamp"`
			Type    string    `json:"type"`
			Target  any       `json:"target"`
		}{"info", line, time.Now().UTC(), "target", map[string]string{"name": spec.Name, "kind": spec.Kind, "url": url, "key": spec.KeyFingerprint()}}
		b, _ := json.Marshal(ev)
		fmt.Fprintln(g.Stdout, string(b))
	}
}

// emulatorDataPath is where the built-in emulator keeps its objects
// between runs: next to a SQLite state file and named after it
// (".brokerctl/emulator-<workspace>.json" for the default state file, as
// before; "<dir>/<name>.emulator-<workspace>.json" for --state <dir>/<name>.db,
// so two state files in one directory do not share an emulator), or in
// .brokerctl/ of the working directory when state is in PostgreSQL (the
// emulator is local even when state is shared). loc must come from
// stateLocation, which has validated the workspace name.
func emulatorDataPath(g *Globals, loc string) string {
	if state.IsPostgres(loc) {
		return filepath.Join(".brokerctl", "emulator-"+g.Workspace+".json")
	}
	dir := filepath.Dir(loc)
	if filepath.Clean(loc) == filepath.Clean(state.DefaultPath(g.Workspace)) {
		return filepath.Join(dir, "emulator-"+g.Workspace+".json")
	}
	base := strings.TrimSuffix(filepath.Base(loc), filepath.Ext(loc))
	return filepath.Join(dir, base+".emulator-"+g.Workspace+".json")
}

// startEmulator starts the built-in emulator limited, like its client, to
// rpm requests a minute per quota (0: the API's default).
func startEmulator(ctx context.Context, g *Globals, rpm int) (*target, error) {
	rpm = cmp.Or(rpm, emulator.DefaultRequestsPerMinute)
	loc, err := stateLocation(g)
	if err != nil {
		return nil, err
	}
	opts := emulator.Options{DataFile: emulatorDataPath(g, loc), RequestsPerMinute: rpm}
	if err := os.MkdirAll(filepath.Dir(opts.DataFile), 0o700); err != nil {
		return nil, fmt.Errorf("built-in emulator data directory: %w", err)
	}
	// Snapshots more often than a standalone emulator: a killed run loses
	// at most this much, and apply refreshes what state recorded after the
	// last snapshot (see emulatorBehindState).
	opts.SnapshotInterval = builtinSnapshotInterval
	savedAt := snapshotTime(opts.DataFile)
	srv, err := emulator.Start(ctx, "127.0.0.1:0", opts)
	if err != nil {
		return nil, err
	}
	// Our own transport, so its connections can be closed before the
	// server shuts down (a connection dialled for a stream that was then
	// cancelled would otherwise hold Shutdown for seconds).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	client, err := broker.New(broker.Config{BaseURL: srv.URL, KeyID: emulator.DefaultKeyID, Secret: emulator.DefaultSecret,
		RequestsPerMinute: rpm, HTTPClient: &http.Client{Transport: tr, Timeout: broker.DefaultTimeout},
		Logger: debugLogger(g)})
	if err != nil {
		srv.Close()
		return nil, err
	}
	return &target{Name: "emulator", Remote: executor.NewBrokerRemote(client), RPM: rpm,
		savedAt: savedAt, close: func() { tr.CloseIdleConnections(); srv.Close() }}, nil
}

// builtinSnapshotInterval is how often the built-in emulator writes its
// data file during a run (it also writes it when the run ends).
const builtinSnapshotInterval = 2 * time.Second

// snapshotTime is when the emulator data file at path was saved (zero when
// there is none or it cannot be read).
func snapshotTime(path string) time.Time {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}
	}
	var snap struct {
		SavedAt time.Time `json:"saved_at"`
	}
	if json.Unmarshal(b, &snap) != nil {
		return time.Time{}
	}
	return snap.SavedAt
}

// emulatorBehindState reports whether state recorded objects after the
// built-in emulator last saved its data: a run killed with SIGKILL left
// state ahead of the emulator, whose newest objects are lost. It returns
// how many records are newer.
func emulatorBehindState(ctx context.Context, r state.Reader, savedAt time.Time) (int, error) {
	recs, err := r.List(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, rec := range recs {
		if strings.HasPrefix(rec.Address, "data.") || rec.RemoteID == "" || rec.Phase == state.PhaseDeleted {
			continue
		}
		if rec.UpdatedAt.After(savedAt) {
			n++
		}
	}
	return n, nil
}

// boundTarget is the target a workspace was applied against, as recorded
// in state under state.MetaTarget. It holds no secret: the key id only as
// its fingerprint.
type boundTarget struct {
	Kind string `json:"kind"`
	URL  string `json:"url,omitempty"`
	Key  string `json:"key,omitempty"`
}

func (t *targetSpec) bound() boundTarget {
	if t.Kind == kindBuiltin {
		return boundTarget{Kind: kindBuiltin}
	}
	return boundTarget{Kind: kindEndpoint, URL: t.BaseURL, Key: t.KeyFingerprint()}
}

func (b boundTarget) String() string {
	if b.Kind == kindBuiltin {
		return "the built-in emulator"
	}
	return fmt.Sprintf("%s (key %s)", b.URL, b.Key)
}

// hasLiveRecords reports whether state still records objects this
// workspace created and has not destroyed.
func hasLiveRecords(ctx context.Context, r state.Reader) (bool, error) {
	recs, err := r.List(ctx)
	if err != nil {
		return false, err
	}
	for _, rec := range recs {
		if strings.HasPrefix(rec.Address, "data.") || rec.Phase == state.PhaseDeleted || rec.Phase == state.PhaseFailed && rec.RemoteID == "" {
			continue
		}
		return true, nil
	}
	return false, nil
}

// checkBinding compares the target recorded for the workspace with this
// run's. A workspace whose objects live on another target is refused
// (exit 2): its records mean nothing here, and a destroy would forget
// them. It returns true when the run should record its target: nothing is
// recorded yet (state from before targets were recorded adopts the
// current one), the workspace holds no live objects, or rebind is set.
//
// With rebind, only a new key for the same endpoint URL is accepted (exit 2
// otherwise), and only when verify can read one of the workspace's
// accounts with it (exit 1 otherwise).
func checkBinding(ctx context.Context, g *Globals, r state.Reader, spec *targetSpec, rebind bool, verify func(ctx context.Context, accountID string) error) (bool, error) {
	meta, err := r.Metadata(ctx)
	if err != nil {
		return false, err
	}
	raw, ok := meta[state.MetaTarget]
	if !ok {
		return true, nil
	}
	var rec boundTarget
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		return false, fmt.Errorf("workspace %s: recorded target %q: %w", g.Workspace, raw, err)
	}
	cur := spec.bound()
	if rec == cur {
		return false, nil
	}
	live, err := hasLiveRecords(ctx, r)
	if err != nil {
		return false, err
	}
	if !live {
		return true, nil
	}
	where := "workspace " + g.Workspace
	if g.StatePath != "" {
		where += " in " + state.RedactDSN(g.StatePath)
	}
	if rebind {
		// --rebind-target is for a rotated key of the same broker account:
		// the endpoint stays, and the new key must see the objects.
		if rec.Kind != kindEndpoint || cur.Kind != kindEndpoint || rec.URL != cur.URL {
			return false, &UsageError{Err: fmt.Errorf("%s was applied against %s; this run targets %s: --rebind-target only records a new key for the same endpoint URL (after rotating keys); a workspace's objects cannot move to another endpoint or emulator: use the endpoint it was applied with, or another --workspace/--state", where, rec, cur)}
		}
		if err := verifyRebind(ctx, r, verify); err != nil {
			return false, &ExitError{Code: exitFailure, Err: fmt.Errorf("%s was applied against %s; --rebind-target refused for key %s: %w", where, rec, cur.Key, err)}
		}
		return true, nil
	}
	var hint string
	switch {
	case cur.Kind == kindBuiltin && g.Target == "":
		hint = fmt.Sprintf("no credentials are set: set %s and %s (and --endpoint) for %s, or use another --workspace/--state", broker.EnvKeyID, broker.EnvSecret, rec.URL)
	case cur.Kind == kindBuiltin:
		hint = fmt.Sprintf("drop --target emulator and use the credentials for %s, or use another --workspace/--state", rec.URL)
	case rec.Kind == kindBuiltin:
		hint = "its objects are not there: use --target emulator, or another --workspace/--state"
	case rec.URL == cur.URL:
		hint = "use the key it was applied with, or another --workspace/--state (after rotating keys of the same broker account, apply --rebind-target records the new key)"
	default:
		hint = "use the endpoint and credentials it was applied with, or another --workspace/--state"
	}
	return false, &UsageError{Err: fmt.Errorf("%s was applied against %s; this run targets %s: %s", where, rec, cur, hint)}
}

// verifyRebind reads one account the workspace recorded with verify: a new
// key that gets 401 or 404 for it belongs to another broker account.
func verifyRebind(ctx context.Context, r state.Reader, verify func(ctx context.Context, accountID string) error) error {
	recs, err := r.List(ctx)
	if err != nil {
		return err
	}
	var id, addr string
	for _, rec := range recs {
		if rec.Phase == state.PhaseDeleted || strings.HasPrefix(rec.Address, "data.") {
			continue
		}
		if rec.Kind == string(manifest.KindAccounts) && rec.RemoteID != "" {
			id, addr = rec.RemoteID, rec.Address
			break
		}
		if id == "" && rec.AccountID != "" {
			id, addr = rec.AccountID, "the account of "+rec.Address
		}
	}
	if id == "" {
		return errors.New("state records no account to check the new key against")
	}
	if verify == nil {
		return errors.New("no connection to check the new key with")
	}
	err = verify(ctx, id)
	switch {
	case err == nil:
		return nil
	case broker.IsUnauthorized(err), broker.IsNotFound(err), broker.IsForbidden(err):
		return fmt.Errorf("the new key cannot see %s (%s): it belongs to another broker account; use the key the workspace was applied with, or another --workspace/--state", addr, id)
	}
	return fmt.Errorf("check that the new key sees %s (%s): %w", addr, id, err)
}

// recordTarget stores spec as the workspace's target. State from before
// targets were recorded adopts this run's, with a notice when it already
// records objects (they are assumed to live on this target).
func recordTarget(ctx context.Context, g *Globals, w state.Workspace, spec *targetSpec) error {
	meta, err := w.Metadata(ctx)
	if err != nil {
		return err
	}
	if _, had := meta[state.MetaTarget]; !had {
		if live, err := hasLiveRecords(ctx, w); err == nil && live {
			fmt.Fprintf(g.Stderr, "brokerctl: workspace %s has no recorded target (state from an older brokerctl); recording %s\n", g.Workspace, spec.bound())
		}
	}
	b, err := json.Marshal(spec.bound())
	if err != nil {
		return err
	}
	if err := w.SetMetadata(ctx, state.MetaTarget, string(b)); err != nil {
		return fmt.Errorf("record the target in state: %w", err)
	}
	return nil
}

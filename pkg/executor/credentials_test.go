package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/brokerctl/brokerctl/pkg/emulator"
	"github.com/brokerctl/brokerctl/pkg/state"
)

// withSecret returns a remote on w's emulator that sends secret.
func (w *world) withSecret(secret string) *BrokerRemote {
	w.t.Helper()
	c, err := broker.New(broker.Config{BaseURL: w.remote.Client().BaseURL(), KeyID: emulator.DefaultKeyID, Secret: secret,
		RequestsPerMinute: -1, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
	if err != nil {
		w.t.Fatal(err)
	}
	return NewBrokerRemote(c)
}

// records reads the workspace's records straight from the state file.
func (w *world) records() map[string]state.Record {
	w.t.Helper()
	ctx := context.Background()
	be, err := state.Open(ctx, w.dsn)
	if err != nil {
		w.t.Fatal(err)
	}
	defer be.Close()
	r, err := be.Open(ctx, "default")
	if err != nil {
		w.t.Fatal(err)
	}
	recs, err := r.List(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]state.Record{}
	for _, rec := range recs {
		rec.UpdatedAt = time.Time{}
		out[rec.Address] = rec
	}
	return out
}

// A destroy with a wrong secret must not take the 401 on GET
// /v1/accounts/{id} for "already gone": the run fails with one
// credentials error, state keeps every record as it was, and the
// accounts stay open on the API.
func TestDestroyWithRejectedCredentialsForgetsNothing(t *testing.T) {
	w := newWorld(t, emulator.Faults{})
	nodes := []*Node{}
	for i := range 20 {
		name := fmt.Sprintf("cust%02d", i)
		nodes = append(nodes, &Node{Addr: "accounts." + name, Kind: "accounts", Hash: "h1",
			Render: func(LookupFunc) (Object, string, error) { return accountBody(name + "@example.com"), "", nil }})
	}
	if res := w.apply(nodes, Options{}); res.Err() != nil {
		t.Fatalf("apply: %v", res.Err())
	}
	before := w.records()
	good := w.remote
	w.remote = w.withSecret("wrong")
	sent := w.em.Stats().Requests
	res, err := w.run(nodes, Options{Parallelism: 4}, func(e *Engine) (*Result, error) { return e.Destroy(context.Background()) })
	if err != nil {
		t.Fatal(err)
	}
	werr := res.Err()
	if !IsCredentialsError(werr) {
		t.Fatalf("destroy error = %v, want a credentials error", werr)
	}
	want := "credentials rejected by " + good.Client().BaseURL() + " (HTTP 401): check APCA_API_KEY_ID / APCA_API_SECRET_KEY"
	if !strings.Contains(werr.Error(), want) {
		t.Fatalf("error %q does not contain %q", werr, want)
	}
	for _, row := range res.Rows {
		if row.Result == "destroyed" {
			t.Fatalf("row %+v: nothing may count as destroyed", row)
		}
	}
	// Resources in flight when the first 401 came back may each have sent
	// one request; nothing else is sent (parallelism 4, plus the probe).
	if got := w.em.Stats().Requests - sent; got > 4+1 {
		t.Fatalf("sent %d requests with rejected credentials, want at most 5 (routes %v)", got, w.em.Stats().Routes)
	}
	after := w.records()
	for addr, rec := range before {
		a := after[addr]
		if a.Phase != rec.Phase || a.RemoteID != rec.RemoteID || a.Status != rec.Status {
			t.Errorf("%s: state changed from %s/%s to %s/%s", addr, rec.Phase, rec.Status, a.Phase, a.Status)
		}
	}
	// Counted through the API: every account is still open.
	accounts, _, err := good.List(context.Background(), "accounts", "")
	if err != nil {
		t.Fatal(err)
	}
	open := 0
	for _, rec := range before {
		if a, ok := accounts[rec.RemoteID]; ok && StatusOf(a) != "ACCOUNT_CLOSED" {
			open++
		}
	}
	if open != len(nodes) {
		t.Fatalf("%d of %d accounts still open", open, len(nodes))
	}
}

// The 401 the API gives for an account that is not the caller's still
// means "gone" when the key pair itself is accepted.
func TestUnknownAccount401IsGoneWithGoodCredentials(t *testing.T) {
	w := newWorld(t, emulator.Faults{})
	_, err := w.remote.Get(context.Background(), "accounts", "", "0b7a3a4e-4a8e-4f5b-9a1e-3f1d2c3b4a59")
	if !errors.Is(err, ErrGone) {
		t.Fatalf("Get of an account that is not ours = %v, want ErrGone", err)
	}
	if w.remote.Rejected() != nil {
		t.Fatalf("credentials marked rejected: %v", w.remote.Rejected())
	}
	// The probe ran once; a second unknown id does not probe again.
	probes := w.em.Stats().Routes["GET /v1/accounts"]
	if _, err := w.remote.Get(context.Background(), "accounts", "", "1b7a3a4e-4a8e-4f5b-9a1e-3f1d2c3b4a59"); !errors.Is(err, ErrGone) {
		t.Fatal(err)
	}
	if got := w.em.Stats().Routes["GET /v1/accounts"]; got != probes {
		t.Fatalf("probed again: %d list requests, had %d", got, probes)
	}
}

// Reading the firm account with a wrong secret says "credentials
// rejected", not "object not found"; an apply of many independent roots
// stops after the first rejection instead of collecting one 401 each.
func TestApplyWithRejectedCredentialsStopsAtOnce(t *testing.T) {
	w := newWorld(t, emulator.Faults{})
	w.remote = w.withSecret("wrong")
	_, err := w.remote.Lookup(context.Background(), "accounts", Object{"id": emulator.DefaultFirmAccountID})
	if !IsCredentialsError(err) {
		t.Fatalf("firm account lookup = %v, want a credentials error", err)
	}
	w.remote = w.withSecret("wrong")
	var nodes []*Node
	for i := range 200 {
		name := fmt.Sprintf("row%03d", i)
		nodes = append(nodes, &Node{Addr: "accounts." + name, Kind: "accounts", Hash: "h1",
			Render: func(LookupFunc) (Object, string, error) { return accountBody(name + "@example.com"), "", nil }})
	}
	sent := w.em.Stats().Requests
	res, err := w.run(nodes, Options{Parallelism: 8}, func(e *Engine) (*Result, error) { return e.Apply(context.Background()) })
	if err != nil {
		t.Fatal(err)
	}
	if !IsCredentialsError(res.Err()) {
		t.Fatalf("apply error = %v, want a credentials error", res.Err())
	}
	if got := w.em.Stats().Requests - sent; got > 8+1 {
		t.Fatalf("sent %d requests for 200 roots with rejected credentials, want at most 9", got)
	}
	if len(res.Walk.Errors) > 8 {
		t.Fatalf("%d resources failed, want only those in flight (at most 8); the rest not started", len(res.Walk.Errors))
	}
	if w.created("account") != 0 {
		t.Fatalf("created %d accounts", w.created("account"))
	}
}

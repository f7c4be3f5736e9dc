package executor

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/brokerctl/brokerctl/pkg/emulator"
	"github.com/brokerctl/brokerctl/pkg/state"
)

// world is an in-process emulator, a client on it and a SQLite state file.
type world struct {
	t      *testing.T
	em     *emulator.Emulator
	clock  *emulator.FakeClock
	remote *BrokerRemote
	dsn    string
}

func newWorld(t *testing.T, faults emulator.Faults) *world {
	t.Helper()
	clock := emulator.NewFakeClock(time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC))
	em, err := emulator.New(emulator.Options{Clock: clock, Speed: emulator.SpeedInstant, RequestsPerMinute: emulator.Unlimited, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em.Handler())
	t.Cleanup(func() { srv.Close(); em.Close() })
	c, err := broker.New(broker.Config{BaseURL: srv.URL, KeyID: emulator.DefaultKeyID, Secret: emulator.DefaultSecret,
		RequestsPerMinute: -1, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, em: em, clock: clock, remote: NewBrokerRemote(c), dsn: filepath.Join(t.TempDir(), "state.db")}
}

// run opens the state, runs f with an engine over nodes, and closes it.
func (w *world) run(nodes []*Node, opts Options, f func(*Engine) (*Result, error)) (*Result, error) {
	w.t.Helper()
	ctx := context.Background()
	be, err := state.Open(ctx, w.dsn)
	if err != nil {
		w.t.Fatal(err)
	}
	defer be.Close()
	ws, err := be.Lock(ctx, "default", state.NewLockInfo("test", "test"), time.Second)
	if err != nil {
		w.t.Fatal(err)
	}
	defer ws.Close()
	st, err := NewStateStore(ctx, ws)
	if err != nil {
		w.t.Fatal(err)
	}
	if w.clock != nil {
		opts.Clock = w.clock
	}
	if opts.Wait.PollMin == 0 {
		opts.Wait = fastWait()
		// On a fake clock the emulator moves statuses only when asked, so
		// streams stay silent: poll. TestE2EStreams covers streams.
		opts.Wait.NoStreams = w.clock != nil
	}
	opts.RetryDelay = time.Millisecond
	return f(New(w.remote, st, nodes, nil, opts))
}

func (w *world) apply(nodes []*Node, opts Options) *Result {
	w.t.Helper()
	res, err := w.run(nodes, opts, func(e *Engine) (*Result, error) { return e.Apply(context.Background()) })
	if err != nil {
		w.t.Fatalf("apply: %v", err)
	}
	return res
}

func (w *world) created(kind string) int64 { return w.em.Stats().Created[kind] }

// ref returns the id of addr's object or fails the render.
func ref(lookup LookupFunc, addr string) (string, error) {
	o, ok := lookup(addr)
	if !ok {
		return "", fmt.Errorf("%s is not applied yet", addr)
	}
	return idOf(o), nil
}

// seed declares one customer: account, ACH relationship, deposit, order,
// and a firm-funded journal, as the quickstart does.
func seed(name string) []*Node {
	acct := "accounts." + name
	ach := "ach_relationships." + name
	dep := "transfers." + name + "_deposit"
	jnl := "journals." + name + "_bonus"
	ord := "orders." + name + "_spy"
	return []*Node{
		{Addr: acct, Kind: "accounts", Hash: "h1", WaitFor: []string{"ACTIVE"}, WaitTimeout: 10 * time.Second,
			Render: func(LookupFunc) (Object, string, error) { return accountBody(name + "@example.com"), "", nil }},
		{Addr: ach, Kind: "ach_relationships", Hash: "h1", Deps: []string{acct}, WaitFor: []string{"APPROVED"}, WaitTimeout: 10 * time.Second,
			Render: func(l LookupFunc) (Object, string, error) {
				id, err := ref(l, acct)
				return Object{"account_owner_name": "Test " + name, "bank_account_type": "CHECKING", "bank_account_number": "32131231abc", "bank_routing_number": "121000358", "nickname": "main"}, id, err
			}},
		{Addr: dep, Kind: "transfers", Hash: "h1", Deps: []string{acct, ach}, WaitFor: []string{"COMPLETE"}, WaitTimeout: 10 * time.Second,
			Render: func(l LookupFunc) (Object, string, error) {
				id, err := ref(l, acct)
				if err != nil {
					return nil, "", err
				}
				rel, err := ref(l, ach)
				return Object{"transfer_type": "ach", "relationship_id": rel, "amount": "1000", "direction": "INCOMING"}, id, err
			}},
		{Addr: jnl, Kind: "journals", Hash: "h1", Deps: []string{acct}, WaitFor: []string{"executed"}, WaitTimeout: 10 * time.Second,
			Render: func(l LookupFunc) (Object, string, error) {
				id, err := ref(l, acct)
				return Object{"from_account": emulator.DefaultFirmAccountID, "to_account": id, "entry_type": "JNLC", "amount": "25", "description": "welcome bonus"}, "", err
			}},
		{Addr: ord, Kind: "orders", Hash: "h1", Deps: []string{acct, dep}, WaitFor: []string{"filled"}, WaitTimeout: 10 * time.Second,
			Render: func(l LookupFunc) (Object, string, error) {
				id, err := ref(l, acct)
				return Object{"symbol": "AAPL", "notional": "100", "side": "buy", "type": "market", "time_in_force": "day"}, id, err
			}},
	}
}

func accountBody(email string) Object {
	return Object{
		"contact": map[string]any{"email_address": email, "phone_number": "+15555555555", "street_address": []any{"20 N San Mateo Dr"}, "city": "San Mateo", "state": "CA", "postal_code": "94401", "country": "USA"},
		"identity": map[string]any{"given_name": "Test", "family_name": "Customer", "date_of_birth": "1990-01-01", "tax_id": "666-55-4321", "tax_id_type": "USA_SSN",
			"country_of_citizenship": "USA", "country_of_birth": "USA", "country_of_tax_residence": "USA", "funding_source": []any{"employment_income"}},
		"disclosures": map[string]any{"is_control_person": false, "is_affiliated_exchange_or_finra": false, "is_politically_exposed": false, "immediate_family_exposed": false},
		"agreements": []any{
			map[string]any{"agreement": "customer_agreement", "signed_at": "2026-11-01T10:00:00Z", "ip_address": "185.13.21.99"},
			map[string]any{"agreement": "account_agreement", "signed_at": "2026-11-01T10:00:00Z", "ip_address": "185.13.21.99"},
		},
	}
}

var seedKinds = []string{"account", "ach_relationship", "transfer", "journal", "order"}

func TestE2ESeedFlowAndReapply(t *testing.T) {
	w := newWorld(t, emulator.Faults{})
	nodes := append(seed("alice"), seed("bob")...)
	res := w.apply(nodes, Options{})
	if err := res.Err(); err != nil {
		t.Fatalf("apply: %v\n%s", err, res.Table())
	}
	for _, k := range seedKinds {
		if got := w.created(k); got != 2 {
			t.Fatalf("created %d %s, want 2 (stats %v)", got, k, w.em.Stats().Created)
		}
	}
	for _, row := range res.Rows {
		if row.Result != "created" {
			t.Fatalf("row %+v", row)
		}
	}
	t.Logf("first apply: %d requests\n%s", res.Requests, res.Table())
	before := w.em.Stats().Requests
	res = w.apply(nodes, Options{})
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if got := w.em.Stats().Requests - before; got != 0 {
		t.Fatalf("re-apply sent %d requests, want 0 (routes %v)", got, w.em.Stats().Routes)
	}
	if res.Summary.NoOp != len(nodes) {
		t.Fatalf("summary %+v", res.Summary)
	}
}

// census counts, through the API, the objects of one seeded customer.
func (w *world) census(name string) map[string]int {
	w.t.Helper()
	ctx := context.Background()
	out := map[string]int{}
	acct, found, err := w.remote.accountByEmail(ctx, name+"@example.com", time.Time{}, func(string) bool { return false })
	if err != nil {
		w.t.Fatal(err)
	}
	if !found {
		return out
	}
	var accounts []Object
	if err := w.remote.c.Do(ctx, "GET", "/v1/accounts", map[string][]string{"query": {name + "@example.com"}}, nil, &accounts); err != nil {
		w.t.Fatal(err)
	}
	out["account"] = len(accounts)
	id := idOf(acct)
	for kind, key := range map[string]string{"ach_relationships": "ach_relationship", "transfers": "transfer", "orders": "order"} {
		objs, _, err := w.remote.List(ctx, kind, id)
		if err != nil {
			w.t.Fatal(err)
		}
		out[key] = len(objs)
	}
	var journals []Object
	if err := w.remote.c.Do(ctx, "GET", "/v1/journals", map[string][]string{"to_account": {id}}, nil, &journals); err != nil {
		w.t.Fatal(err)
	}
	out["journal"] = len(journals)
	return out
}

func (w *world) expectOneOfEach(name string) {
	w.t.Helper()
	got := w.census(name)
	for _, k := range seedKinds {
		if got[k] != 1 {
			w.t.Fatalf("%s: %d %s objects through the API, want exactly 1 (census %v)", name, got[k], k, got)
		}
	}
}

func TestE2EKilledAtEveryStepResumesToExactlyOne(t *testing.T) {
	steps := []string{"after-intent", "after-send", "after-record"}
	for _, n := range seed("carol") {
		for _, step := range steps {
			t.Run(n.Addr+"/"+step, func(t *testing.T) {
				w := newWorld(t, emulator.Faults{})
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				kill := func(addr string) error {
					if addr != n.Addr {
						return nil
					}
					cancel() // the process dies: nothing else runs
					return fmt.Errorf("killed %s", step)
				}
				opts := Options{}
				switch step {
				case "after-intent":
					opts.Hooks.AfterIntent = kill
				case "after-send":
					opts.Hooks.AfterSend = kill
				case "after-record":
					opts.Hooks.AfterRecord = kill
				}
				res, err := w.run(seed("carol"), opts, func(e *Engine) (*Result, error) { return e.Apply(ctx) })
				if err != nil {
					t.Fatal(err)
				}
				if res.Err() == nil {
					t.Fatal("killed run reported success")
				}
				res = w.apply(seed("carol"), Options{})
				if err := res.Err(); err != nil {
					t.Fatalf("resume: %v\n%s", err, res.Table())
				}
				w.expectOneOfEach("carol")
				// And once more: nothing left to do.
				before := w.em.Stats().Requests
				w.apply(seed("carol"), Options{})
				if d := w.em.Stats().Requests - before; d != 0 {
					t.Fatalf("third apply sent %d requests", d)
				}
			})
		}
	}
}

func TestE2EResponseLostAfterCommit(t *testing.T) {
	// Every write's response is lost with probability 1/2: each create is
	// ambiguous at least sometimes, and must be reconciled, not repeated.
	w := newWorld(t, emulator.Faults{DropAfterCommit: 0.5, Seed: 3})
	names := []string{"dan", "erin", "frank"}
	var nodes []*Node
	for _, n := range names {
		nodes = append(nodes, seed(n)...)
	}
	res := w.apply(nodes, Options{MaxAttempts: 20})
	if err := res.Err(); err != nil {
		t.Fatalf("apply: %v\n%s", err, res.Table())
	}
	if w.em.Stats().Faults["drop"] == 0 {
		t.Fatal("no response was dropped: the test proves nothing")
	}
	for _, n := range names {
		w.expectOneOfEach(n)
	}
}

func TestE2ETenPercentFaultsNoDuplicates(t *testing.T) {
	w := newWorld(t, emulator.Faults{Rate500: 0.02, Rate502: 0.02, Rate503: 0.02, Rate429: 0.02, DropAfterCommit: 0.02, Seed: 11})
	names := []string{"gina", "hal", "ivy", "jon", "kim"}
	var nodes []*Node
	for _, n := range names {
		nodes = append(nodes, seed(n)...)
	}
	res := w.apply(nodes, Options{MaxAttempts: 20})
	if err := res.Err(); err != nil {
		// A fault may still exhaust a resource's attempts; a second apply
		// must finish the job without duplicates.
		res = w.apply(nodes, Options{MaxAttempts: 20})
		if err := res.Err(); err != nil {
			t.Fatalf("apply under faults: %v\n%s", err, res.Table())
		}
	}
	faults := w.em.Stats().Faults
	if faults["500"]+faults["502"]+faults["503"]+faults["429"]+faults["drop"] == 0 {
		t.Fatal("no fault was injected")
	}
	for _, n := range names {
		w.expectOneOfEach(n)
	}
}

func TestE2EDestroyLeavesNothingOpen(t *testing.T) {
	w := newWorld(t, emulator.Faults{})
	nodes := seed("lena")
	if res := w.apply(nodes, Options{}); res.Err() != nil {
		t.Fatalf("apply: %v", res.Err())
	}
	res, err := w.run(nodes, Options{}, func(e *Engine) (*Result, error) { return e.Destroy(context.Background()) })
	if err != nil || res.Err() != nil {
		t.Fatalf("destroy: %v %v\n%s", err, res.Err(), res.Table())
	}
	ctx := context.Background()
	acct, found, err := w.remote.accountByEmail(ctx, "lena@example.com", time.Time{}, func(string) bool { return false })
	if err != nil || found {
		t.Fatalf("account still open: %v %v", acct, err)
	}
	// Re-running destroy is a no-op.
	before := w.em.Stats().Requests
	if _, err := w.run(nodes, Options{}, func(e *Engine) (*Result, error) { return e.Destroy(ctx) }); err != nil {
		t.Fatal(err)
	}
	if d := w.em.Stats().Requests - before; d != 0 {
		t.Fatalf("second destroy sent %d requests", d)
	}
}

// newRealWorld runs the emulator on the wall clock at speed (statuses move
// on their own, and event streams carry them).
func newRealWorld(t *testing.T, speed emulator.Speed) *world {
	t.Helper()
	em, err := emulator.New(emulator.Options{Speed: speed, RequestsPerMinute: emulator.Unlimited})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em.Handler())
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close(); em.Close() })
	c, err := broker.New(broker.Config{BaseURL: srv.URL, KeyID: emulator.DefaultKeyID, Secret: emulator.DefaultSecret, RequestsPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, em: em, remote: NewBrokerRemote(c), dsn: filepath.Join(t.TempDir(), "state.db")}
}

func TestE2EStreamsMakeWaitsFree(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the emulator on the wall clock")
	}
	// 100x: the ACH relationship approves in 0.6 s, accounts in ~25 ms.
	w := newRealWorld(t, 100)
	nodes := append(seed("mia"), seed("ned")...)
	// Polling only as a distant safety net: if streams did not carry the
	// statuses, the waits would take far longer than the test allows.
	opts := Options{Wait: WaitOptions{PollMin: 5 * time.Second, PollMax: 5 * time.Second, StreamGrace: time.Minute, ConnectGrace: 10 * time.Second}}
	start := time.Now()
	res := w.apply(nodes, opts)
	if err := res.Err(); err != nil {
		t.Fatalf("apply: %v\n%s", err, res.Table())
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Fatalf("apply took %s: waits were not fed by streams", d)
	}
	routes := w.em.Stats().Routes
	polls := int64(0)
	for route, n := range routes {
		if strings.HasPrefix(route, "GET /v1/") && !strings.Contains(route, "/events/") {
			polls += n
		}
	}
	// The streams replay from the run's start, so even the first waiters
	// need not poll; allow a little slack for a slow connect.
	if polls > 2 {
		t.Fatalf("%d poll requests for %d waits, want at most 2 (routes %v)", polls, len(nodes), routes)
	}
	t.Logf("%d resources, %d requests (%d polls) in %s", len(nodes), res.Requests, polls, time.Since(start).Round(time.Millisecond))
}

func TestE2EAccountUpdateIsPatched(t *testing.T) {
	w := newWorld(t, emulator.Faults{})
	nodes := seed("olga")[:1]
	if res := w.apply(nodes, Options{}); res.Err() != nil {
		t.Fatal(res.Err())
	}
	changed := seed("olga")[:1]
	changed[0].Hash = "h2"
	changed[0].Render = func(LookupFunc) (Object, string, error) {
		b := accountBody("olga@example.com")
		b["contact"].(map[string]any)["city"] = "Oakland"
		return b, "", nil
	}
	var plan *Plan
	var err error
	w.run(changed, Options{}, func(e *Engine) (*Result, error) {
		plan, err = e.Plan(context.Background())
		return nil, err
	})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := plan.Change("accounts.olga")
	if c.Action != ActionUpdate || len(c.Fields) != 1 || c.Fields[0] != "contact" {
		t.Fatalf("plan %+v, want update of contact", c)
	}
	before := w.em.Stats().Routes["PATCH /v1/accounts/{account_id}"]
	res := w.apply(changed, Options{})
	if res.Err() != nil || res.Summary.Change != 1 {
		t.Fatalf("apply: %v %+v", res.Err(), res.Summary)
	}
	if got := w.em.Stats().Routes["PATCH /v1/accounts/{account_id}"] - before; got != 1 {
		t.Fatalf("%d PATCHes, want 1", got)
	}
	if w.created("account") != 1 {
		t.Fatalf("an update created an account")
	}
	// Applied: nothing left to change.
	w.run(changed, Options{}, func(e *Engine) (*Result, error) {
		plan, err = e.Plan(context.Background())
		return nil, err
	})
	if plan.HasChanges() {
		t.Fatalf("plan after update still has changes: %+v", plan.Changes)
	}
}

func TestE2EImportAdoptsExisting(t *testing.T) {
	w := newWorld(t, emulator.Faults{})
	// Someone created the account by hand.
	var acct Object
	if err := w.remote.c.Do(context.Background(), "POST", "/v1/accounts", nil, accountBody("pete@example.com"), &acct); err != nil {
		t.Fatal(err)
	}
	nodes := seed("pete")[:2]
	nodes[0].ImportID = idOf(acct)
	res := w.apply(nodes, Options{})
	if err := res.Err(); err != nil {
		t.Fatalf("apply: %v\n%s", err, res.Table())
	}
	if res.Summary.Import != 1 || res.Summary.Add != 1 || w.created("account") != 1 {
		t.Fatalf("summary %+v, accounts created %d", res.Summary, w.created("account"))
	}
	w.expectCount("pete", "account", 1)
	w.expectCount("pete", "ach_relationship", 1)
}

func (w *world) expectCount(name, kind string, want int) {
	w.t.Helper()
	if got := w.census(name)[kind]; got != want {
		w.t.Fatalf("%s: %d %s, want %d", name, got, kind, want)
	}
}

func TestE2EBatchJournalAndBankUnderDrops(t *testing.T) {
	w := newWorld(t, emulator.Faults{DropAfterCommit: 0.5, Seed: 5})
	var nodes []*Node
	names := []string{"quinn", "rosa", "sam"}
	for _, n := range names {
		nodes = append(nodes, seed(n)[0])
	}
	nodes = append(nodes, &Node{Addr: "batch_journals.welcome", Kind: "batch_journals", Hash: "h1",
		Deps: []string{"accounts.quinn", "accounts.rosa", "accounts.sam"}, WaitFor: []string{"executed"}, WaitTimeout: 10 * time.Second,
		Render: func(l LookupFunc) (Object, string, error) {
			var entries []any
			for _, n := range names {
				id, err := ref(l, "accounts."+n)
				if err != nil {
					return nil, "", err
				}
				entries = append(entries, map[string]any{"to_account": id, "amount": "10"})
			}
			return Object{"entry_type": "JNLC", "from_account": emulator.DefaultFirmAccountID, "entries": entries}, "", nil
		}},
		&Node{Addr: "bank_relationships.wire", Kind: "bank_relationships", Hash: "h1", Deps: []string{"accounts.quinn"},
			Render: func(l LookupFunc) (Object, string, error) {
				id, err := ref(l, "accounts.quinn")
				return Object{"name": "Quinn Wire", "bank_code_type": "ABA", "bank_code": "123456789", "account_number": "123456789abc"}, id, err
			}})
	res := w.apply(nodes, Options{MaxAttempts: 20})
	if err := res.Err(); err != nil {
		t.Fatalf("apply: %v\n%s", err, res.Table())
	}
	if w.em.Stats().Faults["drop"] == 0 {
		t.Fatal("no response was dropped")
	}
	for _, n := range names {
		w.expectCount(n, "journal", 1)
	}
	if got := w.created("bank"); got != 1 {
		t.Fatalf("%d banks created, want 1 (%v)", got, w.em.Stats().Created)
	}
	// Re-apply: nothing sent.
	before := w.em.Stats().Requests
	w.apply(nodes, Options{})
	if d := w.em.Stats().Requests - before; d != 0 {
		t.Fatalf("re-apply sent %d requests", d)
	}
}

func TestE2EKilledDestroyFinishesOnRerun(t *testing.T) {
	for _, n := range seed("tara") {
		t.Run(n.Addr, func(t *testing.T) {
			w := newWorld(t, emulator.Faults{})
			if res := w.apply(seed("tara"), Options{}); res.Err() != nil {
				t.Fatal(res.Err())
			}
			ctx, cancel := context.WithCancel(context.Background())
			opts := Options{}
			opts.Hooks.AfterDeleting = func(addr string) error {
				if addr != n.Addr {
					return nil
				}
				cancel()
				return fmt.Errorf("killed")
			}
			res, err := w.run(seed("tara"), opts, func(e *Engine) (*Result, error) { return e.Destroy(ctx) })
			if err != nil || res.Err() == nil {
				t.Fatalf("killed destroy: %v %v", err, res)
			}
			res, err = w.run(seed("tara"), Options{}, func(e *Engine) (*Result, error) { return e.Destroy(context.Background()) })
			if err != nil || res.Err() != nil {
				t.Fatalf("destroy again: %v %v\n%s", err, res.Err(), res.Table())
			}
			if got := w.census("tara"); got["account"] != 0 {
				t.Fatalf("account still open after destroy: %v", got)
			}
		})
	}
}

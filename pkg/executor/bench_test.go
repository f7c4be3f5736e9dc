package executor

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/brokerctl/brokerctl/pkg/emulator"
	"github.com/brokerctl/brokerctl/pkg/state"
)

// The onboarding benchmark: n customers, each an account (waited to
// ACTIVE), an ACH relationship (waited to APPROVED), a $1,000 deposit
// (waited to COMPLETE) and a $100 market order, against the emulator on a
// loopback listener with the API's 1,000 requests/minute limit and a
// realistic per-request latency and status timeline.
//
// The API's limit is per quota: the 1,000 account creates (POST
// /v1/accounts) share one, while each account's ACH relationship, deposit
// and order (/v1/accounts/{id}/..., /v1/trading/accounts/{id}/...) use that
// account's own quota. So the lower bound is
//
//	max(shared requests ÷ limit, busiest account's requests ÷ limit,
//	    one customer's critical path)
//
// where the shared requests are the n account creates (1,000 ÷ 1,000/min =
// 60 s), the busiest account has 3 requests, and the critical path is what
// a customer takes with no rate limit at all: 4 request latencies plus the
// emulator's status delays between them (KYC review 2 s + activation
// 0.3 s, ACH approval 60 s, deposit 2 × 1 s: pkg/emulator accounts.go,
// funding.go, transfers.go), 64.7 s at real scale. Requests per account
// quota and the stream connects are not counted. Also reported, tighter:
// the last account create cannot be sent before (n − burst) ÷ limit, and its
// customer's critical path follows it (the "tail bound").
//
// The scaled variant divides the rate limit period, the latency and every
// status delay by the same factor, so the ratios it reports (wall time ÷
// lower bound, requests per resource, 429s, speed-up over a sequential
// loop) are those of the real-scale run in a fraction of the time.
const (
	benchLatency = 100 * time.Millisecond // per request, at real scale
	benchRPM     = 1000                   // the Broker API's limit
	// benchStatusDelays are the emulator's delays on one customer's
	// critical path at real scale: account SUBMITTED→APPROVED 2 s,
	// APPROVED→ACTIVE 0.3 s; ACH QUEUED→APPROVED 60 s; ACH deposit
	// QUEUED→SENT_TO_CLEARING 1 s, →COMPLETE 1 s.
	benchStatusDelays = 2*time.Second + 300*time.Millisecond + time.Minute + 2*time.Second
)

func BenchmarkOnboarding1000(b *testing.B) { benchOnboarding(b, 1000, 1, 2, emulator.Faults{}) }

// BenchmarkOnboarding1000Scaled is the same workload at 20x: 4,000 creates
// (1,000 on the shared quota) at 20,000/min, 5 ms latency, statuses 20x
// faster: a 3.2 s lower bound (the critical path), 6.2 s tail bound.
func BenchmarkOnboarding1000Scaled(b *testing.B) { benchOnboarding(b, 1000, 20, 5, emulator.Faults{}) }

// BenchmarkOnboarding1000ScaledFaults adds 10 % injected faults (500, 502,
// 503, 429 before handling and responses dropped after commit, 2 % each)
// and checks that exactly 1,000 of each object were created.
func BenchmarkOnboarding1000ScaledFaults(b *testing.B) {
	benchOnboarding(b, 1000, 20, 0, emulator.Faults{Rate500: 0.02, Rate502: 0.02, Rate503: 0.02, Rate429: 0.02, DropAfterCommit: 0.02, Seed: 1})
}

func benchOnboarding(b *testing.B, n int, scale float64, seqN int, faults emulator.Faults) {
	for i := 0; i < b.N; i++ {
		r := runOnboarding(b, n, scale, seqN, faults)
		b.ReportMetric(r.wall.Seconds(), "wall_s")
		b.ReportMetric(r.lowerBound.Seconds(), "lower_bound_s")
		b.ReportMetric(r.wall.Seconds()/r.lowerBound.Seconds(), "x_lower_bound")
		b.ReportMetric(r.tailBound.Seconds(), "tail_bound_s")
		b.ReportMetric(r.wall.Seconds()/r.tailBound.Seconds(), "x_tail_bound")
		if r.rateLimited != 0 && faults.Rate429 == 0 {
			b.Errorf("%d genuine 429s: the client's pacing does not match the API's quotas", r.rateLimited)
		}
		b.ReportMetric(float64(r.requests)/float64(4*n), "requests/resource")
		b.ReportMetric(float64(r.rateLimited), "429s")
		if seqN == 0 {
			b.Logf("%d customers at %gx with faults %s: brokerctl %s for %d requests (lower bound %s, %.2fx; tail bound %s, %.2fx); %.2f requests/resource; %d 429s; created %v",
				n, scale, faults, r.wall.Round(time.Millisecond), r.requests, r.lowerBound, r.wall.Seconds()/r.lowerBound.Seconds(),
				r.tailBound, r.wall.Seconds()/r.tailBound.Seconds(),
				float64(r.requests)/float64(4*n), r.rateLimited, r.created)
			continue
		}
		b.ReportMetric(r.seqPerCustomer.Seconds()*float64(n)/r.wall.Seconds(), "x_faster_than_sequential")
		b.Logf("%d customers at %gx: brokerctl %s for %d requests (lower bound %s, %.2fx; tail bound %s, %.2fx); %.2f requests/resource; %d 429s; "+
			"sequential loop %s/customer on %d customers, %s for %d (extrapolated), brokerctl %.1fx faster",
			n, scale, r.wall.Round(time.Millisecond), r.requests, r.lowerBound, r.wall.Seconds()/r.lowerBound.Seconds(),
			r.tailBound, r.wall.Seconds()/r.tailBound.Seconds(),
			float64(r.requests)/float64(4*n), r.rateLimited, r.seqPerCustomer.Round(time.Millisecond), seqN,
			(r.seqPerCustomer * time.Duration(n)).Round(time.Second), n, r.seqPerCustomer.Seconds()*float64(n)/r.wall.Seconds())
	}
}

type onboardingResult struct {
	wall, lowerBound, tailBound time.Duration
	seqPerCustomer              time.Duration
	requests, rateLimited       int64
	created                     map[string]int64
}

func runOnboarding(b *testing.B, n int, scale float64, seqN int, faults emulator.Faults) onboardingResult {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rpm := int(float64(benchRPM) * scale)
	faults.Latency = time.Duration(float64(benchLatency) / scale)
	srv, err := emulator.Start(ctx, "127.0.0.1:0", emulator.Options{
		Speed: emulator.Speed(scale), RequestsPerMinute: rpm,
		Faults: faults,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	defer tr.CloseIdleConnections()
	client := func() *broker.Client {
		// Retry waits scale too: the emulator's X-RateLimit-Reset points to
		// its real one-minute window, which a scaled run must not sit out.
		c, err := broker.New(broker.Config{BaseURL: srv.URL, KeyID: emulator.DefaultKeyID, Secret: emulator.DefaultSecret,
			RequestsPerMinute: rpm, HTTPClient: &http.Client{Transport: tr, Timeout: time.Minute},
			RetryWaitMin: scaled(broker.DefaultRetryWaitMin, scale), RetryWaitMax: scaled(broker.DefaultRetryWaitMax, scale)})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}

	// brokerctl: the engine over the whole graph.
	var nodes []*Node
	for i := range n {
		nodes = append(nodes, onboardingNodes(fmt.Sprintf("c%04d", i))...)
	}
	be, err := state.Open(ctx, filepath.Join(b.TempDir(), "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	ws, err := be.Lock(ctx, "bench", state.NewLockInfo("bench", "bench"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	st, err := NewStateStore(ctx, ws)
	if err != nil {
		b.Fatal(err)
	}
	c := client()
	remote := NewBrokerRemote(c)
	limited0 := srv.Emulator.Stats().RateLimited
	poll := time.Duration(float64(time.Second) / scale)
	start := time.Now()
	res, err := New(remote, st, nodes, nil, Options{Workspace: "bench", RequestsPerMinute: rpm, MaxAttempts: 20, RetryDelay: scaled(500*time.Millisecond, scale),
		Wait: WaitOptions{PollMin: poll, PollMax: 20 * poll, StreamGrace: 30 * poll, ConnectGrace: 2 * poll}}).Apply(ctx)
	wall := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	if err := res.Err(); err != nil {
		b.Fatalf("apply: %v", err)
	}
	// Shared quota: the n account creates; busiest account: 3 requests;
	// critical path: 4 latencies and the status delays (see the top).
	critical := scaled(4*benchLatency+benchStatusDelays, scale)
	burst := min(max(rpm/100, 1), 10) // broker.NewLimiter's default
	created := srv.Emulator.Stats().Created
	for _, k := range []string{"account", "ach_relationship", "transfer", "order"} {
		if created[k] != int64(n) {
			b.Fatalf("created %d %s objects, want exactly %d (%v)", created[k], k, n, created)
		}
	}
	out := onboardingResult{
		created:     created,
		wall:        wall,
		lowerBound:  max(perMinute(n, rpm), perMinute(3, rpm), critical),
		tailBound:   max(perMinute(n-burst, rpm), 0) + critical,
		requests:    c.Stats().Requests,
		rateLimited: srv.Emulator.Stats().RateLimited - limited0,
	}

	if seqN == 0 {
		return out
	}
	// The same workload as a plain sequential script on the same client
	// library would run it: create, poll until ready, next.
	sc := client()
	start = time.Now()
	for i := range seqN {
		if err := sequentialOnboarding(ctx, sc, fmt.Sprintf("seq%04d", i), poll); err != nil {
			b.Fatal(err)
		}
	}
	out.seqPerCustomer = time.Since(start) / time.Duration(seqN)
	return out
}

func scaled(d time.Duration, scale float64) time.Duration { return time.Duration(float64(d) / scale) }

// perMinute is how long n requests take at rpm a minute.
func perMinute(n, rpm int) time.Duration {
	return time.Duration(float64(n) / float64(rpm) * float64(time.Minute))
}

// onboardingNodes declares one customer's four resources.
func onboardingNodes(name string) []*Node {
	nodes := seed(name)
	// seed declares account, ACH, deposit, journal, order: drop the journal
	// (the firm account could not fund a thousand of them) and the order's
	// wait (a market order fills when the market says so).
	out := []*Node{nodes[0], nodes[1], nodes[2], nodes[4]}
	out[3].WaitFor = nil
	for _, n := range out {
		n.WaitTimeout = 10 * time.Minute // the manifest default; ACH approval takes a minute
	}
	return out
}

// sequentialOnboarding onboards one customer the way a script would.
func sequentialOnboarding(ctx context.Context, c *broker.Client, name string, poll time.Duration) error {
	var acct Object
	if err := c.Do(ctx, "POST", "/v1/accounts", nil, accountBody(name+"@example.com"), &acct); err != nil {
		return err
	}
	id := idOf(acct)
	waitFor := func(get func() (string, error), want string) error {
		for {
			st, err := get()
			if err != nil || st == want {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(poll):
			}
		}
	}
	if err := waitFor(func() (string, error) {
		var a Object
		err := c.Do(ctx, "GET", "/v1/accounts/"+id, nil, nil, &a)
		return StatusOf(a), err
	}, "ACTIVE"); err != nil {
		return err
	}
	var rel Object
	if err := c.Do(ctx, "POST", "/v1/accounts/"+id+"/ach_relationships", nil, Object{"account_owner_name": "Seq " + name,
		"bank_account_type": "CHECKING", "bank_account_number": "32131231abc", "bank_routing_number": "121000358"}, &rel); err != nil {
		return err
	}
	listStatus := func(path, want string) func() (string, error) {
		return func() (string, error) {
			var items []Object
			err := c.Do(ctx, "GET", path, nil, nil, &items)
			for _, it := range items {
				if idOf(it) == want {
					return StatusOf(it), err
				}
			}
			return "", err
		}
	}
	if err := waitFor(listStatus("/v1/accounts/"+id+"/ach_relationships", idOf(rel)), "APPROVED"); err != nil {
		return err
	}
	var xfer Object
	if err := c.Do(ctx, "POST", "/v1/accounts/"+id+"/transfers", nil, Object{"transfer_type": "ach", "relationship_id": idOf(rel),
		"amount": "1000", "direction": "INCOMING"}, &xfer); err != nil {
		return err
	}
	if err := waitFor(listStatus("/v1/accounts/"+id+"/transfers", idOf(xfer)), "COMPLETE"); err != nil {
		return err
	}
	return c.Do(ctx, "POST", "/v1/trading/accounts/"+id+"/orders", nil, Object{"symbol": "AAPL", "notional": "100", "side": "buy",
		"type": "market", "time_in_force": "day"}, nil)
}

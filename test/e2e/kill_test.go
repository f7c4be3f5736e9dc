package e2e

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nCustomers is the size of the onboarding CSV of the kill and fault
// tests (5 resources per row): 20, or 10 with -short.
func nCustomers() int {
	if testing.Short() {
		return 10
	}
	return 20
}

// testSeed is E2E_SEED when set (to replay a failure), else the time.
func testSeed(t *testing.T) uint64 {
	if s := os.Getenv("E2E_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("E2E_SEED=%q: %v", s, err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

// envInt is the integer in the environment variable name, else def.
func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 50 && name == "E2E_KILL_MAX_MS" {
		t.Fatalf("%s=%q: want an integer (above 50 for E2E_KILL_MAX_MS)", name, s)
	}
	return n
}

// TestKill9ResumesToExactlyOne kills "brokerctl apply" with SIGKILL at
// random instants while it onboards 20 customers (each kill lands mid-run:
// the emulator delays every answer and moves statuses on realistic timers
// divided by 50), then applies until it exits 0, and counts through the API
// exactly one account, ACH relationship, transfer, journal and order per
// customer. A second apply sends nothing but reads.
func TestKill9ResumesToExactlyOne(t *testing.T) {
	backends(t, func(t *testing.T, newBackend func(string) backend) {
		seed := testSeed(t)
		rng := rand.New(rand.NewPCG(seed, 0))
		dir := t.TempDir()
		be := newBackend(dir)
		faults := "latency=20ms"
		if f := os.Getenv("E2E_KILL_FAULTS"); f != "" { // soak: kills and faults together
			faults = f
		}
		em := startEmulator(t, dir, "--speed", "50", "--faults", faults)
		cs := customers("kill", nCustomers())
		files := workdir(t, dir, cs, true)
		r := newRunner(t, dir, em)
		// A lock dies with its holder: a run after a kill never waits for it.
		apply := append([]string{"apply", "--state", be.State, "--lock-timeout", "2s"}, files...)

		kills, finished, locked := 0, 0, 0
		defKills := 8
		if testing.Short() {
			defKills = 4
		}
		nKills, maxKill := envInt(t, "E2E_KILLS", defKills), envInt(t, "E2E_KILL_MAX_MS", 1500)
		for i := range nKills {
			d := 50*time.Millisecond + time.Duration(rng.Int64N(int64(time.Duration(maxKill-50)*time.Millisecond)))
			res := r.start(apply...).killAfter(d)
			switch {
			case res.Killed:
				kills++
				if strings.Contains(res.Stdout, "...") { // "Reading...", "Creating...": it held the lock
					locked++
				}
				t.Logf("run %d (seed %d): killed -9 after %s (%d progress lines)", i+1, seed, d.Round(time.Millisecond), strings.Count(res.Stdout, "\n"))
				if !strings.Contains(res.Stdout, "\n") && d > 500*time.Millisecond {
					// Not a failure, but worth seeing: where was it stuck?
					t.Logf("run %d printed nothing in %s:\n%s", i+1, d, res)
				}
			case res.Code == 0:
				finished++
				t.Logf("run %d (seed %d): finished in %s before its kill at %s", i+1, seed, res.Elapsed.Round(time.Millisecond), d.Round(time.Millisecond))
			default:
				t.Fatalf("run %d (seed %d) failed before its kill:\n%s", i+1, seed, res)
			}
		}
		if kills == 0 {
			t.Fatalf("no run was killed mid-flight (seed %d)", seed)
		}
		res := applyUntilOK(t, r, apply, 3)
		ctx := ctxTimeout(t)
		api{t, em}.expectExactlyOne(ctx, cs, true)
		t.Logf("%s: %d kills, %d runs finished first; the resuming apply: %s", be.Name, kills, finished, summary(res.Stdout))

		expectNoCreates(t, r.mustRun(append(apply, "--debug")...))

		// Every killed run that held the lock is in the history as
		// interrupted; nothing is left "running".
		hist := r.mustRun("state", "history", "--state", be.State, "-o", "json", "-n", "100")
		var runs []struct{ Operation, Result string }
		if err := json.Unmarshal([]byte(hist.Stdout), &runs); err != nil {
			t.Fatalf("state history -o json: %v\n%s", err, hist)
		}
		results := map[string]int{}
		for _, run := range runs {
			results[run.Result]++
		}
		if results["interrupted"] < locked || results["interrupted"] > kills || results["running"] != 0 || results["finished"] < 2 {
			t.Errorf("state history after %d kills (%d of them holding the lock) and 2 finished applies: %v", kills, locked, results)
		}
		t.Logf("%s: state history: %v", be.Name, results)
		expectNoLeak(t, be, r, append(sensitive(cs), em.Secret))
	})
}

// TestInterruptResumes sends SIGINT (Ctrl-C) to a running apply, then
// SIGTERM (a CI job cancelled) to the next: each stops within seconds with
// exit 1 and "interrupted: ... run apply again to resume", and the next
// apply ends with exactly one of each object.
func TestInterruptResumes(t *testing.T) {
	backends(t, func(t *testing.T, newBackend func(string) backend) {
		seed := testSeed(t)
		rng := rand.New(rand.NewPCG(seed, 2))
		dir := t.TempDir()
		be := newBackend(dir)
		em := startEmulator(t, dir, "--speed", "50", "--faults", "latency=20ms")
		cs := customers("sigint", 10)
		files := workdir(t, dir, cs, false)
		r := newRunner(t, dir, em)
		apply := append([]string{"apply", "--state", be.State, "--lock-timeout", "2s"}, files...)

		// Ctrl-C, then a CI runner's cancel (SIGTERM), each mid-run.
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			p := r.start(apply...)
			if !p.waitOutput("Creating...") {
				if res := p.wait(); res.Code != 0 {
					t.Fatalf("apply never started creating:\n%s", res)
				}
				t.Logf("apply had nothing left to create before %v (seed %d)", sig, seed)
				continue
			}
			time.Sleep(time.Duration(rng.Int64N(int64(800 * time.Millisecond))))
			sent := time.Now()
			// The run may have finished during the sleep: then the signal
			// finds no process, and the switch below logs a finished run.
			if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Fatal(err)
			}
			res := p.wait()
			stopped := time.Since(sent)
			switch {
			case res.Code == 0:
				t.Logf("apply finished before %v (seed %d)", sig, seed)
			case res.Code != 1 || !strings.Contains(res.Stderr, "interrupted: state records every step; run apply again to resume"):
				t.Errorf("apply after %v: want exit 1 and the resume hint, got:\n%s", sig, res)
			case stopped > 5*time.Second:
				t.Errorf("apply took %s to stop after %v, want under 5s", stopped, sig)
			}
			t.Logf("%s: %v after %s; exit %d %s later", be.Name, sig, (res.Elapsed - stopped).Round(time.Millisecond), res.Code, stopped.Round(time.Millisecond))
		}

		res := applyUntilOK(t, r, apply, 3)
		t.Logf("%s: resumed: %s", be.Name, summary(res.Stdout))
		api{t, em}.expectExactlyOne(ctxTimeout(t), cs, false)
		expectNoLeak(t, be, r, append(sensitive(cs), em.Secret))
	})
}

// TestFaultsExactlyOne applies the onboarding while the emulator drops
// ~10% of committed responses (the create happened, the client cannot
// know) and answers ~10% of requests with 503 and ~10% with 429: exactly
// one of each object, in one apply.
func TestFaultsExactlyOne(t *testing.T) {
	backends(t, func(t *testing.T, newBackend func(string) backend) {
		// Seed 70 makes the first three requests fail (503, 429, 503): the
		// pre-flight, the first request of a fresh emulator, must ride them
		// out. Later draws depend on the order of concurrent requests.
		seed := uint64(70)
		if os.Getenv("E2E_SEED") != "" {
			seed = testSeed(t) % 1_000_000
		}
		dir := t.TempDir()
		be := newBackend(dir)
		em := startEmulator(t, dir, "--speed", "50",
			"--faults", "drop=0.1,503=0.1,429=0.1,latency=5ms,seed="+strconv.FormatUint(seed, 10))
		cs := customers("faults", nCustomers())
		files := workdir(t, dir, cs, true)
		r := newRunner(t, dir, em)
		apply := append([]string{"apply", "--state", be.State}, files...)

		res := r.run(append(apply, "--debug")...)
		// The debug log has a line per response and per failed request:
		// prove the faults happened.
		injected := map[string]int{
			"503":  strings.Count(res.Stderr, "status=503"),
			"429":  strings.Count(res.Stderr, "status=429"),
			"drop": len(droppedRE.FindAllString(res.Stderr, -1)),
		}
		t.Logf("%s: the apply met %v", be.Name, injected)
		for k, n := range injected {
			if n == 0 {
				t.Errorf("the apply met no %s fault (fault seed %d): the test proved nothing about them", k, seed)
			}
		}
		if seed == 70 { // the pre-flight met three faults in a row and went on
			first := firstStatusRE.FindAllStringSubmatch(res.Stderr, 4)
			if len(first) < 4 || first[0][1] != "503" || first[1][1] != "429" || first[2][1] != "503" || first[3][1] != "200" {
				t.Errorf("with fault seed 70 the first GET /v1/accounts answers should be 503, 429, 503, 200; got %v", first)
			}
		}
		if res.Code != 0 {
			t.Errorf("apply under 10%% drops, 503s and 429s exited %d (want 0: every fault is retried or reconciled; fault seed %d):\n%s", res.Code, seed, res)
			res = applyUntilOK(t, r, apply, 3)
		}
		t.Logf("%s: %s", be.Name, summary(res.Stdout))
		api{t, em}.expectExactlyOne(ctxTimeout(t), cs, true)
		reapply := r.run(append(apply, "--debug")...)
		if reapply.Code != 0 {
			t.Fatalf("re-apply under faults:\n%s", reapply)
		}
		expectNoCreates(t, reapply)
		expectNoLeak(t, be, r, append(sensitive(cs), em.Secret))
	})
}

// applyUntilOK runs apply until it exits 0, at most n times.
func applyUntilOK(t *testing.T, r *runner, apply []string, n int) *result {
	t.Helper()
	var res *result
	for attempt := 1; attempt <= n; attempt++ {
		res = r.run(apply...)
		if res.Code == 0 {
			if attempt > 1 {
				t.Errorf("apply needed %d runs to exit 0 after the kills (want 1):\n%s", attempt, res)
			}
			return res
		}
		t.Logf("apply attempt %d exited %d:\n%s", attempt, res.Code, res)
	}
	t.Fatalf("apply did not exit 0 in %d runs", n)
	return nil
}

var summaryRE = regexp.MustCompile(`(?m)^Apply complete: .*$`)

// summary is the "Apply complete" line of a text apply.
func summary(stdout string) string {
	return summaryRE.FindString(stdout)
}

// firstStatusRE matches the pre-flight's answers in a --debug log.
var firstStatusRE = regexp.MustCompile(`method=GET path=/v1/accounts status=(\d+)`)

// droppedRE matches a create whose connection the emulator closed after
// committing.
var droppedRE = regexp.MustCompile(`method=POST path=\S+ error=EOF`)

var mutationRE = regexp.MustCompile(`method=(POST|PATCH|DELETE|PUT) path=\S+`)

// expectNoCreates checks a re-apply with --debug: it sent no POST, PATCH or
// DELETE (the debug log has one line per request) and added nothing.
func expectNoCreates(t *testing.T, res *result) {
	t.Helper()
	if m := mutationRE.FindAllString(res.Stderr, -1); len(m) > 0 {
		t.Errorf("re-apply sent %d mutations, want 0: %v", len(m), m)
	}
	if !strings.Contains(res.Stderr, "broker: response") {
		t.Errorf("re-apply --debug logged no request at all (want the data source read):\n%s", res)
	}
	if s := summary(res.Stdout); !strings.HasPrefix(s, "Apply complete: 0 added, 0 changed, 0 replaced, 0 destroyed,") {
		t.Errorf("re-apply summary %q, want 0 added/changed/replaced/destroyed", s)
	}
}

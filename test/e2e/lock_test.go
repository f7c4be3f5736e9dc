package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestLockSameWorkspace runs three applies of one workspace at once. While
// the first holds the lock, one with --lock-timeout 300ms gives up with
// exit 1 and the documented "workspace W is locked by USER@HOST (pid PID,
// operation apply) since TIME" naming the first process, having sent
// no mutation; one with --lock-timeout 60s waits, then runs after the first
// finished and finds nothing to do (docs/state.md, "Locking").
func TestLockSameWorkspace(t *testing.T) {
	backends(t, func(t *testing.T, newBackend func(string) backend) {
		dir := t.TempDir()
		be := newBackend(dir)
		em := startEmulator(t, dir, "--speed", "50", "--faults", "latency=20ms")
		cs := customers("lock", 10)
		files := workdir(t, dir, cs, false)
		r := newRunner(t, dir, em)
		apply := append([]string{"apply", "--state", be.State, "--workspace", "shared"}, files...)

		first := r.start(apply...)
		if !first.waitOutput("Creating...") {
			t.Fatalf("the first apply never started creating:\n%s", first.wait())
		}
		refused := r.start(append(apply, "--lock-timeout", "300ms", "--debug")...)
		waiter := r.start(append(apply, "--lock-timeout", "60s", "--debug")...)

		ref := refused.wait()
		a := first.wait()
		w := waiter.wait()
		if a.Code != 0 {
			t.Fatalf("the first apply failed:\n%s", a)
		}

		// The impatient one: exit 1, the holder named, nothing created.
		lockedRE := regexp.MustCompile(`workspace shared is locked by \S+@\S+ \(pid ` + strconv.Itoa(a.Pid) + `, operation apply\) since \d{4}-\d\d-\d\dT`)
		if ref.Code != 1 || !lockedRE.MatchString(ref.Stderr) {
			t.Errorf("apply with --lock-timeout 300ms while pid %d holds the lock: want exit 1 and stderr matching %q, got:\n%s", a.Pid, lockedRE, ref)
		}
		if ref.Elapsed < 300*time.Millisecond || ref.Elapsed > a.Elapsed {
			t.Errorf("the refused apply ended after %s: want at least its 300ms lock timeout and before the holder (%s)", ref.Elapsed, a.Elapsed)
		}
		if m := mutationRE.FindAllString(ref.Stderr, -1); len(m) > 0 {
			t.Errorf("the refused apply sent %v:\n%s", m, ref)
		}

		// The patient one: waited for the first, then found nothing to do.
		if w.Code != 0 {
			t.Fatalf("apply with --lock-timeout 60s: want exit 0 once the first finished, got:\n%s", w)
		}
		if w.Elapsed < a.Elapsed/2 {
			t.Errorf("the waiting apply took %s while the holder took %s: it did not wait for the lock", w.Elapsed, a.Elapsed)
		}
		expectNoCreates(t, w)
		t.Logf("%s: holder pid %d ran %s; refused after %s; waiter ran %s: %s", be.Name, a.Pid, a.Elapsed.Round(time.Millisecond),
			ref.Elapsed.Round(time.Millisecond), w.Elapsed.Round(time.Millisecond), summary(w.Stdout))

		api{t, em}.expectExactlyOne(ctxTimeout(t), cs, false)
		expectNoLeak(t, be, r, append(sensitive(cs), em.Secret))
	})
}

// TestLockWorkspacesInParallel runs the applies of two workspaces of the
// same state file (or database schema) at once, each with a 1s lock timeout,
// shorter than the other's run: both succeed, so neither waited for the other.
func TestLockWorkspacesInParallel(t *testing.T) {
	backends(t, func(t *testing.T, newBackend func(string) backend) {
		dir := t.TempDir()
		be := newBackend(dir)
		em := startEmulator(t, dir, "--speed", "50", "--faults", "latency=20ms")
		r := newRunner(t, dir, em)
		var all []customer
		var procs []*proc
		for _, ws := range []string{"alpha", "beta"} {
			cs := customers(ws, 10)
			all = append(all, cs...)
			sub := filepath.Join(dir, ws)
			if err := os.Mkdir(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			files := workdir(t, sub, cs, false)
			for i := 0; i < len(files); i += 2 {
				files[i+1] = filepath.Join(sub, files[i+1])
			}
			procs = append(procs, r.start(append([]string{"apply", "--state", be.State, "--workspace", ws, "--lock-timeout", "1s"}, files...)...))
		}
		var took []time.Duration
		for _, p := range procs {
			res := p.wait()
			if res.Code != 0 {
				t.Errorf("apply of one of two workspaces run at once failed:\n%s", res)
			}
			took = append(took, res.Elapsed)
		}
		for _, d := range took {
			if d < time.Second {
				t.Fatalf("a run took %s: too short to prove the two ran at once (want runs longer than the 1s lock timeout)", d)
			}
		}
		t.Logf("%s: workspaces alpha and beta ran at once in %s and %s", be.Name, took[0].Round(time.Millisecond), took[1].Round(time.Millisecond))
		api{t, em}.expectExactlyOne(ctxTimeout(t), all, false)
		expectNoLeak(t, be, r, append(sensitive(all), em.Secret))
	})
}

// runTimeRE finds the run time in an "Apply complete: ...; N requests in
// 2.5s" summary.
var runTimeRE = regexp.MustCompile(`(?m)requests in (\S+)$`)

// TestLockHolderKilledWaiterTakesOver kills (SIGKILL) an apply that holds
// the lock while a second apply of the same workspace waits for it: the
// lock dies with its holder (the flock, or the PostgreSQL session), the
// waiter takes it at once, resumes the killed run's creates and ends with
// exactly one of each object.
func TestLockHolderKilledWaiterTakesOver(t *testing.T) {
	backends(t, func(t *testing.T, newBackend func(string) backend) {
		dir := t.TempDir()
		be := newBackend(dir)
		em := startEmulator(t, dir, "--speed", "50", "--faults", "latency=20ms")
		cs := customers("takeover", 10)
		files := workdir(t, dir, cs, false)
		r := newRunner(t, dir, em)
		apply := append([]string{"apply", "--state", be.State, "--workspace", "shared"}, files...)

		holder := r.start(apply...)
		if !holder.waitOutput("Creating...") {
			t.Fatalf("the first apply never started creating:\n%s", holder.wait())
		}
		waiter := r.start(append(apply, "--lock-timeout", "60s")...)
		time.Sleep(300 * time.Millisecond) // the waiter is now blocked on the lock
		killedAt := time.Now()
		h := holder.killAfter(0)
		if !h.Killed {
			t.Fatalf("the holder ended before the kill:\n%s", h)
		}
		w := waiter.wait()
		if w.Code != 0 {
			t.Fatalf("the waiter after its holder was killed: want exit 0, got:\n%s", w)
		}
		// The waiter's own run (the summary's time) began within 2s of the
		// kill: it did not sit out a stale lock.
		sinceKill := time.Since(killedAt)
		m := runTimeRE.FindStringSubmatch(w.Stdout)
		if m == nil {
			t.Fatalf("no run time in the waiter's summary:\n%s", w)
		}
		ran, err := time.ParseDuration(m[1])
		if err != nil {
			t.Fatal(err)
		}
		if idle := sinceKill - ran; idle > 2*time.Second {
			t.Errorf("the waiter started its run %s after its holder was killed, want under 2s", idle.Round(time.Millisecond))
		}
		t.Logf("%s: holder killed %s after start; waiter finished %s after the kill: %s", be.Name, h.Elapsed.Round(time.Millisecond),
			time.Since(killedAt).Round(time.Millisecond), summary(w.Stdout))
		api{t, em}.expectExactlyOne(ctxTimeout(t), cs, false)
		expectNoLeak(t, be, r, append(sensitive(cs), em.Secret))
	})
}

// TestLockFirstOpenRace starts two applies of the same workspace at the
// same instant on state that does not exist yet, three times: the SQLite
// file (or the PostgreSQL schema and its tables) is created once, one
// apply runs and the other exits 1 with the "locked by" message, never
// another error (a half-created schema, "database is locked").
func TestLockFirstOpenRace(t *testing.T) {
	backends(t, func(t *testing.T, newBackend func(string) backend) {
		dir := t.TempDir()
		em := startEmulator(t, dir, "--speed", "50")
		r := newRunner(t, dir, em)
		var all []customer
		for round := range 3 {
			sub := filepath.Join(dir, "round"+strconv.Itoa(round))
			if err := os.Mkdir(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			be := newBackend(sub)
			cs := customers("race"+strconv.Itoa(round), 2)
			all = append(all, cs...)
			files := workdir(t, sub, cs, false)
			for i := 1; i < len(files); i += 2 {
				files[i] = filepath.Join(sub, files[i])
			}
			apply := append([]string{"apply", "--state", be.State, "--lock-timeout", "300ms"}, files...)
			a, b := r.start(apply...), r.start(apply...)
			ra, rb := a.wait(), b.wait()
			if ra.Code == 1 {
				ra, rb = rb, ra
			}
			lockedRE := regexp.MustCompile(`Error: workspace default is locked by \S+ \(pid ` + strconv.Itoa(ra.Pid) + `, operation apply\) since `)
			if ra.Code != 0 || rb.Code != 1 || !lockedRE.MatchString(rb.Stderr) {
				t.Errorf("round %d: two first applies at once: want one exit 0 and one exit 1 naming pid %d as the holder, got:\n%s\n%s", round, ra.Pid, ra, rb)
			}
		}
		api{t, em}.expectExactlyOne(ctxTimeout(t), all, false)
	})
}

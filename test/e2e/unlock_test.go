package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// lockIDRE finds the lock line "brokerctl state list" prints while a run
// holds the workspace.
var lockIDRE = regexp.MustCompile(`is locked by \S+ \(pid (\d+), operation apply\) since \S+ \(lock ID (\w+)\)`)

// TestForceUnlock breaks the lock of a running apply with "state unlock
// --force" (docs/state.md, "Unlocking"). PostgreSQL: the holder's session
// is terminated, the holder fails on its next state write (exit 1) instead
// of going on unrecorded, and the next apply ends with exactly one of each
// object. SQLite: the kernel owns the lock, so unlock refuses, naming the
// live holder, and the holder finishes normally.
func TestForceUnlock(t *testing.T) {
	backends(t, func(t *testing.T, newBackend func(string) backend) {
		dir := t.TempDir()
		be := newBackend(dir)
		em := startEmulator(t, dir, "--speed", "50", "--faults", "latency=20ms")
		cs := customers("unlock", 10)
		files := workdir(t, dir, cs, false)
		r := newRunner(t, dir, em)
		apply := append([]string{"apply", "--state", be.State, "--workspace", "ci"}, files...)

		holder := r.start(apply...)
		if !holder.waitOutput("Creating...") {
			t.Fatalf("apply never started creating:\n%s", holder.wait())
		}
		list := r.mustRun("state", "list", "--state", be.State, "--workspace", "ci")
		m := lockIDRE.FindStringSubmatch(list.Stdout)
		if m == nil {
			t.Fatalf("state list while apply (pid %d) runs: want the lock line with its lock ID:\n%s", holder.res.Pid, list)
		}
		if m[1] != strconv.Itoa(holder.res.Pid) {
			t.Errorf("state list names pid %s as the holder, want %d", m[1], holder.res.Pid)
		}
		unlock := r.run("state", "unlock", "--state", be.State, "--workspace", "ci", "--force", "--yes", m[2])
		h := holder.wait()
		t.Logf("%s: unlock --force while pid %d ran: exit %d; the holder then exited %d after %s", be.Name, h.Pid, unlock.Code, h.Code, h.Elapsed.Round(time.Millisecond))

		switch be.Name {
		case "postgres":
			if unlock.Code != 0 || !strings.Contains(unlock.Stdout, "Workspace ci unlocked (lock ID "+m[2]+")") {
				t.Fatalf("unlock --force on PostgreSQL: want exit 0 and \"Workspace ci unlocked\", got:\n%s", unlock)
			}
			if h.Code != 1 {
				t.Errorf("the apply whose lock was broken: want exit 1 (it can no longer write state), got:\n%s", h)
			}
			res := applyUntilOK(t, r, apply, 3)
			t.Logf("%s: the apply after the broken lock: %s", be.Name, summary(res.Stdout))
		default:
			if unlock.Code == 0 || !strings.Contains(unlock.Stderr, strconv.Itoa(h.Pid)) {
				t.Errorf("unlock --force of a live SQLite holder: want a refusal naming pid %d, got:\n%s", h.Pid, unlock)
			}
			if h.Code != 0 {
				t.Fatalf("the SQLite holder, whose lock cannot be broken, failed:\n%s", h)
			}
		}
		api{t, em}.expectExactlyOne(ctxTimeout(t), cs, false)
		expectNoLeak(t, be, r, append(sensitive(cs), em.Secret))
	})
}

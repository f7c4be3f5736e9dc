package e2e

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// Statuses that are still open, per kind: after destroy none may remain.
var (
	openOrder    = map[string]bool{"new": true, "accepted": true, "pending_new": true, "partially_filled": true, "accepted_for_bidding": true, "held": true, "calculated": true, "pending_replace": true, "pending_cancel": true, "done_for_day": true}
	openTransfer = map[string]bool{"QUEUED": true, "PENDING": true, "APPROVAL_PENDING": true, "SENT_TO_CLEARING": true, "APPROVED": true}
	openJournal  = map[string]bool{"queued": true, "pending": true, "sent_to_clearing": true}
)

// TestDestroyLeavesNothingOpen applies the onboarding plus objects that
// stay open (a resting limit order, a transfer parked in PENDING, a journal
// parked in pending), runs every read-only command once (plan, state list,
// state show of each kind, output, all with and without --json; plan of
// edited tax id, date of birth and bank account number), kills a
// destroy with SIGKILL mid-run, destroys again until it exits 0, and checks
// through the API that every account is closed, every ACH relationship
// canceled, and no order, transfer or journal is left open. Every output
// and the stored state are then searched for the customers' personal data
// and the API secret.
func TestDestroyLeavesNothingOpen(t *testing.T) {
	backends(t, func(t *testing.T, newBackend func(string) backend) {
		seed := testSeed(t)
		rng := rand.New(rand.NewPCG(seed, 1))
		dir := t.TempDir()
		be := newBackend(dir)
		em := startEmulator(t, dir, "--speed", "50", "--faults", "latency=20ms")
		cs := customers("destroy", 10)
		files := workdir(t, dir, cs, true)
		r := newRunner(t, dir, em)
		st := []string{"--state", be.State}
		with := func(args ...string) []string { return append(append(args, st...), files...) }

		r.mustRun(with("apply", "--json", "--debug")...)
		api{t, em}.expectExactlyOne(ctxTimeout(t), cs, true)

		// Every read-only view of the workspace, for the PII search.
		r.mustRun(with("plan")...)
		r.mustRun(with("plan", "--json", "--debug")...)
		r.mustRun(append([]string{"state", "list"}, st...)...)
		r.mustRun(append([]string{"state", "list", "-o", "json"}, st...)...)
		for _, addr := range []string{
			`accounts.customer["` + cs[1].Email + `"]`, `ach_relationships.bank["` + cs[1].Email + `"]`,
			`transfers.deposit["` + cs[1].Email + `"]`, `journals.welcome["` + cs[1].Email + `"]`,
			`orders.first_trade["` + cs[1].Email + `"]`, `transfers.parked`, `journals.parked`, `orders.resting`,
		} {
			res := r.mustRun(append([]string{"state", "show", addr, "--debug"}, st...)...)
			if !strings.Contains(res.Stdout, `"created"`) {
				t.Errorf("state show %s: want the created record, got:\n%s", addr, res)
			}
		}
		r.mustRun(append([]string{"output", "-o", "json"}, st...)...)

		// A plan of changed personal data names the fields, never the old
		// or the new values.
		changed := append([]customer(nil), cs...)
		changed[1].TaxID, changed[1].DOB, changed[1].BankAccount = "666-91-9999", "1961-06-06", "555000111222"
		workdir(t, dir, changed, true)
		for _, args := range [][]string{with("plan"), with("plan", "--json")} {
			res := r.mustRun(args...)
			if !strings.Contains(res.Stdout, `accounts.customer[\"`+cs[1].Email+`\"]`) && !strings.Contains(res.Stdout, `accounts.customer["`+cs[1].Email+`"]: update`) {
				t.Errorf("plan after editing %s's identity does not show its update:\n%s", cs[1].Email, res)
			}
		}
		workdir(t, dir, cs, true)

		// A destroy killed mid-run, then destroy until it exits 0.
		d := 100*time.Millisecond + time.Duration(rng.Int64N(int64(400*time.Millisecond)))
		killed := r.start(with("destroy", "--yes")...).killAfter(d)
		t.Logf("%s: destroy killed=%v after %s (seed %d)", be.Name, killed.Killed, d.Round(time.Millisecond), seed)
		runs := 0
		for {
			runs++
			res := r.run(with("destroy", "--yes", "--json", "--debug")...)
			if res.Code == 0 {
				break
			}
			if runs == 3 {
				t.Fatalf("destroy did not exit 0 in 3 runs:\n%s", res)
			}
			t.Errorf("destroy run %d after the kill exited %d (want 0 at once):\n%s", runs, res.Code, res)
		}

		expectNothingOpen(t, api{t, em}, cs)
		expectNoLeak(t, be, r, append(sensitive(append(cs, changed[1])), em.Secret))
	})
}

// expectNothingOpen checks through the API that every customer's account is
// closed, every ACH relationship canceled and nothing else left open.
func expectNothingOpen(t *testing.T, a api, cs []customer) {
	t.Helper()
	counts := map[string]int{}
	for i, c := range a.orderedCensus(ctxTimeout(t), cs) {
		email := cs[i].Email
		if len(c.Accounts) != 1 {
			t.Errorf("%s: %d accounts after destroy, want the 1 closed account", email, len(c.Accounts))
		}
		for _, acct := range c.Accounts {
			counts["account "+acct.str("status")]++
			if s := acct.str("status"); s != "ACCOUNT_CLOSED" {
				t.Errorf("%s: account %s is %s after destroy, want ACCOUNT_CLOSED", email, acct.str("id"), s)
			}
		}
		for _, o := range c.ACH {
			counts["ach "+o.str("status")]++
			if s := o.str("status"); s != "CANCELED" {
				t.Errorf("%s: ACH relationship %s is %s after destroy, want CANCELED", email, o.str("id"), s)
			}
		}
		for _, o := range c.Orders {
			counts["order "+o.str("status")]++
			if openOrder[o.str("status")] {
				t.Errorf("%s: order %s is still %s after destroy", email, o.str("id"), o.str("status"))
			}
		}
		for _, o := range c.Transfers {
			counts["transfer "+o.str("status")]++
			if openTransfer[o.str("status")] {
				t.Errorf("%s: transfer %s is still %s after destroy", email, o.str("id"), o.str("status"))
			}
		}
		for _, o := range c.Journals {
			counts["journal "+o.str("status")]++
			if openJournal[o.str("status")] {
				t.Errorf("%s: journal %s is still %s after destroy", email, o.str("id"), o.str("status"))
			}
		}
	}
	// The parked objects must have been canceled, not left to complete.
	for k, want := range map[string]int{"order canceled": 1, "transfer CANCELED": 1, "journal deleted": 1} {
		if counts[k] != want {
			t.Errorf("after destroy the API shows %d %s, want %d (the parked one)", counts[k], k, want)
		}
	}
	t.Logf("after destroy, through the API: %v", counts)
}

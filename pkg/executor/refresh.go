package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/brokerctl/brokerctl/pkg/redact"
)

// Drift is what a refresh found for one resource in state.
type Drift struct {
	// Gone: the object no longer exists (404, or a relationship deleted
	// outside brokerctl): apply creates it again.
	Gone bool
	// Ended names a status reached outside brokerctl that apply cannot
	// undo (a closed account, a canceled transfer, journal or order).
	Ended string
	// Status is the live status ("" when Gone).
	Status string
	// Fields are the declared account fields (dotted paths) whose live
	// value differs: apply PATCHes them back.
	Fields []string
	live   Object
}

// Refresh is the outcome of reading every recorded object.
type Refresh struct {
	Resources int // resources read
	Requests  int // HTTP requests it took
	Drift     map[string]*Drift
}

// endedOutside are statuses that mean an object was ended by someone else.
var endedOutside = map[string][]string{
	"accounts":       {"ACCOUNT_CLOSED"},
	"transfers":      {"CANCELED"},
	"journals":       {"canceled", "deleted"},
	"batch_journals": {"canceled", "deleted"},
	"orders":         {"canceled"},
}

// goneStatuses are relationship statuses that mean it was deleted: a new
// one can (and must) be created.
var goneStatuses = map[string][]string{
	"ach_relationships":  {"CANCELED", "CANCEL_REQUESTED", "CANCEL_SENT"},
	"bank_relationships": {"CANCELED"},
}

// accountsLister is implemented by remotes that list accounts created since
// a time in pages (BrokerRemote), so a refresh of N accounts costs about
// N/1000 requests instead of N.
type accountsLister interface {
	accountsSince(ctx context.Context, since time.Time, want map[string]bool) (map[string]Object, error)
}

// declaredRecords keeps the records of declared resources: orphans are not
// refreshed (destroy and --prune read them anyway).
func declaredRecords(records []Record, nodes map[string]*Node) []Record {
	var out []Record
	for _, r := range records {
		if nodes[r.Address] != nil {
			out = append(out, r)
		}
	}
	return out
}

// refreshable lists the records a refresh reads: created, not data sources.
func refreshable(records []Record) []Record {
	var out []Record
	for _, r := range records {
		if r.Phase == PhaseCreated && r.RemoteID != "" && r.Kind != "" && !strings.HasPrefix(r.Address, "data.") {
			out = append(out, r)
		}
	}
	return out
}

// refresh reads the live object of every refreshable record: accounts from
// the account list (paged by creation time), relationships, transfers and
// orders from one list per account and kind, journals from one journal
// list; an object a list does not show is read by id.
func (e *Engine) refresh(ctx context.Context, records []Record) (*Refresh, error) {
	before := e.remote.Requests()
	recs := refreshable(records)
	live := map[string]Object{} // address -> object
	gone := map[string]bool{}
	byKind := map[string][]Record{}
	for _, r := range recs {
		byKind[r.Kind] = append(byKind[r.Kind], r)
	}
	found := func(rs []Record, objs map[string]Object) []Record {
		var missing []Record
		for _, r := range rs {
			if o, ok := objs[r.RemoteID]; ok {
				live[r.Address] = o
			} else {
				missing = append(missing, r)
			}
		}
		return missing
	}
	var missing []Record
	if accts := byKind["accounts"]; len(accts) > 0 {
		if l, ok := e.remote.(accountsLister); ok {
			want := map[string]bool{}
			since := time.Time{}
			for _, r := range accts {
				want[r.RemoteID] = true
				if t, err := time.Parse(time.RFC3339Nano, fmt.Sprint(r.Object["created_at"])); err == nil && (since.IsZero() || t.Before(since)) {
					since = t
				}
			}
			objs, err := l.accountsSince(ctx, since.Add(-time.Second), want)
			if err != nil {
				return nil, fmt.Errorf("refresh accounts: %w", err)
			}
			missing = append(missing, found(accts, objs)...)
		} else {
			missing = append(missing, accts...)
		}
	}
	for _, kind := range []string{"ach_relationships", "bank_relationships", "transfers", "orders"} {
		perAccount := map[string][]Record{}
		for _, r := range byKind[kind] {
			perAccount[r.AccountID] = append(perAccount[r.AccountID], r)
		}
		for _, acct := range sortedKeys(perAccount) {
			objs, ok, err := e.remote.List(ctx, kind, acct)
			if errors.Is(err, ErrGone) {
				objs, ok, err = map[string]Object{}, true, nil // the account itself is gone
			}
			if err != nil {
				return nil, fmt.Errorf("refresh %s of account %s: %w", kind, acct, err)
			}
			if !ok {
				missing = append(missing, perAccount[acct]...)
				continue
			}
			missing = append(missing, found(perAccount[acct], objs)...)
		}
	}
	if js := byKind["journals"]; len(js) > 0 {
		objs, ok, err := e.remote.List(ctx, "journals", "")
		if err != nil {
			return nil, fmt.Errorf("refresh journals: %w", err)
		}
		if ok {
			missing = append(missing, found(js, objs)...)
		} else {
			missing = append(missing, js...)
		}
	}
	missing = append(missing, byKind["batch_journals"]...)
	for _, r := range missing {
		obj, err := e.remote.Get(ctx, r.Kind, r.AccountID, r.RemoteID)
		switch {
		case errors.Is(err, ErrGone):
			gone[r.Address] = true
		case err != nil:
			return nil, fmt.Errorf("refresh %s: %w", r.Address, err)
		default:
			live[r.Address] = obj
		}
	}
	res := &Refresh{Resources: len(recs), Drift: map[string]*Drift{}}
	for _, r := range recs {
		d := &Drift{Gone: gone[r.Address]}
		if !d.Gone {
			d.live = live[r.Address]
			d.Status = StatusOf(d.live)
			switch {
			case containsFold(goneStatuses[r.Kind], d.Status):
				d.Gone = true
			case containsFold(endedOutside[r.Kind], d.Status):
				// A created record: brokerctl did not end it.
				d.Ended = d.Status
			}
		}
		res.Drift[r.Address] = d
	}
	res.Requests = int(e.remote.Requests() - before)
	return res, nil
}

// RefreshEstimate is about how many requests a refresh of records costs
// against the Broker API: one per 1,000 accounts, one per account and kind
// of relationship, transfer (per 100) or order, one for all journals, one
// per batch journal.
func RefreshEstimate(records []Record) int {
	recs := refreshable(records)
	n, accounts, journals := 0, 0, false
	pairs := map[string]int{}
	for _, r := range recs {
		switch r.Kind {
		case "accounts":
			accounts++
		case "journals":
			journals = true
		case "batch_journals":
			n++
		default:
			pairs[r.Kind+"/"+r.AccountID]++
		}
	}
	n += (accounts + 999) / 1000
	for k, c := range pairs {
		n++
		if strings.HasPrefix(k, "transfers/") {
			n += c / 100
		}
	}
	if journals {
		n++
	}
	return n
}

// driftFields lists the declared updatable account fields whose live value
// differs, as dotted paths. Sensitive values (tax id, date of birth...) are
// not compared: the API masks them. lifecycle.ignore_changes is honoured.
func driftFields(n *Node, body Object, live Object) []string {
	declared, _ := roundTrip(body).(map[string]any)
	for _, path := range n.IgnoreChanges {
		dropPath(declared, strings.Split(path, "."))
	}
	var out []string
	for _, f := range updatable[n.Kind] {
		switch f {
		case "agreements", "documents", "beneficiaries":
			continue // write-mostly: the API answers them in another shape
		}
		if v, ok := declared[f]; ok {
			diffLeaves(f, v, roundTrip(live[f]), &out)
		}
	}
	slices.Sort(out)
	return out
}

// diffLeaves appends the paths under path where want (declared) and got
// (live) differ; maps are compared key by key (declared keys only), other
// values, lists included, as a whole.
func diffLeaves(path string, want, got any, out *[]string) {
	if wm, ok := want.(map[string]any); ok {
		gm, _ := got.(map[string]any)
		for k, v := range wm {
			if redact.IsSensitiveKey(k) {
				continue
			}
			diffLeaves(path+"."+k, v, gm[k], out)
		}
		return
	}
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		*out = append(*out, path)
	}
}

// applyDrift changes c, the plan of n from state alone, by what a refresh
// found: a gone object is created again, changed account fields are
// PATCHed back, an object ended outside brokerctl is reported.
func applyDrift(c *Change, n *Node, d *Drift, lookup LookupFunc) {
	if d == nil || n.Data {
		return
	}
	switch {
	case d.Gone:
		c.Action, c.Calls = ActionCreate, Calls{Creates: 1}
		c.Reason = "deleted outside brokerctl, will be created"
		c.Drift = "deleted"
		return
	case d.Ended != "":
		c.Drift = "ended"
		if c.Action == ActionNoOp {
			c.Reason, c.Calls = endedReason(n, d.Ended), Calls{}
		}
		return
	}
	if _, ok := updatable[n.Kind]; !ok || n.Render == nil || d.live == nil {
		return
	}
	if c.Action != ActionNoOp && c.Action != ActionUpdate {
		return
	}
	body, _, err := n.Render(lookup)
	if err != nil {
		return
	}
	fields := driftFields(n, body, d.live)
	if len(fields) == 0 {
		return
	}
	c.Drift = "changed"
	top := slices.Clone(c.Fields)
	for _, f := range fields {
		if t, _, _ := strings.Cut(f, "."); !slices.Contains(top, t) {
			top = append(top, t)
		}
	}
	slices.Sort(top)
	reason := "changed outside brokerctl: " + strings.Join(fields, ", ")
	if c.Reason != "" {
		reason = c.Reason + "; " + reason
	}
	c.Action, c.Fields, c.Reason, c.Calls = ActionUpdate, top, reason, Calls{Updates: 1}
}

// recordRefresh writes the live statuses a refresh read into state (and
// into the objects outputs are rendered from). Gone objects keep their
// record: apply creates them again.
func (e *Engine) recordRefresh(ctx context.Context, r *Refresh) error {
	for _, addr := range sortedKeys(r.Drift) {
		d := r.Drift[addr]
		rec, ok := e.record(addr)
		if !ok || d.Gone || d.Status == "" {
			continue
		}
		// The live object, not just its status: filled_qty, settle_date...
		obj, changed := liveObject(rec.Object, d.live)
		if d.Status == rec.Status && !changed {
			continue
		}
		rec.Status = d.Status
		obj["status"] = d.Status
		rec.Object = obj
		e.setObject(addr, rec.Object)
		if err := e.put(ctx, rec); err != nil {
			return err
		}
	}
	return nil
}

func endedVerb(kind string) string {
	if kind == "accounts" {
		return "closed"
	}
	return "canceled"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// endedReason is the plan's reason for n, ended outside brokerctl.
func endedReason(n *Node, status string) string {
	r := fmt.Sprintf("%s outside brokerctl (status %s); apply cannot undo that and leaves it", endedVerb(n.Kind), status)
	if n.Kind != "accounts" {
		r += "; --replace " + n.Addr + " creates a new one"
	}
	return r
}

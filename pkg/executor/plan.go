package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/brokerctl/brokerctl/pkg/dag"
	"github.com/brokerctl/brokerctl/pkg/redact"
)

// Change is the plan for one resource.
type Change struct {
	Address  string `json:"address"`
	Kind     string `json:"kind"`
	Action   Action `json:"action"`
	Reason   string `json:"reason,omitempty"`
	RemoteID string `json:"id,omitempty"`
	// Fields are the top-level fields an update or replace changes.
	Fields []string `json:"fields,omitempty"`
	Calls  Calls    `json:"calls"`
	// Drift says what a refresh found changed outside brokerctl:
	// "deleted", "changed" or "ended" (empty without --refresh, except
	// "ended" for a status recorded by an earlier refresh).
	Drift string `json:"drift,omitempty"`
	// Blocked says why apply will fail on this resource as things stand
	// (its recorded status is a failure of its wait, or a dependency's is)
	// and how to get out; Action is what apply tries all the same.
	Blocked string `json:"blocked,omitempty"`
	// scope keys the account quota its account-scoped requests use.
	scope string
}

// Calls counts the HTTP requests an action is expected to make when
// nothing goes wrong. Waits fed by event streams cost nothing; polling
// costs at least one request per wait.
type Calls struct {
	Creates    int `json:"creates,omitempty"`
	Updates    int `json:"updates,omitempty"`
	Reconciles int `json:"reconciles,omitempty"`
	Reads      int `json:"reads,omitempty"`
	Deletes    int `json:"deletes,omitempty"`
	// Waits is the number of status waits; each is ~0 requests with event
	// streams and ≥1 request when polling.
	Waits int `json:"waits,omitempty"`
}

// Total is the number of requests, counting one poll per wait when polling.
func (c Calls) Total(polling bool) int {
	n := c.Creates + c.Updates + c.Reconciles + c.Reads + c.Deletes
	if polling {
		n += c.Waits
	}
	return n
}

func (c *Calls) add(o Calls) {
	c.Creates += o.Creates
	c.Updates += o.Updates
	c.Reconciles += o.Reconciles
	c.Reads += o.Reads
	c.Deletes += o.Deletes
	c.Waits += o.Waits
}

// Plan is what apply would do.
type Plan struct {
	Changes []Change `json:"changes"`
	// Orphans are in state but no longer declared: apply leaves them
	// (ActionOrphan) unless --prune, which removes them (ActionDelete).
	Orphans []Change      `json:"orphans,omitempty"`
	Calls   Calls         `json:"calls"`
	Summary ChangeSummary `json:"summary"`
	// Refresh is what --refresh read (nil: state was trusted as is).
	Refresh *Refresh `json:"refresh,omitempty"`
	// RefreshEstimate is about how many requests a refresh would cost.
	RefreshEstimate int `json:"refresh_estimate"`
	// LowerBound is the least time the requests take at the rate limit
	// (streams assumed for waits): the shared quota's requests or the
	// busiest account's, ÷ the limit (see rateLowerBound).
	LowerBound time.Duration `json:"-"`
	// LowerBoundPolling is LowerBound with one request per status wait.
	LowerBoundPolling time.Duration `json:"-"`
	// RequestsPerMinute is the rate limit per quota the bounds assume.
	RequestsPerMinute int `json:"-"`
	// Graph orders the declared nodes (dependents need dependencies).
	Graph *dag.Graph `json:"-"`

	byAddr map[string]*Change
}

// Change returns the planned change of addr.
func (p *Plan) Change(addr string) (*Change, bool) {
	c, ok := p.byAddr[addr]
	return c, ok
}

// HasChanges reports whether apply would send any write.
func (p *Plan) HasChanges() bool {
	for _, c := range p.Changes {
		if c.Blocked != "" {
			return true // apply fails on it: not "no changes"
		}
		if c.Action != ActionNoOp && c.Action != ActionRead {
			return true
		}
	}
	for _, c := range p.Orphans {
		if c.Action == ActionDelete {
			return true
		}
	}
	return false
}

// OrphanHint is the plan's reason for an orphan apply leaves alone.
const OrphanHint = "in state but not in the manifest: `brokerctl apply --prune` removes it (`brokerctl state forget` stops managing it, leaving it in place)"

// prunePlan turns the orphans into deletions, as apply --prune does them.
func (p *Plan) prunePlan() {
	for i := range p.Orphans {
		c := &p.Orphans[i]
		c.Action, c.Reason = ActionDelete, "not in the manifest: --prune removes it"
		c.Calls = Calls{}
		if c.RemoteID != "" {
			// end reads the object, then cancels, deletes or closes it.
			c.Calls = Calls{Reads: 1, Deletes: 1}
		}
	}
}

// updatable lists the account fields PATCH accepts.
var updatable = map[string][]string{
	"accounts": {"contact", "identity", "disclosures", "trusted_contact", "enabled_assets", "agreements", "beneficiaries", "allow_instant_ach", "cash_interest", "fpsl", "documents"},
}

// BuildGraph orders nodes by their dependencies and needs.
func BuildGraph(nodes []*Node) *dag.Graph {
	g := dag.New()
	known := map[string]bool{}
	for _, n := range nodes {
		g.AddVertex(n.Addr)
		known[n.Addr] = true
	}
	for _, n := range nodes {
		for _, d := range n.Deps {
			if known[d] {
				g.Connect(n.Addr, d)
			}
		}
		for _, nd := range n.Needs {
			if known[nd.Addr] {
				g.Connect(n.Addr, nd.Addr)
			}
		}
	}
	return g
}

// MakePlan compares the declared nodes with state. rpm is the rate limit
// used for the lower bound (0: 1,000/min).
func MakePlan(ctx context.Context, nodes []*Node, st Store, rpm int) (*Plan, error) {
	records, err := st.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	return makePlan(records, nodes, st.Salt(), rpm, nil)
}

// makePlan compares nodes with records and, when a refresh ran, with what
// it found (drift by address).
func makePlan(records []Record, nodes []*Node, salt []byte, rpm int, refresh *Refresh) (*Plan, error) {
	byAddr := map[string]Record{}
	for _, r := range records {
		byAddr[r.Address] = r
	}
	g := BuildGraph(nodes)
	order, err := g.TopoSort()
	if err != nil {
		return nil, err
	}
	nodeBy := map[string]*Node{}
	for _, n := range nodes {
		nodeBy[n.Addr] = n
	}
	lookup := func(addr string) (Object, bool) {
		r, ok := byAddr[addr]
		if !ok || r.Phase != PhaseCreated {
			return nil, false
		}
		return r.Object, true
	}
	p := &Plan{Graph: g, byAddr: map[string]*Change{}}
	closed := map[string]string{} // address -> the account closed outside brokerctl it is under
	for _, addr := range order {
		n := nodeBy[addr]
		rec, has := byAddr[addr]
		c := planNode(n, rec, has, salt, lookup)
		// Nothing can be created in an account closed outside brokerctl
		// (its relationships, say): see below.
		c.scope = rateScope(n, nodeBy)
		if refresh != nil && has && rec.Phase == PhaseCreated {
			applyDrift(&c, n, refresh.Drift[addr], lookup)
			if c.Drift == "ended" {
				c.Blocked = ""
			}
		}
		if c.Drift == "ended" && n.Kind == "accounts" {
			closed[addr] = addr
		}
		for _, d := range g.Dependencies(addr) {
			acct, ok := closed[d]
			if !ok {
				continue
			}
			switch {
			case c.Drift == "deleted":
				c.Action, c.Calls, c.Drift = ActionNoOp, Calls{}, "ended"
				c.Reason = "deleted outside brokerctl; not created again because " + acct + " was closed outside brokerctl"
				closed[addr] = acct
			case c.Action == ActionCreate || c.Action == ActionReplace || c.Action == ActionResume:
				c.Action, c.Calls, c.Drift = ActionNoOp, Calls{}, "ended"
				c.Reason = "not created: " + acct + " was closed outside brokerctl"
				closed[addr] = acct
			}
			break
		}
		if c.Drift != "ended" {
			for _, d := range g.Dependencies(addr) {
				if dc := p.byAddr[d]; dc != nil && dc.Blocked != "" {
					c.Blocked = "blocked: " + d + " is blocked, apply skips it"
					break
				}
			}
		}
		// A resource whose dependency gets a new remote object must follow:
		// immutable kinds are replaced, accounts re-rendered.
		if c.Action == ActionNoOp && !n.Data {
			for _, d := range g.Dependencies(addr) {
				// (Not for one recreated because it was deleted outside
				// brokerctl: its dependents were made and stay valid.)
				// Only a resource whose body references d follows it: a
				// depends_on edge orders creation, it does not replace.
				if dc := p.byAddr[d]; dc != nil && (dc.Action == ActionReplace || dc.Action == ActionCreate) && !nodeBy[d].Data && dc.Drift == "" && references(n, d, lookup) {
					c.Action, c.Reason = ActionReplace, "dependency "+d+" gets a new remote object"
					c.Calls = Calls{Deletes: 1, Creates: 1, Waits: c.Calls.Waits}
					if n.Kind == "accounts" {
						c.Action, c.Reason, c.Calls = ActionNoOp, "", Calls{}
					}
					break
				}
			}
		}
		if c.Action != ActionNoOp && c.Action != ActionRead && len(n.WaitFor) > 0 {
			c.Calls.Waits = 1
		}
		p.Changes = append(p.Changes, c)
		p.byAddr[addr] = &p.Changes[len(p.Changes)-1]
	}
	for i := range p.Changes {
		p.byAddr[p.Changes[i].Address] = &p.Changes[i]
	}
	for _, r := range records {
		if _, declared := nodeBy[r.Address]; declared || r.Phase == PhaseDeleted {
			continue
		}
		p.Orphans = append(p.Orphans, Change{Address: r.Address, Kind: r.Kind, Action: ActionOrphan, RemoteID: r.RemoteID, Reason: OrphanHint, scope: orphanScope(r)})
	}
	sort.Slice(p.Orphans, func(i, j int) bool { return p.Orphans[i].Address < p.Orphans[j].Address })
	p.Refresh = refresh
	p.RefreshEstimate = RefreshEstimate(declaredRecords(records, nodeBy))
	p.summarise(rpm)
	return p, nil
}

func planNode(n *Node, rec Record, has bool, salt []byte, lookup LookupFunc) Change {
	c := Change{Address: n.Addr, Kind: n.Kind}
	switch {
	case n.Data:
		c.Action, c.Calls = ActionRead, Calls{Reads: 1}
		return c
	case !has || rec.Phase == PhaseDeleted:
		if n.ImportID != "" {
			c.Action, c.RemoteID, c.Calls = ActionImport, n.ImportID, Calls{Reads: 1}
			c.Reason = "adopt existing " + n.ImportID
			return c
		}
		c.Action, c.Calls = ActionCreate, Calls{Creates: 1}
		if has {
			c.Reason = "destroyed earlier"
		}
		return c
	case rec.Phase == PhaseIntent:
		c.Action, c.Calls = ActionResume, Calls{Reconciles: 1, Creates: 1}
		c.Reason = fmt.Sprintf("a create was sent at %s and its outcome is unknown: reconcile first", rec.IntentAt.UTC().Format(time.RFC3339))
		if keyed(n.Kind) {
			c.Calls = Calls{Creates: 1}
			c.Reason = "a create was sent and its outcome is unknown: replay its idempotency key"
		}
		return c
	case rec.Phase == PhaseFailed:
		c.Action, c.Calls, c.Reason = ActionCreate, Calls{Creates: 1}, "previous create failed: "+firstLine(rec.Error)
		return c
	case rec.Phase == PhaseDeleting:
		c.Action, c.Calls, c.Reason = ActionCreate, Calls{Deletes: 1, Creates: 1}, "a destroy was interrupted"
		return c
	}
	c.RemoteID = rec.RemoteID
	if rec.SpecHash == n.Hash {
		c.Action = ActionNoOp
		lc := LifecycleOf(n.Kind)
		if len(n.WaitFor) > 0 && lc != nil && lc.Check(rec.Status, n.WaitFor) != Met {
			c.Calls.Waits = 1
		}
		switch {
		case (len(n.WaitFor) > 0 || n.Kind == "accounts") && containsFold(endedOutside[n.Kind], rec.Status):
			// Recorded by an earlier refresh: apply leaves it.
			c.Drift, c.Calls = "ended", Calls{}
			c.Reason = endedReason(n, rec.Status)
		case len(n.WaitFor) > 0 && lc != nil && lc.Check(rec.Status, n.WaitFor) == Failed:
			c.Blocked = blockedHint(n, rec.Status)
		}
		return c
	}
	fields := changedFields(n, rec, salt, lookup)
	if fields != nil && len(fields) == 0 {
		c.Action, c.Reason = ActionNoOp, "only ignored fields changed"
		return c
	}
	c.Fields = fields
	if _, ok := updatable[n.Kind]; ok {
		c.Action, c.Calls = ActionUpdate, Calls{Updates: 1}
		return c
	}
	c.Action, c.Calls = ActionReplace, Calls{Deletes: 1, Creates: 1}
	c.Reason = n.Kind + " cannot be changed in place"
	return c
}

// changedFields lists the top-level fields that differ between the rendered
// body and the recorded request, minus ignore_changes. It returns nil when
// the body cannot be rendered yet (a reference is unknown until apply).
func changedFields(n *Node, rec Record, salt []byte, lookup LookupFunc) []string {
	if n.Render == nil || rec.Request["body"] == nil {
		return nil
	}
	body, _, err := n.Render(lookup)
	if err != nil {
		return nil
	}
	now := hashedRequest(salt, body)
	was, _ := roundTrip(rec.Request["body"]).(map[string]any)
	for _, path := range n.IgnoreChanges {
		parts := strings.Split(path, ".")
		dropPath(now, parts)
		dropPath(was, parts)
	}
	fields := []string{}
	seen := map[string]bool{}
	for k := range now {
		seen[k] = true
	}
	for k := range was {
		seen[k] = true
	}
	for k := range seen {
		a, _ := json.Marshal(now[k])
		b, _ := json.Marshal(was[k])
		if string(a) != string(b) {
			fields = append(fields, k)
		}
	}
	slices.Sort(fields)
	return fields
}

// dropPath deletes the value at a dotted path (lifecycle.ignore_changes)
// from m, in place; m holds decoded JSON owned by the caller.
func dropPath(m map[string]any, path []string) {
	if m == nil || len(path) == 0 {
		return
	}
	if len(path) == 1 {
		delete(m, path[0])
		return
	}
	if sub, ok := m[path[0]].(map[string]any); ok {
		dropPath(sub, path[1:])
	}
}

// hashedRequest returns body with sensitive values replaced by salted
// hashes, as stored in state.
func hashedRequest(salt []byte, body Object) Object {
	out, _ := redact.HashValues(salt, roundTrip(body)).(map[string]any)
	return out
}

// roundTrip normalises a value through JSON so stored and fresh values compare.
func roundTrip(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return v
	}
	return out
}

func (p *Plan) summarise(rpm int) {
	if rpm <= 0 {
		rpm = 1000
	}
	s := ChangeSummary{Operation: "plan"}
	for _, c := range p.Changes {
		p.Calls.add(c.Calls)
		if c.Blocked != "" {
			s.Blocked++
			if c.Action != ActionNoOp {
				continue
			}
		}
		switch c.Action {
		case ActionCreate, ActionResume:
			s.Add++
		case ActionUpdate:
			s.Change++
		case ActionReplace:
			s.Replace++
		case ActionNoOp:
			if c.Blocked == "" {
				s.NoOp++
			}
		case ActionRead:
			s.Read++
		case ActionImport:
			s.Import++
		}
	}
	for _, c := range p.Orphans {
		if c.Blocked != "" {
			s.Blocked++
		}
		if c.Action == ActionDelete {
			p.Calls.add(c.Calls)
			s.Remove++
		} else {
			s.Orphaned++
		}
	}
	s.Requests = p.Calls.Total(false)
	p.Summary = s
	p.RequestsPerMinute = rpm
	p.LowerBound, p.LowerBoundPolling = p.rateLowerBound(rpm, false), p.rateLowerBound(rpm, true)
}

// keyed reports whether creates of kind carry an Idempotency-Key, making a
// replay of the same request the reconciliation.
func keyed(kind string) bool { return kind == "journals" || kind == "batch_journals" }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// blockedHint says why apply fails on n, recorded at status (a failure of
// its wait), and the ways out.
func blockedHint(n *Node, status string) string {
	out := "--replace " + n.Addr + " creates a new one"
	if n.Kind == "accounts" {
		out = "fix the manifest (apply PATCHes and resubmits it), or --replace " + n.Addr + " with a new email, or `brokerctl state forget " + n.Addr + "`"
	}
	return fmt.Sprintf("blocked: recorded status %s, so its wait for %s fails (apply reads it once more first); %s",
		status, strings.Join(n.WaitFor, "|"), out)
}

// references reports whether n's body (or account) refers to addr: it
// renders n against state and notes which addresses it looks up. When the
// render stops before it could tell, it assumes so.
func references(n *Node, addr string, lookup LookupFunc) bool {
	if n.Render == nil {
		return true
	}
	asked := map[string]bool{}
	_, _, err := n.Render(func(a string) (Object, bool) {
		asked[a] = true
		return lookup(a)
	})
	return asked[addr] || err != nil
}

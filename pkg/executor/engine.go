package executor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brokerctl/brokerctl/pkg/dag"
	"github.com/brokerctl/brokerctl/pkg/redact"
)

// DefaultParallelism caps the resources sending requests at once. Waiting
// for a status does not hold a slot, and the client's rate limiter, not
// this number, paces the requests.
const DefaultParallelism = 32

// Options configure an Engine.
type Options struct {
	Workspace   string
	Parallelism int
	FailFast    bool
	// Replace forces these addresses to be replaced, and allows replacing
	// changed immutable resources (apply refuses otherwise).
	Replace []string
	// Prune makes apply also destroy the orphans: resources in state that
	// the manifest no longer declares (after the declared ones, dependents
	// first, with destroy's protect and retain_on_destroy rules).
	Prune bool
	// Refresh makes plan and apply read the live object of every resource
	// in state first (a few list requests), so objects deleted or changed
	// outside brokerctl are planned for instead of trusted.
	Refresh  bool
	Reporter Reporter
	Clock    Clock
	Wait     WaitOptions
	// RequestsPerMinute is the client's rate limit, for plan figures and ETA.
	RequestsPerMinute int
	// ClockSkew widens the created_at window of transfer reconciliation.
	ClockSkew time.Duration
	// MaxAttempts bounds sends of one ambiguous create (default 6).
	MaxAttempts int
	// RetryDelay is the first pause between ambiguous attempts (default 500ms).
	RetryDelay time.Duration
	// Hooks let tests stop a run at each step of the create protocol.
	Hooks Hooks
}

// Hooks run at the step boundaries of the create protocol. A hook that
// returns an error stops that resource there, as if the process died.
type Hooks struct {
	AfterIntent func(addr string) error // intent durable, create not sent
	AfterSend   func(addr string) error // create answered, result not recorded
	AfterRecord func(addr string) error // created recorded, wait not started
	// AfterDeleting runs when a destroy has recorded "deleting" and has not
	// sent the cancel, delete or close yet.
	AfterDeleting func(addr string) error
}

func (o Options) withDefaults() Options {
	if o.Parallelism <= 0 {
		o.Parallelism = DefaultParallelism
	}
	if o.Reporter == nil {
		o.Reporter = Discard
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.ClockSkew <= 0 {
		o.ClockSkew = 2 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 500 * time.Millisecond
	}
	if o.Workspace == "" {
		o.Workspace = "default"
	}
	return o
}

// Engine applies or destroys one manifest against one state workspace. An
// Engine is single-use: make a new one per run.
type Engine struct {
	remote  Remote
	store   Store
	nodes   map[string]*Node
	outputs []OutputSpec
	opts    Options
	watcher *Watcher
	fullState
	// interrupted is set when the run's context ended mid-resource.
	interrupted atomic.Bool
	plan        *Plan
	// refreshed is the run's refresh, once done.
	refreshed *Refresh

	mu      sync.Mutex
	records map[string]Record
	objects map[string]Object
	claimed map[string]string // remote id -> address
	stale   map[string]bool   // addresses whose object comes from state
	rows    map[string]ResultRow
	tally   *tally
	creates int
	// slots bounds resources sending requests at once (waits hold none).
	slots    chan struct{}
	stopping atomic.Bool
}

// ResultRow is one line of the final summary table.
type ResultRow struct {
	Address string `json:"address"`
	Result  string `json:"result"`
	Status  string `json:"status,omitempty"`
	ID      string `json:"id,omitempty"`
}

// Result is the outcome of an apply or destroy.
type Result struct {
	Plan     *Plan
	Summary  ChangeSummary
	Rows     []ResultRow
	Walk     *dag.WalkResult
	Outputs  map[string]OutputValue
	Requests int64
	// Creates is the number of create requests sent (replays included).
	Creates int
	Elapsed time.Duration
}

// Err is nil when every resource succeeded.
func (r *Result) Err() error {
	if r.Walk == nil {
		return nil
	}
	return r.Walk.Err()
}

// Table renders the summary table.
func (r *Result) Table() string {
	rows := make([][4]string, 0, len(r.Rows))
	// A run of thousands: only the rows that need attention, then counts.
	long := len(r.Rows) > LongTable
	okCounts := map[string]int{}
	for _, x := range r.Rows {
		if long && okResults[x.Result] && !strings.HasPrefix(x.Status, "!") {
			okCounts[x.Result]++
			continue
		}
		st := x.Status
		if len(st) > 60 {
			st = st[:57] + "..."
		}
		rows = append(rows, [4]string{x.Address, x.Result, st, x.ID})
	}
	out := formatSummaryTable(rows)
	if long {
		var parts []string
		for _, k := range sortedKeys(okCounts) {
			parts = append(parts, fmt.Sprintf("%d %s", okCounts[k], k))
		}
		if len(parts) > 0 {
			out += fmt.Sprintf("(%d rows; %d not listed: %s)\n", len(r.Rows), len(r.Rows)-len(rows), strings.Join(parts, ", "))
		}
	}
	return out
}

// LongTable is the number of rows above which Table lists only the rows
// that are not plainly done (failed, skipped, interrupted, not started, !).
const LongTable = 50

// okResults are results Table leaves out of a long run's table.
var okResults = map[string]bool{"created": true, "resumed": true, "updated": true, "replaced": true, "no-op": true,
	"read": true, "imported": true, "destroyed": true, "forgotten": true}

// plural is "1 request" or "n requests".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// New returns an engine for one run.
func New(remote Remote, store Store, nodes []*Node, outputs []OutputSpec, opts Options) *Engine {
	opts = opts.withDefaults()
	e := &Engine{
		remote:  remote,
		store:   store,
		nodes:   map[string]*Node{},
		outputs: outputs,
		opts:    opts,
		watcher: NewWatcher(remote, opts.Wait),
		records: map[string]Record{},
		objects: map[string]Object{},
		claimed: map[string]string{},
		stale:   map[string]bool{},
		rows:    map[string]ResultRow{},
		slots:   make(chan struct{}, opts.Parallelism),
	}
	for _, n := range nodes {
		e.nodes[n.Addr] = n
	}
	return e
}

func (e *Engine) nodeList() []*Node {
	out := make([]*Node, 0, len(e.nodes))
	for _, n := range e.nodes {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b *Node) int { return strings.Compare(a.Addr, b.Addr) })
	return out
}

// Plan compares the manifest with state; it sends no request.
func (e *Engine) Plan(ctx context.Context) (*Plan, error) {
	records, err := e.store.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	refresh := e.refreshed
	if e.opts.Refresh && refresh == nil {
		if e.remote == nil {
			return nil, fmt.Errorf("refresh needs a connection to the API")
		}
		if refresh, err = e.refresh(ctx, declaredRecords(records, e.nodes)); err != nil {
			return nil, err
		}
		e.refreshed = refresh // one refresh per run, however often it plans
	}
	p, err := makePlan(records, e.nodeList(), e.store.Salt(), e.opts.RequestsPerMinute, refresh)
	if err != nil {
		return nil, err
	}
	for _, addr := range e.opts.Replace {
		matched := false
		for i := range p.Changes {
			c := &p.Changes[i]
			if !replaceMatches(addr, c.Address) {
				continue
			}
			matched = true
			if c.Action == ActionNoOp || c.Action == ActionUpdate {
				c.Action, c.Reason, c.Calls = ActionReplace, "requested with --replace", Calls{Deletes: 1, Creates: 1, Waits: c.Calls.Waits}
			}
		}
		if !matched {
			return nil, fmt.Errorf("--replace %s: no such resource in the manifest", addr)
		}
	}
	if e.opts.Prune {
		p.prunePlan()
		// As apply --prune will: a protected orphan refuses the whole run.
		byAddr := map[string]Record{}
		for _, r := range records {
			byAddr[r.Address] = r
		}
		for i := range p.Orphans {
			c := &p.Orphans[i]
			if prot, _ := storedLifecycle(byAddr[c.Address]); prot {
				c.Reason = "protected when last applied (lifecycle.protect): apply --prune refuses the whole run"
				c.Blocked = "blocked: `brokerctl state forget " + c.Address + "` stops managing it (leaving it in place), or declare it again"
			}
		}
	}
	// A waited-for object whose fields are referenced is read once after
	// its wait (liveobj.go); orders come whole with their trade updates.
	full := e.fullReads()
	for i := range p.Changes {
		if c := &p.Changes[i]; c.Calls.Waits > 0 && c.Kind != "orders" && full[c.Address] {
			c.Calls.Reads++
		}
	}
	p.Calls = Calls{}
	p.summarise(e.opts.RequestsPerMinute)
	return p, nil
}

// replaceMatches reports whether a --replace argument names addr: the
// address itself, or a block address (transfers.deposit, or
// transfers.deposit[*]) naming all its instances.
func replaceMatches(arg, addr string) bool {
	if arg == addr {
		return true
	}
	block := strings.TrimSuffix(arg, "[*]")
	return !strings.Contains(block, "[") && strings.HasPrefix(addr, block+"[")
}

// replaceRequested reports whether --replace names addr.
func (e *Engine) replaceRequested(addr string) bool {
	return slices.ContainsFunc(e.opts.Replace, func(a string) bool { return replaceMatches(a, addr) })
}

// RefusedError lists changes apply will not make without --replace.
type RefusedError struct {
	Addresses []string
	// Reasons are the plan's reasons by address (why each is replaced).
	Reasons map[string]string
}

func (e *RefusedError) Error() string {
	var spec, follow []string
	for _, a := range e.Addresses {
		if r := e.Reasons[a]; strings.HasPrefix(r, "dependency ") {
			follow = append(follow, a+" ("+r+")")
		} else {
			spec = append(spec, a)
		}
	}
	var parts []string
	if len(spec) > 0 {
		parts = append(parts, fmt.Sprintf("%s: the spec changed but these resources cannot be changed in place", strings.Join(spec, ", ")))
	}
	if len(follow) > 0 {
		parts = append(parts, fmt.Sprintf("%s: referenced a resource that gets a new remote object", strings.Join(follow, ", ")))
	}
	return fmt.Sprintf("refusing to replace %s; re-run with --replace %s for each one you mean to replace (a block address such as --replace %s names all its instances)",
		strings.Join(parts, "; "), e.Addresses[0], blockOf(e.Addresses[0]))
}

// blockOf is addr without its instance key.
func blockOf(addr string) string {
	if i := strings.IndexByte(addr, '['); i >= 0 {
		return addr[:i]
	}
	return addr
}

func (e *Engine) loadState(ctx context.Context) error {
	recs, err := e.store.List(ctx)
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	for _, r := range recs {
		e.records[r.Address] = r
		if r.RemoteID != "" && r.Phase != PhaseDeleted {
			e.claimed[r.RemoteID] = r.Address
		}
		if r.Phase == PhaseCreated {
			e.objects[r.Address] = r.Object
		}
	}
	return nil
}

func (e *Engine) lookup(addr string) (Object, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o, ok := e.objects[addr]
	return o, ok
}

func (e *Engine) record(addr string) (Record, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.records[addr]
	return r, ok
}

// put writes a record durably and keeps the in-memory copy.
func (e *Engine) put(ctx context.Context, r Record) error {
	if err := e.store.Put(context.WithoutCancel(ctx), r); err != nil {
		return fmt.Errorf("record %s in state: %w", r.Address, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.records[r.Address] = r
	if r.Phase == PhaseCreated && r.Object != nil {
		if _, ok := e.objects[r.Address]; !ok {
			e.objects[r.Address] = r.Object
		}
	}
	return nil
}

func (e *Engine) setObject(addr string, obj Object) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.objects[addr] = obj
}

// claim marks id as addr's remote object; false if another address owns it.
func (e *Engine) claim(id, addr string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if owner, ok := e.claimed[id]; ok && owner != addr {
		return false
	}
	e.claimed[id] = addr
	return true
}

func (e *Engine) claimedBy(addr string) func(string) bool {
	return func(id string) bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		owner, ok := e.claimed[id]
		return ok && owner != addr
	}
}

func (e *Engine) report(t EventType, h Hook, msg string) {
	lvl := "info"
	if t == EventApplyErrored {
		lvl = "error"
	}
	ev := Event{Level: lvl, Message: msg, Time: time.Now().UTC(), Type: t, Hook: &h}
	if e.tally != nil {
		e.tally.observe(ev)
	}
	e.opts.Reporter.Report(ev)
}

func (e *Engine) setRow(row ResultRow) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rows[row.Address] = row
}

// acquire takes a request slot; release gives it back. After a failure
// under FailFast, resources that have not sent anything yet do not start.
func (e *Engine) acquire(ctx context.Context) error {
	if e.stopping.Load() || e.credentialsRejected() {
		return errNotStarted
	}
	select {
	case e.slots <- struct{}{}:
		if e.stopping.Load() || e.credentialsRejected() {
			<-e.slots
			return errNotStarted
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// credentialsRejected reports whether the remote has seen its key pair
// rejected: then nothing new starts, whatever --fail-fast says, since every
// request would be refused the same way.
func (e *Engine) credentialsRejected() bool {
	r, ok := e.remote.(interface{ Rejected() error })
	return ok && r.Rejected() != nil
}

// errNotStarted marks a resource FailFast (or an interrupt) kept from
// starting.
var errNotStarted = errors.New("not started: an earlier resource failed and --fail-fast is set")

// errInterrupted marks a resource the run's interrupt stopped midway.
var errInterrupted = errors.New("interrupted")

// failed records a resource failure; under FailFast nothing new starts.
func (e *Engine) failed() {
	if e.opts.FailFast {
		e.stopping.Store(true)
	}
}

// notStarted moves resources FailFast kept from starting out of the walk's
// errors into NotRun, so only root causes are reported as failures.
func notStarted(w *dag.WalkResult) {
	for v, err := range w.Errors {
		// A bare context error comes from the walk itself: the interrupt
		// arrived between a resource becoming ready and its start.
		if errors.Is(err, errNotStarted) || errors.Is(err, errInterrupted) ||
			errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			delete(w.Errors, v)
			w.NotRun = append(w.NotRun, v)
			for d, root := range w.Skipped {
				if root == v {
					delete(w.Skipped, d)
					w.NotRun = append(w.NotRun, d)
				}
			}
		}
	}
	slices.Sort(w.NotRun)
}

func (e *Engine) release() { <-e.slots }

// walkParallelism lets every ready resource run: slots, not the walk,
// bound the requests, so resources waiting for a status do not stop others.
func walkParallelism(g *dag.Graph) int { return g.Len() + 1 }

func (e *Engine) countCreate() {
	e.mu.Lock()
	e.creates++
	e.mu.Unlock()
}

// storedObject redacts obj for state and events.
func storedObject(obj Object) Object {
	out, _ := redact.Value(roundTrip(obj)).(map[string]any)
	return out
}

func idOf(obj Object) string {
	s, _ := obj["id"].(string)
	return s
}

func errText(err error) string {
	return redact.Scrub(err.Error())
}

// sensitiveValues collects the personal data in a request body (tax ids,
// dates of birth, bank numbers...), so that an API error echoing one of
// them can be scrubbed before it reaches a terminal, an event or state.
func sensitiveValues(v any) []string {
	var out []string
	var walk func(v any, bank bool)
	walk = func(v any, bank bool) {
		switch x := v.(type) {
		case map[string]any:
			_, code := x["bank_code"]
			_, typ := x["bank_code_type"]
			isBank := code || typ
			for k, val := range x {
				if s, ok := val.(string); ok && (redact.IsSensitiveKey(k) || isBank && k == "account_number") {
					out = append(out, s)
					continue
				}
				walk(val, isBank)
			}
		case []any:
			for _, e := range x {
				walk(e, bank)
			}
		}
	}
	walk(v, false)
	return out
}

// scrubbed returns err's text with the body's personal data removed.
func scrubbed(err error, body Object) string {
	return redact.Scrub(err.Error(), sensitiveValues(body)...)
}

var errStopped = errors.New("stopped by hook")

package executor

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/brokerctl/brokerctl/pkg/dag"
)

// Apply makes remote objects match the manifest: it creates what is
// missing, resumes interrupted creates, updates changed accounts, replaces
// what --replace names, reads data sources, waits for statuses and records
// everything in state, then renders and saves the outputs. Changed
// immutable resources are refused unless named in Options.Replace.
func (e *Engine) Apply(ctx context.Context) (*Result, error) {
	start := time.Now()
	plan, err := e.Plan(ctx)
	if err != nil {
		return nil, err
	}
	var refused []string
	reasons := map[string]string{}
	for _, c := range plan.Changes {
		if c.Action == ActionReplace && !e.replaceRequested(c.Address) {
			refused = append(refused, c.Address)
			reasons[c.Address] = c.Reason
		}
	}
	if len(refused) > 0 {
		return &Result{Plan: plan}, &RefusedError{Addresses: refused, Reasons: reasons}
	}
	if err := e.loadState(ctx); err != nil {
		return nil, err
	}
	var prune []string
	if e.opts.Prune {
		if err := e.checkPrunable(); err != nil {
			return &Result{Plan: plan}, err
		}
		prune = e.pruneSet()
	}
	if plan.Refresh != nil {
		e.opts.Reporter.Report(Event{Level: "info", Type: EventApplyProgress, Time: time.Now().UTC(),
			Message: fmt.Sprintf("Refreshed %d resources from the API with %d requests", plan.Refresh.Resources, plan.Refresh.Requests)})
		if err := e.recordRefresh(ctx, plan.Refresh); err != nil {
			return nil, err
		}
	}
	e.plan = plan
	e.tally = newTally(len(plan.Changes) + len(prune))
	before := e.remote.Requests()

	wctx, cancel := context.WithCancel(ctx)
	defer func() { cancel(); e.watcher.Drain() }()
	e.watcher.Start(wctx, e.opts.Clock.Now().Add(-5*time.Minute))

	cp := plan.Graph.CriticalPath()
	walk := plan.Graph.Walk(ctx, dag.WalkOptions{
		Parallelism: walkParallelism(plan.Graph),
		FailFast:    e.opts.FailFast,
		Priority:    func(v string) int { return cp[v] },
	}, e.applyNode)
	notStarted(walk)
	e.reportSkips(walk)

	res := &Result{Plan: plan, Walk: walk}
	applied := walk.OK()
	if len(prune) > 0 {
		// Orphans go after the declared resources, dependents first, with
		// destroy's safety (protected ones were refused above).
		pw, err := e.destroyWalk(ctx, prune)
		if err != nil {
			return res, err
		}
		mergeWalks(walk, pw)
	}
	if applied {
		outs, err := e.renderOutputs(ctx)
		if err != nil {
			return res, err
		}
		res.Outputs = outs
		if len(outs) > 0 {
			// Like Terraform's JSON UI, sensitive values stay out of events.
			shown := make(map[string]OutputValue, len(outs))
			for k, v := range outs {
				if v.Sensitive {
					v.Value = nil
				}
				shown[k] = v
			}
			e.opts.Reporter.Report(Event{Level: "info", Message: "Outputs: " + fmt.Sprint(len(outs)), Time: time.Now().UTC(), Type: EventOutputs, Outputs: shown})
		}
	}
	e.finish(res, "apply", start, before)
	return res, nil
}

func (e *Engine) finish(res *Result, op string, start time.Time, before int64) {
	res.Elapsed = time.Since(start)
	res.Requests = e.remote.Requests() - before
	e.mu.Lock()
	res.Creates = e.creates
	for _, r := range e.rows {
		res.Rows = append(res.Rows, r)
	}
	e.mu.Unlock()
	sort.Slice(res.Rows, func(i, j int) bool { return res.Rows[i].Address < res.Rows[j].Address })
	s := ChangeSummary{Operation: op, Requests: int(res.Requests), ElapsedSeconds: res.Elapsed.Seconds()}
	if res.Plan != nil && !e.opts.Prune {
		s.Orphaned = len(res.Plan.Orphans)
	}
	for _, r := range res.Rows {
		switch r.Result {
		case "created", "resumed":
			s.Add++
		case "updated":
			s.Change++
		case "replaced":
			s.Replace++
		case "destroyed":
			s.Remove++
		case "forgotten", "left as is":
			s.Forgotten++
		case "imported":
			s.Import++
		case "read":
			s.Read++
		case "no-op":
			s.NoOp++
		case "failed":
			s.Failed++
		case "skipped":
			s.Skipped++
		}
	}
	interrupted := 0
	for _, r := range res.Rows {
		if r.Result == "interrupted" {
			interrupted++
		}
	}
	if res.Walk != nil {
		s.NotRun = len(res.Walk.NotRun) - interrupted
	}
	s.Interrupted = interrupted
	res.Summary = s
	title := titleOp(op)
	if s.Failed > 0 || s.Skipped > 0 || s.NotRun > 0 {
		title = strings.ToUpper(op[:1]) + op[1:] + " finished with errors"
	}
	if e.interrupted.Load() {
		title = strings.ToUpper(op[:1]) + op[1:] + " interrupted"
	}
	msg := fmt.Sprintf("%s: %d added, %d changed, %d replaced, %d destroyed, %d unchanged", title, s.Add, s.Change, s.Replace, s.Remove, s.NoOp)
	if op == "destroy" {
		// Nothing is added or changed by a destroy.
		msg = fmt.Sprintf("%s: %d destroyed, %d forgotten or left as is", title, s.Remove, s.Forgotten)
	} else if s.Forgotten > 0 {
		msg += fmt.Sprintf(", %d forgotten or left as is", s.Forgotten)
	}
	if s.Import > 0 {
		msg += fmt.Sprintf(", %d imported", s.Import)
	}
	msg += fmt.Sprintf(", %d failed, %d skipped", s.Failed, s.Skipped)
	if s.Interrupted > 0 || e.interrupted.Load() {
		msg += fmt.Sprintf(", %d interrupted, %d not started", s.Interrupted, s.NotRun)
	}
	msg += fmt.Sprintf("; %s in %s", plural(s.Requests, "request"), res.Elapsed.Round(time.Millisecond))
	e.opts.Reporter.Report(Event{Level: "info", Message: msg, Time: time.Now().UTC(), Type: EventChangeSummary, Changes: &s})
}

func titleOp(op string) string {
	switch op {
	case "apply":
		return "Apply complete"
	case "destroy":
		return "Destroy complete"
	}
	return op
}

func (e *Engine) reportSkips(w *dag.WalkResult) {
	for addr, root := range w.Skipped {
		n := e.nodes[addr]
		kind := ""
		if n != nil {
			kind = n.Kind
		}
		e.setRow(ResultRow{Address: addr, Result: "skipped", Status: "upstream " + root + " failed"})
		e.report(EventApplySkipped, Hook{Address: addr, Kind: kind, Upstream: root}, fmt.Sprintf("%s: skipped, because %s failed", addr, root))
	}
	for _, addr := range w.NotRun {
		if r, ok := e.rows[addr]; ok && r.Result == "interrupted" {
			continue
		}
		e.setRow(ResultRow{Address: addr, Result: "not started"})
	}
}

// applyNode runs one resource through its planned action and its wait.
func (e *Engine) applyNode(ctx context.Context, addr string) error {
	n := e.nodes[addr]
	c := e.plan.byAddr[addr]
	start := time.Now()
	h := Hook{Address: addr, Kind: n.Kind, Action: c.Action}
	e.report(EventApplyStart, h, fmt.Sprintf("%s: %s...", addr, actionVerb(c.Action)))
	var obj Object
	var result string
	err := e.meetNeeds(ctx, n)
	if err == nil {
		if err = e.acquire(ctx); err == nil {
			obj, result, err = e.runAction(ctx, n, c)
			if err != nil {
				e.failed() // before the slot is free, so nothing slips in
			}
			e.release()
		}
	}
	// Ended outside brokerctl (a closed account): left as it is, not
	// waited for - the wait could only fail, on every run.
	if err == nil && len(n.WaitFor) > 0 && !n.Data && c.Drift != "ended" {
		obj, err = e.waitFor(ctx, n, obj, n.WaitFor, n.WaitTimeout)
		var we *WaitError
		if c.Blocked != "" && errors.As(err, &we) && we.Failed {
			err = fmt.Errorf("%w; %s", err, strings.TrimPrefix(c.Blocked, "blocked: "))
		}
	}
	h.Elapsed = time.Since(start).Seconds()
	if errors.Is(err, errNotStarted) {
		return err
	}
	if err != nil && ctx.Err() != nil {
		// Stopped by the interrupt, not failed: state records where it
		// stands and the next apply resumes it.
		e.interrupted.Store(true)
		if obj == nil && c.Action != ActionNoOp && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			if rec, ok := e.record(addr); !ok || rec.Phase != PhaseIntent {
				return fmt.Errorf("%w: %w", errNotStarted, err)
			}
		}
		e.setRow(ResultRow{Address: addr, Result: "interrupted", Status: StatusOf(obj), ID: idOf(obj)})
		return fmt.Errorf("%w: %w", errInterrupted, err)
	}
	if err != nil {
		e.failed()
		h.Error = errText(err)
		h.RemoteID = idOf(obj)
		h.Status = StatusOf(obj)
		e.setRow(ResultRow{Address: addr, Result: "failed", Status: firstLine(h.Error), ID: h.RemoteID})
		e.report(EventApplyErrored, h, fmt.Sprintf("%s: %s failed: %s", addr, actionVerb(c.Action), h.Error))
		return err
	}
	h.RemoteID, h.Status = idOf(obj), StatusOf(obj)
	if c.Drift == "ended" && c.Action == ActionNoOp {
		// Reported as plan shows it: "!" and why it is left.
		h.Drift, h.Reason = c.Drift, c.Reason
		st := h.Status
		if st == "" {
			st = "not created"
		}
		e.setRow(ResultRow{Address: addr, Result: result, Status: "! " + st, ID: h.RemoteID})
		e.report(EventApplyComplete, h, fmt.Sprintf("! %s: %s - %s", addr, result, c.Reason))
		return nil
	}
	e.setRow(ResultRow{Address: addr, Result: result, Status: h.Status, ID: h.RemoteID})
	e.report(EventApplyComplete, h, fmt.Sprintf("%s: %s [id=%s status=%s, %.1fs]", addr, result, h.RemoteID, h.Status, h.Elapsed))
	return nil
}

func (e *Engine) runAction(ctx context.Context, n *Node, c *Change) (Object, string, error) {
	switch c.Action {
	case ActionNoOp:
		obj, _ := e.lookup(n.Addr)
		e.mu.Lock()
		e.stale[n.Addr] = true
		e.mu.Unlock()
		return obj, "no-op", e.syncLifecycle(ctx, n)
	case ActionRead:
		obj, err := e.read(ctx, n)
		return obj, "read", err
	case ActionImport:
		obj, err := e.adopt(ctx, n)
		return obj, "imported", err
	case ActionUpdate:
		obj, err := e.update(ctx, n, c)
		return obj, "updated", err
	case ActionReplace:
		if err := e.removeForReplace(ctx, n); err != nil {
			return nil, "", err
		}
		obj, err := e.create(ctx, n)
		return obj, "replaced", err
	case ActionResume:
		obj, err := e.create(ctx, n)
		return obj, "resumed", err
	default:
		if rec, ok := e.record(n.Addr); ok && rec.Phase == PhaseDeleting {
			if err := e.removeForReplace(ctx, n); err != nil {
				return nil, "", err
			}
		}
		obj, err := e.create(ctx, n)
		return obj, "created", err
	}
}

func actionVerb(a Action) string {
	switch a {
	case ActionCreate:
		return "Creating"
	case ActionResume:
		return "Resuming create"
	case ActionUpdate:
		return "Updating"
	case ActionReplace:
		return "Replacing"
	case ActionRead:
		return "Reading"
	case ActionImport:
		return "Importing"
	case ActionDelete:
		return "Destroying"
	}
	return "Checking"
}

// meetNeeds waits until every resource n needs has reached its statuses.
func (e *Engine) meetNeeds(ctx context.Context, n *Node) error {
	self := e.plan.byAddr[n.Addr]
	for _, nd := range n.Needs {
		if dc := e.plan.byAddr[nd.Addr]; dc != nil && dc.Drift == "ended" && self != nil && self.Action == ActionNoOp {
			continue // nothing is sent for n; its need ended outside brokerctl
		}
		t := e.nodes[nd.Addr]
		obj, ok := e.lookup(nd.Addr)
		if t == nil || !ok {
			return fmt.Errorf("%s needs %s, which has no remote object", n.Addr, nd.Addr)
		}
		got, err := e.waitFor(ctx, t, obj, nd.Statuses, t.WaitTimeout)
		if err != nil {
			return fmt.Errorf("%s needs %s at %v: %w", n.Addr, nd.Addr, nd.Statuses, err)
		}
		e.setObject(nd.Addr, got)
	}
	return nil
}

// waitFor waits until n's object reaches want and records the new status.
func (e *Engine) waitFor(ctx context.Context, n *Node, obj Object, want []string, timeout time.Duration) (Object, error) {
	id := idOf(obj)
	lc := LifecycleOf(n.Kind)
	if lc == nil || id == "" {
		return obj, nil
	}
	if lc.Check(StatusOf(obj), want) == Met {
		return obj, nil
	}
	e.watcher.ObserveFields(id, obj, false)
	e.watcher.Observe(n.Kind, id, StatusOf(obj))
	e.report(EventApplyProgress, Hook{Address: n.Addr, Kind: n.Kind, Phase: "waiting", RemoteID: id, Status: StatusOf(obj)},
		fmt.Sprintf("%s: waiting for %v (now %s)", n.Addr, want, StatusOf(obj)))
	rec, _ := e.record(n.Addr)
	e.mu.Lock()
	stale := e.stale[n.Addr]
	e.mu.Unlock()
	_, err := e.watcher.Wait(ctx, WaitTarget{Address: n.Addr, Kind: n.Kind, AccountID: rec.AccountID, ID: id, Stale: stale}, want, timeout)
	if err == nil {
		e.readAfterWait(ctx, n, rec.AccountID, id)
	}
	merged := e.watcher.Merge(id, obj)
	if we := (*WaitError)(nil); errors.As(err, &we) && we.Failed && rec.Address != "" && rec.Status != StatusOf(merged) {
		// Kept, so plan knows apply fails on it until something changes.
		rec.Status = StatusOf(merged)
		rec.Object = storedObject(merged)
		if perr := e.put(ctx, rec); perr != nil {
			err = errors.Join(err, perr)
		}
	}
	if err != nil {
		return merged, err
	}
	e.setObject(n.Addr, merged)
	if rec.Address != "" && (rec.Status != StatusOf(merged) || !reflect.DeepEqual(rec.Object, storedObject(merged))) {
		rec.Status = StatusOf(merged)
		rec.Object = storedObject(merged)
		if err := e.put(ctx, rec); err != nil {
			return merged, err
		}
	}
	return merged, nil
}

// read resolves a data source.
func (e *Engine) read(ctx context.Context, n *Node) (Object, error) {
	var query Object
	if n.Render != nil {
		q, _, err := n.Render(e.lookup)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", n.Addr, err)
		}
		query = q
	}
	obj, err := e.remote.Lookup(ctx, n.Kind, query)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", n.Addr, err)
	}
	e.setObject(n.Addr, obj)
	rec := Record{Address: n.Addr, Kind: n.Kind, Phase: PhaseCreated, RemoteID: idOf(obj), SpecHash: n.Hash, Status: StatusOf(obj), Object: storedObject(obj)}
	if err := e.put(ctx, rec); err != nil {
		return obj, err
	}
	return obj, nil
}

// adopt records an existing remote object named by import.
func (e *Engine) adopt(ctx context.Context, n *Node) (Object, error) {
	accountID := ""
	if n.Render != nil {
		if _, a, err := n.Render(e.lookup); err == nil {
			accountID = a
		}
	}
	obj, err := e.remote.Get(ctx, n.Kind, accountID, n.ImportID)
	if err != nil {
		return nil, fmt.Errorf("import %s from %s: %w", n.Addr, n.ImportID, err)
	}
	if !e.claim(idOf(obj), n.Addr) {
		return nil, fmt.Errorf("import %s: %s is already managed by another resource", n.Addr, n.ImportID)
	}
	e.setObject(n.Addr, obj)
	rec := Record{Address: n.Addr, Kind: n.Kind, Phase: PhaseCreated, RemoteID: idOf(obj), AccountID: accountID, SpecHash: n.Hash, Status: StatusOf(obj), Object: storedObject(obj), Deps: n.Deps,
		Request: withLifecycle(nil, n)}
	return obj, e.put(ctx, rec)
}

// update patches the changed updatable fields of an account.
func (e *Engine) update(ctx context.Context, n *Node, c *Change) (Object, error) {
	rec, _ := e.record(n.Addr)
	body, accountID, err := n.Render(e.lookup)
	if err != nil {
		return nil, fmt.Errorf("update %s: %w", n.Addr, err)
	}
	// The changed updatable fields, minus lifecycle.ignore_changes paths.
	full, _ := roundTrip(body).(map[string]any)
	for _, path := range n.IgnoreChanges {
		dropPath(full, strings.Split(path, "."))
	}
	patch := Object{}
	for _, f := range c.Fields {
		if slices.Contains(updatable[n.Kind], f) {
			if v, ok := full[f]; ok {
				patch[f] = v
			}
		}
	}
	obj, _ := e.lookup(n.Addr)
	if len(patch) > 0 {
		// Events about the object from before this request (the day's
		// replay) must not decide the wait that follows it.
		e.watcher.Since(rec.RemoteID, e.opts.Clock.Now())
		obj, err = e.remote.Update(ctx, n.Kind, accountID, rec.RemoteID, patch)
		if err != nil {
			return nil, fmt.Errorf("update %s: %w", n.Addr, &scrubbedError{err: err, text: scrubbed(err, body)})
		}
		e.setObject(n.Addr, obj)
	}
	rec.SpecHash = n.Hash
	rec.Request = withLifecycle(Object{"account_id": accountID, "body": hashedRequest(e.store.Salt(), body)}, n)
	rec.Object = storedObject(obj)
	rec.Status = StatusOf(obj)
	return obj, e.put(ctx, rec)
}

// renderOutputs renders and saves the declared outputs.
func (e *Engine) renderOutputs(ctx context.Context) (map[string]OutputValue, error) {
	outs := map[string]OutputValue{}
	for _, o := range e.outputs {
		v, err := o.Render(e.lookup)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", o.Name, err)
		}
		outs[o.Name] = OutputValue{Value: v, Sensitive: o.Sensitive}
	}
	if err := e.store.SetOutputs(ctx, outs); err != nil {
		return nil, fmt.Errorf("save outputs: %w", err)
	}
	return outs, nil
}

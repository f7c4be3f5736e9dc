package executor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"time"
)

// create runs the exactly-once create protocol for n:
//
//  1. Derive the idempotency key (the recorded one when resuming an intent).
//  2. Unless resuming, record the intent durably (address, key, hashed
//     request, intent time) BEFORE anything is sent.
//  3. When resuming an intent, reconcile first: look for the object the
//     earlier run may have created; adopt it if found.
//  4. Send the create. The key rides as Idempotency-Key (journals) or as
//     client_order_id (orders).
//  5. On an ambiguous failure, reconcile before any retry; only if nothing
//     matches, resend (same key). Give up after MaxAttempts, leaving the
//     intent in place so the next apply reconciles again.
//  6. Record created (remote id, status, redacted object) or failed.
func (e *Engine) create(ctx context.Context, n *Node) (Object, error) {
	body, accountID, err := n.Render(e.lookup)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", n.Addr, err)
	}
	prev, had := e.record(n.Addr)
	resuming := had && prev.Phase == PhaseIntent
	key := prev.Key
	if !resuming {
		previous := ""
		if had {
			previous = prev.Key
		}
		key = IdempotencyKey(e.store.Salt(), e.opts.Workspace, n.Addr, n.Hash, previous)
	}
	if n.Kind == "orders" {
		if _, set := body["client_order_id"]; !set {
			body = maps.Clone(body) // the rendered body may share maps with the manifest
			body["client_order_id"] = key
		}
	}
	rec := Record{
		Address: n.Addr, Kind: n.Kind, Phase: PhaseIntent, AccountID: accountID, Key: key, SpecHash: n.Hash,
		Request: withLifecycle(Object{"account_id": accountID, "body": hashedRequest(e.store.Salt(), body)}, n),
		Deps:    n.Deps, IntentAt: e.opts.Clock.Now().UTC(),
	}
	if resuming {
		rec.IntentAt = prev.IntentAt
	}
	q := ReconcileQuery{Kind: n.Kind, AccountID: accountID, Body: body, Key: key, Since: rec.IntentAt.Add(-e.opts.ClockSkew), Claimed: e.claimedBy(n.Addr)}

	var obj Object
	found := false
	if resuming && !keyed(n.Kind) {
		e.report(EventApplyProgress, Hook{Address: n.Addr, Kind: n.Kind, Phase: "reconciling"}, n.Addr+": reconciling an interrupted create")
		obj, found, err = e.reconcile(ctx, n, q)
		if err != nil {
			return nil, err
		}
		if found {
			// What was found is what the interrupted run sent: keep its
			// spec hash, so a spec changed since shows up in the next plan.
			rec.SpecHash = prev.SpecHash
		}
	} else if !resuming {
		if err := e.put(ctx, rec); err != nil {
			return nil, err
		}
	}
	if err := hook(e.opts.Hooks.AfterIntent, n.Addr); err != nil {
		return nil, err
	}
	if !found {
		obj, err = e.send(ctx, n, q)
		if err != nil {
			// A definitive refusal, or a create never sent (an
			// interrupted run): record it failed, so the next apply
			// creates afresh without reconciling.
			if IsNotSent(err) || !IsAmbiguous(err) && ctx.Err() == nil {
				rec.Phase, rec.Error = PhaseFailed, scrubbed(err, body)
				if perr := e.put(ctx, rec); perr != nil {
					return nil, errors.Join(err, perr)
				}
			}
			return nil, fmt.Errorf("create %s: %w%s", n.Addr, &scrubbedError{err: err, text: scrubbed(err, body)}, conflictHint(n.Kind, err, had && prev.Phase == PhaseDeleted))
		}
	}
	if err := hook(e.opts.Hooks.AfterSend, n.Addr); err != nil {
		return nil, err
	}
	if !e.claim(idOf(obj), n.Addr) {
		return nil, fmt.Errorf("create %s: remote object %s already belongs to another resource", n.Addr, idOf(obj))
	}
	e.setObject(n.Addr, obj)
	rec.Phase, rec.RemoteID, rec.Status, rec.Object, rec.Error = PhaseCreated, idOf(obj), StatusOf(obj), storedObject(obj), ""
	if err := e.put(ctx, rec); err != nil {
		return obj, err
	}
	if err := hook(e.opts.Hooks.AfterRecord, n.Addr); err != nil {
		return obj, err
	}
	return obj, nil
}

// send sends the create, reconciling after every ambiguous failure before
// sending again.
func (e *Engine) send(ctx context.Context, n *Node, q ReconcileQuery) (Object, error) {
	delay := e.opts.RetryDelay
	var last error
	for attempt := 1; attempt <= e.opts.MaxAttempts; attempt++ {
		e.countCreate()
		obj, err := e.remote.Create(ctx, n.Kind, q.AccountID, q.Body, q.Key)
		if err == nil {
			return obj, nil
		}
		last = err
		if IsNotSent(err) {
			if ctx.Err() != nil {
				return nil, err
			}
			select { // never reached the API: just send again
			case <-ctx.Done():
				return nil, &NotSentError{Err: ctx.Err()}
			case <-time.After(jitter(delay)):
			}
			delay = min(delay*2, 10*time.Second)
			continue
		}
		if ctx.Err() != nil {
			return nil, &AmbiguousError{Err: err}
		}
		// A conflict on a resend means the first send did land (duplicate
		// email, second ACH relationship, reused client_order_id).
		conflict := attempt > 1 && (statusOf(err) == 409 || statusOf(err) == 422) || duplicateOrderID(n.Kind, err)
		if !IsAmbiguous(err) && !conflict {
			return nil, err
		}
		e.report(EventApplyProgress, Hook{Address: n.Addr, Kind: n.Kind, Phase: "reconciling", Error: scrubbed(err, q.Body)},
			fmt.Sprintf("%s: %s; reconciling before any retry", n.Addr, scrubbed(err, q.Body)))
		if !keyed(n.Kind) {
			obj, found, rerr := e.reconcile(ctx, n, q)
			if rerr != nil {
				return nil, &AmbiguousError{Err: errors.Join(err, rerr)}
			}
			if found {
				return obj, nil
			}
			if conflict {
				return nil, err
			}
		}
		select {
		case <-ctx.Done():
			return nil, &AmbiguousError{Err: ctx.Err()}
		case <-time.After(jitter(delay)):
		}
		delay = min(delay*2, 10*time.Second)
	}
	if IsAmbiguous(last) {
		return nil, fmt.Errorf("gave up after %d attempts; the intent stays recorded and the next apply reconciles it: %w", e.opts.MaxAttempts, last)
	}
	return nil, last
}

// reconcile looks for the object an earlier send made, claiming it for n.
// A failed look-up is retried a few times (never the create: without an
// answer nothing may be resent); if it keeps failing, the error leaves the
// intent recorded for the next apply.
func (e *Engine) reconcile(ctx context.Context, n *Node, q ReconcileQuery) (Object, bool, error) {
	delay := e.opts.RetryDelay
	for range 3 {
		var obj Object
		var found bool
		var err error
		for try := 1; ; try++ {
			obj, found, err = e.remote.Reconcile(ctx, q)
			if err == nil || try == 4 || ctx.Err() != nil {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(jitter(delay)):
			}
			delay = min(delay*2, 10*time.Second)
		}
		if err != nil {
			return nil, false, fmt.Errorf("reconcile %s: %w", n.Addr, err)
		}
		if !found {
			return nil, false, nil
		}
		if e.claim(idOf(obj), n.Addr) {
			return obj, true, nil
		}
	}
	return nil, false, nil
}

func hook(f func(string) error, addr string) error {
	if f == nil {
		return nil
	}
	if err := f(addr); err != nil {
		return fmt.Errorf("%s: %w: %w", addr, errStopped, err)
	}
	return nil
}

var dupClientOrderID = regexp.MustCompile(`(?i)client[ _-]?order[ _-]?id.*unique`)

// duplicateOrderID recognises the API's rejection of a reused
// client_order_id. Our ids are derived from the workspace salt, so the
// order that holds it is ours: a resend (by us or by the client's retry)
// found the first send had landed.
func duplicateOrderID(kind string, err error) bool {
	var ae *APIError
	if kind != "orders" || !errors.As(err, &ae) || (ae.Status != 409 && ae.Status != 422) {
		return false
	}
	return dupClientOrderID.MatchString(ae.Message)
}

// scrubbedError keeps err for errors.Is/As while its text has the
// request's personal data removed.
type scrubbedError struct {
	err  error
	text string
}

func (e *scrubbedError) Error() string { return e.text }
func (e *scrubbedError) Unwrap() error { return e.err }

// conflictHint explains a 409 on a first create: the object exists but
// this workspace's state does not know it, or (accounts) the email belongs
// to an account the workspace closed.
func conflictHint(kind string, err error, destroyed bool) string {
	if statusOf(err) != 409 {
		return ""
	}
	switch {
	case kind == "accounts" && destroyed:
		return " (this workspace closed an account with this contact email, and a closed account keeps its email: use another email)"
	case kind == "accounts":
		return " (an account with this contact email already exists and this workspace's state does not know it: adopt it with lifecycle.import, or use another email)"
	case kind == "ach_relationships" || kind == "bank_relationships":
		return " (the account already has an active relationship this workspace's state does not know: adopt it with lifecycle.import, or delete it first)"
	}
	return ""
}

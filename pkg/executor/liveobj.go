package executor

import (
	"context"
	"maps"
	"reflect"
	"sync"
)

// Which waited-for objects are read once more after their wait.
//
// A wait fed by an event stream learns the new status, not the object: the
// account, funding and journal events carry only a status (and an
// account's account_number), so fields that change with it - a journal's
// settle_date, a transfer's amounts - would stay as the create response
// had them. Trade-update events carry the whole order, and polls read
// whole objects, so those need nothing more. A resource is read once after
// its wait only when something (another resource or an output) references
// one of its fields other than id, status and account_number: reading
// every waited object would add a request per customer to onboarding runs.

// fullReads computes, once per engine, the addresses whose fields beyond
// the brief ones are referenced: each node and output is rendered against
// objects holding only those fields; one that fails needs more of every
// address it looked up. The brief objects hold the fields every wait knows
// without reading the object: id, status and account_number.
func (e *Engine) fullReads() map[string]bool {
	e.fullOnce.Do(func() {
		need := map[string]bool{}
		brief := func(asked map[string]bool) LookupFunc {
			return func(a string) (Object, bool) {
				asked[a] = true
				return Object{"id": "00000000-0000-0000-0000-000000000000", "status": "ACTIVE", "account_number": "000000000"}, true
			}
		}
		mark := func(asked map[string]bool, err error) {
			if err == nil {
				return
			}
			for a := range asked {
				need[a] = true
			}
		}
		for _, n := range e.nodes {
			if n.Render == nil || n.Data {
				continue
			}
			asked := map[string]bool{}
			_, _, err := n.Render(brief(asked))
			mark(asked, err)
		}
		for _, o := range e.outputs {
			if o.Render == nil {
				continue
			}
			asked := map[string]bool{}
			_, err := o.Render(brief(asked))
			mark(asked, err)
		}
		e.full = need
	})
	return e.full
}

// readAfterWait reads n's object once after its wait was met, when its
// fields are referenced and the wait did not already see the whole object.
func (e *Engine) readAfterWait(ctx context.Context, n *Node, accountID, id string) {
	if n.Kind == "orders" || !e.fullReads()[n.Addr] || e.watcher.Full(id) {
		return
	}
	obj, err := e.remote.Get(ctx, n.Kind, accountID, id)
	if err != nil {
		return // the status is known; the fields stay as last seen
	}
	e.watcher.ObserveFields(id, obj, true)
	e.watcher.markFull(id)
}

// fullState guards the lazily computed fullReads set.
type fullState struct {
	fullOnce sync.Once
	full     map[string]bool
}

// liveObject is old with every field of live laid over it (fields a list
// response leaves out are kept), and whether that changed anything.
func liveObject(old, live Object) (Object, bool) {
	out := maps.Clone(old)
	if out == nil {
		out = Object{}
	}
	for k, v := range storedObject(live) {
		out[k] = v
	}
	return out, !reflect.DeepEqual(roundTrip(out), roundTrip(old))
}

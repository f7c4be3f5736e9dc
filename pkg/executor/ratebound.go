package executor

import (
	"time"
)

// The Broker API's rate limit is one quota for most paths plus one quota
// per account for account-scoped paths (/v1/accounts/{id}/...,
// /v1/trading/accounts/{id}/...: "the rate limit is per account and will
// not impact API calls that pertain to another account"), which the
// client's limiter follows (broker.RateScope). The plan's lower bound at the
// rate limit uses the same model: the requests of the shared quota ÷ the
// limit, or those of the busiest account ÷ the limit, whichever is longer,
// since the quotas are spent in parallel.

// splitCalls returns how many of the requests of a change of kind count
// against the shared quota and how many against its account's quota.
// polling adds one request per status wait (a GET of the object or a list
// under its account).
func splitCalls(kind string, c Calls, polling bool) (shared, account int) {
	waits := 0
	if polling {
		waits = c.Waits
	}
	switch kind {
	case "accounts":
		// POST /v1/accounts and its reconciliation (a list query of
		// /v1/accounts) are shared; GET, PATCH, close and polls of
		// /v1/accounts/{id} are the account's.
		return c.Creates + c.Reconciles, c.Reads + c.Updates + c.Deletes + waits
	case "ach_relationships", "recipient_banks", "transfers", "orders":
		return 0, c.Total(false) + waits
	default: // journals, batch_journals, unknown kinds
		return c.Total(false) + waits, 0
	}
}

// rateScope returns the key of the account whose quota n's account-scoped
// requests use: the account resource itself, the first account among its
// dependencies, or else the account of its first account-scoped dependency
// (a transfer that references only its ACH relationship). A literal
// account id in the manifest, with no account resource to reference,
// counts as its own.
func rateScope(n *Node, nodeBy map[string]*Node) string {
	if n.Kind == "accounts" {
		return n.Addr
	}
	for _, d := range n.Deps {
		if dn := nodeBy[d]; dn != nil && dn.Kind == "accounts" {
			return d
		}
	}
	for _, d := range n.Deps {
		if dn := nodeBy[d]; dn != nil {
			if _, account := splitCalls(dn.Kind, Calls{Creates: 1}, false); account > 0 {
				return rateScope(dn, nodeBy)
			}
		}
	}
	return n.Addr
}

// orphanScope is rateScope for a resource only state knows.
func orphanScope(r Record) string {
	if r.Kind != "accounts" && r.AccountID != "" {
		return "id:" + r.AccountID
	}
	if r.Kind == "accounts" && r.RemoteID != "" {
		return "id:" + r.RemoteID
	}
	return r.Address
}

// rateLowerBound is the least time the plan's requests take at rpm
// requests a minute per quota (0: 1,000).
func (p *Plan) rateLowerBound(rpm int, polling bool) time.Duration {
	if rpm <= 0 {
		rpm = 1000
	}
	shared, busiest := 0, 0
	perAccount := map[string]int{}
	count := func(c Change) {
		s, a := splitCalls(c.Kind, c.Calls, polling)
		shared += s
		if a > 0 {
			perAccount[c.scope] += a
			busiest = max(busiest, perAccount[c.scope])
		}
	}
	for _, c := range p.Changes {
		count(c)
	}
	for _, c := range p.Orphans {
		if c.Action == ActionDelete {
			count(c)
		}
	}
	return time.Duration(float64(max(shared, busiest)) / float64(rpm) * float64(time.Minute))
}

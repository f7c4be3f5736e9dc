package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerctl/brokerctl/pkg/broker"
)

// BrokerRemote implements Remote with a pkg/broker client: every request
// goes through the client's rate limiter and retry policy.
//
// The Broker API answers 401 both for a key pair it rejects and for an
// account id that is not the caller's (GET /v1/accounts/{id}). On the first
// 401 BrokerRemote asks once, with a request that names no object, which of
// the two it is; once the key pair is known to be rejected every call fails
// with that *CredentialsError without sending anything.
type BrokerRemote struct {
	c *broker.Client

	mu       sync.Mutex
	probed   bool  // the key pair was checked (guarded by mu)
	rejected error // *CredentialsError once the key pair is known bad (guarded by mu)
}

// NewBrokerRemote wraps c.
func NewBrokerRemote(c *broker.Client) *BrokerRemote { return &BrokerRemote{c: c} }

// Client returns the wrapped client.
func (b *BrokerRemote) Client() *broker.Client { return b.c }

// Requests is the number of HTTP attempts the client sent.
func (b *BrokerRemote) Requests() int64 { return b.c.Stats().Requests }

func esc(s string) string { return url.PathEscape(s) }

// CredentialsError reports that the API rejected the key pair itself (a
// 401 on a request that names no object). Nothing after it can succeed, so
// a run stops at the first one.
type CredentialsError struct {
	// BaseURL is the endpoint that rejected the key pair.
	BaseURL string
	// Status is the HTTP status (401).
	Status int
}

func (e *CredentialsError) Error() string {
	return fmt.Sprintf("credentials rejected by %s (HTTP %d): check %s / %s", e.BaseURL, e.Status, broker.EnvKeyID, broker.EnvSecret)
}

// IsCredentialsError reports whether err is (or wraps) a *CredentialsError.
func IsCredentialsError(err error) bool {
	var ce *CredentialsError
	return errors.As(err, &ce)
}

// credentialsProbe is the request that tells a rejected key pair from an
// object that is not the caller's: it needs valid credentials but names no
// object, and the query matches no account, so it is cheap.
func (b *BrokerRemote) credentialsProbe(ctx context.Context) error {
	var items []Object
	q := url.Values{"query": {"brokerctl-credentials-check"}}
	return b.c.Do(ctx, http.MethodGet, "/v1/accounts", q, nil, &items)
}

// CheckCredentials sends the credentials probe (once per BrokerRemote; the
// answer is cached) and returns nil when the key pair is accepted, a
// *CredentialsError when the API rejects it, or the transport error when
// the endpoint could not be asked (not cached: a later call asks again).
func (b *BrokerRemote) CheckCredentials(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.probed {
		return b.rejected
	}
	err := b.credentialsProbe(ctx)
	switch {
	case err == nil:
		b.probed = true
	case broker.IsUnauthorized(err):
		b.probed = true
		b.rejected = &CredentialsError{BaseURL: b.c.BaseURL(), Status: http.StatusUnauthorized}
	default:
		return err
	}
	return b.rejected
}

// Rejected returns the *CredentialsError once the key pair is known to be
// rejected, nil otherwise. The engine starts nothing new after it.
func (b *BrokerRemote) Rejected() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rejected
}

// do sends one request through the client. After the key pair has been
// rejected it sends nothing; a 401 is checked with CheckCredentials, so a
// rejected key pair comes back as *CredentialsError and any other 401 (an
// object that is not the caller's) as the client's *broker.APIError.
func (b *BrokerRemote) do(ctx context.Context, method, path string, query url.Values, body, out any, opts ...broker.Option) error {
	if err := b.Rejected(); err != nil {
		return err
	}
	err := b.c.Do(ctx, method, path, query, body, out, opts...)
	if broker.IsUnauthorized(err) {
		if cerr := b.CheckCredentials(ctx); cerr != nil {
			if IsCredentialsError(cerr) {
				return cerr
			}
			return fmt.Errorf("%w (and checking the credentials after that 401 failed: %v)", err, cerr)
		}
	}
	return err
}

// createPath is where a kind's create is POSTed.
func createPath(kind, account string) (string, error) {
	needAccount := func(p string) (string, error) {
		if account == "" {
			return "", fmt.Errorf("%s needs an account_id", kind)
		}
		return p, nil
	}
	switch kind {
	case "accounts":
		return "/v1/accounts", nil
	case "ach_relationships":
		return needAccount("/v1/accounts/" + esc(account) + "/ach_relationships")
	case "bank_relationships":
		return needAccount("/v1/accounts/" + esc(account) + "/recipient_banks")
	case "transfers":
		return needAccount("/v1/accounts/" + esc(account) + "/transfers")
	case "journals":
		return "/v1/journals", nil
	case "batch_journals":
		return "/v1/journals/batch", nil
	case "orders":
		return needAccount("/v1/trading/accounts/" + esc(account) + "/orders")
	}
	return "", fmt.Errorf("unknown kind %q", kind)
}

// Create sends one create; journals carry the key as Idempotency-Key.
func (b *BrokerRemote) Create(ctx context.Context, kind, account string, body Object, key string) (Object, error) {
	path, err := createPath(kind, account)
	if err != nil {
		return nil, err
	}
	var opts []broker.Option
	if keyed(kind) {
		opts = append(opts, broker.WithIdempotencyKey(key))
	}
	if kind == "batch_journals" {
		var out []Object
		if err := b.do(ctx, http.MethodPost, path, nil, body, &out, opts...); err != nil {
			return nil, classifyCreate(kind, err)
		}
		return batchObject(out), nil
	}
	var out Object
	if err := b.do(ctx, http.MethodPost, path, nil, body, &out, opts...); err != nil {
		return nil, classifyCreate(kind, err)
	}
	return out, nil
}

// classifyCreate sorts a failed create. The client reports a POST that
// may have been acted on as OutcomeUnknownError, except requests it may
// replay itself (journals with an Idempotency-Key, orders with a
// client_order_id), whose other failures are therefore ambiguous too. Any
// other failure of an unkeyed create proves it was never sent.
func classifyCreate(kind string, err error) error {
	if IsCredentialsError(err) {
		return err // a 401: nothing was created
	}
	var ae *broker.APIError
	if errors.Is(err, broker.ErrOutcomeUnknown) || (errors.As(err, &ae) && ae.StatusCode >= 500) {
		return &AmbiguousError{Err: err}
	}
	if errors.As(err, &ae) && ae.StatusCode == http.StatusTooManyRequests {
		// Still rate limited after the client's own retries: a 429 is
		// answered before the request is processed, so nothing was
		// created and the engine may send it again after its delay.
		return &NotSentError{Err: err}
	}
	if errors.As(err, &ae) {
		return classify(err, false)
	}
	if keyed(kind) || kind == "orders" {
		return &AmbiguousError{Err: err}
	}
	return &NotSentError{Err: err}
}

// classify maps client errors to the executor's: a lost or ambiguous answer
// to a create is AmbiguousError, an API answer is APIError (404 is ErrGone).
func classify(err error, create bool) error {
	if err == nil {
		return nil
	}
	var ae *broker.APIError
	if errors.As(err, &ae) && !errors.Is(err, broker.ErrOutcomeUnknown) {
		if ae.StatusCode == http.StatusNotFound {
			return fmt.Errorf("%w: %s", ErrGone, ae.Error())
		}
		return &APIError{Status: ae.StatusCode, Code: int(ae.Code), Message: ae.Detail()}
	}
	if create {
		return &AmbiguousError{Err: err}
	}
	return err
}

// Get reads one object. ACH relationships, banks and transfers have no GET
// by id: they are found in the account's list.
func (b *BrokerRemote) Get(ctx context.Context, kind, account, id string) (Object, error) {
	switch kind {
	case "accounts":
		var out Object
		err := b.do(ctx, http.MethodGet, "/v1/accounts/"+esc(id), nil, nil, &out)
		if broker.IsUnauthorized(err) {
			// do has checked the key pair: this 401 is an account
			// that is not (or no longer) the caller's.
			return nil, fmt.Errorf("%w: account %s", ErrGone, id)
		}
		return out, classify(err, false)
	case "journals":
		var out Object
		err := b.do(ctx, http.MethodGet, "/v1/journals/"+esc(id), nil, nil, &out)
		return out, classify(err, false)
	case "batch_journals":
		// One list usually holds every entry; fetch only what it lacks.
		listed, _, err := b.List(ctx, "journals", "")
		if err != nil {
			return nil, err
		}
		var entries []Object
		for _, jid := range strings.Split(id, ",") {
			j, ok := listed[jid]
			if !ok {
				if err := b.do(ctx, http.MethodGet, "/v1/journals/"+esc(jid), nil, nil, &j); err != nil {
					return nil, classify(err, false)
				}
			}
			entries = append(entries, j)
		}
		return batchObject(entries), nil
	case "orders":
		var out Object
		err := b.do(ctx, http.MethodGet, "/v1/trading/accounts/"+esc(account)+"/orders/"+esc(id), nil, nil, &out)
		return out, classify(err, false)
	case "ach_relationships", "bank_relationships", "transfers":
		objs, _, err := b.List(ctx, kind, account)
		if err != nil {
			return nil, err
		}
		if o, ok := objs[id]; ok {
			return o, nil
		}
		return nil, fmt.Errorf("%w: %s %s", ErrGone, kind, id)
	}
	return nil, fmt.Errorf("unknown kind %q", kind)
}

// List reads many objects of a kind in one call (transfers page by offset).
func (b *BrokerRemote) List(ctx context.Context, kind, account string) (map[string]Object, bool, error) {
	var items []Object
	var err error
	switch kind {
	case "accounts":
		err = b.do(ctx, http.MethodGet, "/v1/accounts", nil, nil, &items)
	case "journals":
		err = b.do(ctx, http.MethodGet, "/v1/journals", nil, nil, &items)
	case "ach_relationships":
		err = b.do(ctx, http.MethodGet, "/v1/accounts/"+esc(account)+"/ach_relationships", nil, nil, &items)
	case "bank_relationships":
		err = b.do(ctx, http.MethodGet, "/v1/accounts/"+esc(account)+"/recipient_banks", nil, nil, &items)
	case "transfers":
		items, err = b.transfers(ctx, account)
	case "orders":
		q := url.Values{"status": {"all"}, "limit": {"500"}, "direction": {"desc"}}
		err = b.do(ctx, http.MethodGet, "/v1/trading/accounts/"+esc(account)+"/orders", q, nil, &items)
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, true, classify(err, false)
	}
	out := make(map[string]Object, len(items))
	for _, it := range items {
		if id := idOf(it); id != "" {
			out[id] = it
		}
	}
	return out, true, nil
}

// transfers pages through an account's transfers (limit/offset).
func (b *BrokerRemote) transfers(ctx context.Context, account string) ([]Object, error) {
	const page = 100
	var all []Object
	for offset := 0; ; offset += page {
		var items []Object
		q := url.Values{"limit": {strconv.Itoa(page)}, "offset": {strconv.Itoa(offset)}}
		if err := b.do(ctx, http.MethodGet, "/v1/accounts/"+esc(account)+"/transfers", q, nil, &items); err != nil {
			return nil, err
		}
		all = append(all, items...)
		if len(items) < page {
			return all, nil
		}
	}
}

// Update PATCHes an account.
func (b *BrokerRemote) Update(ctx context.Context, kind, account, id string, patch Object) (Object, error) {
	if kind != "accounts" {
		return nil, fmt.Errorf("%s cannot be updated in place", kind)
	}
	var out Object
	err := b.do(ctx, http.MethodPatch, "/v1/accounts/"+esc(id), nil, patch, &out)
	return out, classify(err, false)
}

// Remove closes an account, deletes a relationship, or cancels a transfer,
// journal or order.
func (b *BrokerRemote) Remove(ctx context.Context, kind, account, id string) error {
	var err error
	switch kind {
	case "accounts":
		err = b.do(ctx, http.MethodPost, "/v1/accounts/"+esc(id)+"/actions/close", nil, nil, nil, broker.WithReplayable())
	case "ach_relationships":
		err = b.do(ctx, http.MethodDelete, "/v1/accounts/"+esc(account)+"/ach_relationships/"+esc(id), nil, nil, nil)
	case "bank_relationships":
		err = b.do(ctx, http.MethodDelete, "/v1/accounts/"+esc(account)+"/recipient_banks/"+esc(id), nil, nil, nil)
	case "transfers":
		err = b.do(ctx, http.MethodDelete, "/v1/accounts/"+esc(account)+"/transfers/"+esc(id), nil, nil, nil)
	case "journals":
		err = b.do(ctx, http.MethodDelete, "/v1/journals/"+esc(id), nil, nil, nil)
	case "batch_journals":
		for _, jid := range strings.Split(id, ",") {
			if e := b.do(ctx, http.MethodDelete, "/v1/journals/"+esc(jid), nil, nil, nil); e != nil && !broker.IsNotFound(e) {
				err = errors.Join(err, e)
			}
		}
	case "orders":
		err = b.do(ctx, http.MethodDelete, "/v1/trading/accounts/"+esc(account)+"/orders/"+esc(id), nil, nil, nil)
	default:
		return fmt.Errorf("unknown kind %q", kind)
	}
	return classify(err, false)
}

// Lookup reads a data source by id, or an account by contact email.
func (b *BrokerRemote) Lookup(ctx context.Context, kind string, q Object) (Object, error) {
	account, _ := q["account_id"].(string)
	if id, _ := q["id"].(string); id != "" {
		return b.Get(ctx, kind, account, id)
	}
	email, _ := q["email"].(string)
	if kind != "accounts" || email == "" {
		return nil, fmt.Errorf("data.%s needs an id (or, for accounts, an email) to look up", kind)
	}
	obj, found, err := b.accountByEmail(ctx, email, time.Time{}, func(string) bool { return false })
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: no account with that contact email", ErrGone)
	}
	return obj, nil
}

// Watch streams one event family through the client's typed
// subscriptions, replaying history from since's day (a date-time for the
// v2 journal stream) so no change between a create and the connection is
// lost, until ctx ends or the stream fails. Each event carries its "at",
// so the watcher can drop what happened before a request of this run.
func (b *BrokerRemote) Watch(ctx context.Context, family string, since time.Time, fn func(StatusEvent)) error {
	q := broker.EventQuery{Since: since.UTC().Format(time.DateOnly)}
	if family == "journals" {
		q.Since = since.UTC().Format(time.RFC3339)
	}
	switch family {
	case "accounts":
		return b.c.SubscribeAccountStatus(ctx, q, func(ev broker.AccountStatusEvent) error {
			se := StatusEvent{Kind: "accounts", ID: ev.AccountID, Fields: Object{}, At: ev.At}
			if ev.StatusTo != nil {
				se.Status = string(*ev.StatusTo)
			}
			if ev.AccountNumber != nil && *ev.AccountNumber != "" {
				se.Fields["account_number"] = *ev.AccountNumber
			}
			fn(se)
			return nil
		})
	case "funding":
		return b.c.SubscribeFundingStatus(ctx, q, func(ev broker.StatusFundingEvent) error {
			kind := ""
			switch ev.EntityType {
			case broker.FundingEntityBankRelationship:
				kind = "ach_relationships"
			case broker.FundingEntityWireBank:
				kind = "bank_relationships"
			case broker.FundingEntityTransfer:
				kind = "transfers"
			}
			fn(StatusEvent{Kind: kind, ID: ev.EntityID, Status: ev.StatusTo, At: ev.At})
			return nil
		})
	case "journals":
		return b.c.SubscribeJournalStatus(ctx, q, func(ev broker.JournalStatusEventV2) error {
			fn(StatusEvent{Kind: "journals", ID: ev.JournalID, Status: string(ev.StatusTo), At: ev.At})
			return nil
		})
	case "trades":
		return b.c.SubscribeTradeUpdates(ctx, q, func(ev broker.TradeUpdateEventV2) error {
			// The event carries the whole order (filled_qty, prices...).
			var fields Object
			if b, err := json.Marshal(ev.Order); err == nil {
				_ = json.Unmarshal(b, &fields)
			}
			fn(StatusEvent{Kind: "orders", ID: ev.Order.ID, Status: string(ev.Order.Status), At: ev.At, Fields: fields, Whole: fields != nil})
			return nil
		})
	}
	return ErrNoStreams
}

// batchObject wraps a batch journal response (an array) as one object:
// id is the comma-joined journal ids, status the least advanced one (or
// the first failure).
func batchObject(entries []Object) Object {
	var ids []string
	status := ""
	lc := LifecycleOf("journals")
	for _, e := range entries {
		ids = append(ids, idOf(e))
		st := StatusOf(e)
		if msg, _ := e["error_message"].(string); msg != "" && !lc.IsFailure(st) {
			st = "refused"
		}
		switch {
		case status == "":
			status = st
		case lc.IsFailure(status):
		case lc.IsFailure(st) || lc.rank(st) < lc.rank(status):
			status = st
		}
	}
	return Object{"id": strings.Join(ids, ","), "status": status, "journals": entries}
}

func decimalEqual(a, b any) bool {
	da, err1 := decimal.NewFromString(fmt.Sprint(a))
	db, err2 := decimal.NewFromString(fmt.Sprint(b))
	return err1 == nil && err2 == nil && da.Equal(db)
}

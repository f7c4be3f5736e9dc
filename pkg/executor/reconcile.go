package executor

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
)

// Reconcile finds the object an ambiguous create may have made, by each
// kind's natural key:
//
//   - accounts: the contact email (unique per broker: a duplicate is a 409);
//   - orders: client_order_id (the idempotency key);
//   - ACH relationships: the account's live relationship with the same
//     owner name, account type and routing number (one active per account);
//   - bank relationships: the same name, code type and code;
//   - transfers: same amount, direction, type and relationship/bank, created
//     at or after q.Since;
//   - journals and batch journals: a replay of the same Idempotency-Key,
//     which returns the original.
//
// Objects for which q.Claimed is true belong to another resource and are
// never returned.
func (b *BrokerRemote) Reconcile(ctx context.Context, q ReconcileQuery) (Object, bool, error) {
	switch q.Kind {
	case "accounts":
		contact, _ := q.Body["contact"].(map[string]any)
		email, _ := contact["email_address"].(string)
		if email == "" {
			return nil, false, fmt.Errorf("account without contact.email_address cannot be reconciled")
		}
		return b.accountByEmail(ctx, email, q.Since, q.Claimed)
	case "orders":
		coid, _ := q.Body["client_order_id"].(string)
		if coid == "" {
			coid = q.Key
		}
		var out Object
		err := b.do(ctx, http.MethodGet, "/v1/trading/accounts/"+esc(q.AccountID)+"/orders:by_client_order_id",
			url.Values{"client_order_id": {coid}}, nil, &out)
		if broker.IsNotFound(err) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if q.Claimed(idOf(out)) {
			return nil, false, nil
		}
		return out, true, nil
	case "journals", "batch_journals":
		obj, err := b.Create(ctx, q.Kind, q.AccountID, q.Body, q.Key)
		if err != nil {
			return nil, false, err
		}
		return obj, true, nil
	case "ach_relationships":
		return b.findInList(ctx, q, []string{"account_owner_name", "bank_account_type", "bank_routing_number", "nickname"}, []string{"CANCELED", "REJECTED", "CANCEL_REQUESTED"})
	case "bank_relationships":
		return b.findInList(ctx, q, []string{"name", "bank_code_type", "bank_code"}, []string{"CANCELED", "REJECTED"})
	case "transfers":
		return b.findTransfer(ctx, q)
	}
	return nil, false, fmt.Errorf("cannot reconcile kind %q", q.Kind)
}

func (b *BrokerRemote) accountByEmail(ctx context.Context, email string, since time.Time, claimed func(string) bool) (Object, bool, error) {
	var items []Object
	q := url.Values{"query": {email}, "entities": {"contact"}}
	if err := b.do(ctx, http.MethodGet, "/v1/accounts", q, nil, &items); err != nil {
		return nil, false, err
	}
	for _, a := range items {
		contact, _ := a["contact"].(map[string]any)
		got, _ := contact["email_address"].(string)
		if !strings.EqualFold(got, email) || claimed(idOf(a)) || strings.EqualFold(StatusOf(a), "ACCOUNT_CLOSED") {
			continue
		}
		return a, true, nil
	}
	return nil, false, nil
}

// findInList looks through the account's list for a live object whose
// fields equal the request's.
func (b *BrokerRemote) findInList(ctx context.Context, q ReconcileQuery, fields, dead []string) (Object, bool, error) {
	objs, _, err := b.List(ctx, q.Kind, q.AccountID)
	if err != nil {
		return nil, false, err
	}
	for _, id := range sortedIDs(objs) {
		o := objs[id]
		if q.Claimed(id) || containsFold(dead, StatusOf(o)) || !createdSince(o, q.Since) {
			continue
		}
		if fieldsMatch(o, q.Body, fields) {
			return o, true, nil
		}
	}
	return nil, false, nil
}

func (b *BrokerRemote) findTransfer(ctx context.Context, q ReconcileQuery) (Object, bool, error) {
	objs, _, err := b.List(ctx, "transfers", q.AccountID)
	if err != nil {
		return nil, false, err
	}
	for _, id := range sortedIDs(objs) {
		t := objs[id]
		if q.Claimed(id) || !createdSince(t, q.Since) {
			continue
		}
		amount := t["requested_amount"]
		if amount == nil || fmt.Sprint(amount) == "" {
			amount = t["amount"]
		}
		if !decimalEqual(amount, q.Body["amount"]) {
			continue
		}
		if !strings.EqualFold(fmt.Sprint(t["direction"]), fmt.Sprint(q.Body["direction"])) {
			continue
		}
		typ := t["type"]
		if typ == nil {
			typ = t["transfer_type"]
		}
		if !strings.EqualFold(fmt.Sprint(typ), fmt.Sprint(q.Body["transfer_type"])) {
			continue
		}
		if !fieldsMatch(t, q.Body, []string{"relationship_id", "bank_id"}) {
			continue
		}
		return t, true, nil
	}
	return nil, false, nil
}

// fieldsMatch compares the named fields the request sets; bank numbers
// that come back masked compare on their last four characters.
func fieldsMatch(obj, body Object, fields []string) bool {
	for _, f := range fields {
		want, set := body[f]
		if !set || want == nil {
			continue
		}
		got := fmt.Sprint(obj[f])
		w := fmt.Sprint(want)
		if strings.EqualFold(got, w) {
			continue
		}
		if strings.Contains(got, "*") && len(w) >= 4 && strings.HasSuffix(got, w[len(w)-4:]) {
			continue
		}
		return false
	}
	return true
}

func createdSince(o Object, since time.Time) bool {
	if since.IsZero() {
		return true
	}
	t := createdAt(o)
	return t.IsZero() || !t.Before(since)
}

func sortedIDs(m map[string]Object) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	// Oldest first: the earliest matching object is the one sent first.
	sort.Slice(ids, func(i, j int) bool {
		ti, tj := createdAt(m[ids[i]]), createdAt(m[ids[j]])
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return ids[i] < ids[j]
	})
	return ids
}

func createdAt(o Object) time.Time {
	s, _ := o["created_at"].(string)
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

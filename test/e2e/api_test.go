package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// api reads the emulator over plain HTTP (not pkg/broker), so the counts do
// not depend on the client under test.
type api struct {
	t  *testing.T
	em *emulatorProc
}

// obj is a JSON object from the API.
type obj map[string]any

func (o obj) str(k string) string { s, _ := o[k].(string); return s }

func (a api) get(ctx context.Context, path string, q url.Values) []obj {
	a.t.Helper()
	u := a.em.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	// A GET changes nothing: faults the emulator injects (429, 5xx before
	// handling) are simply retried.
	for attempt := 1; ; attempt++ {
		status, body, err := a.getOnce(ctx, u)
		switch {
		case err == nil && status == http.StatusOK:
			var list []obj
			if err := json.Unmarshal(body, &list); err != nil {
				var one obj
				if err2 := json.Unmarshal(body, &one); err2 != nil {
					a.t.Fatalf("GET %s: %v: %s", path, err, body)
				}
				list = []obj{one}
			}
			return list
		case attempt < 50 && (err != nil || status == http.StatusTooManyRequests || status >= 500):
			time.Sleep(10 * time.Millisecond)
		default:
			a.t.Fatalf("GET %s: %d %s %v", path, status, body, err)
		}
	}
}

func (a api) getOnce(ctx context.Context, u string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, err
	}
	req.SetBasicAuth(a.em.KeyID, a.em.Secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, body, err
}

// customerObjects is what the API holds for one customer.
type customerObjects struct {
	Accounts  []obj // accounts whose contact email is the customer's
	ACH       []obj // ACH relationships of the account (all statuses)
	Transfers []obj
	Journals  []obj // journals to the account
	Orders    []obj // orders of the account, every status
}

// census lists, through the API, every object of each customer.
func (a api) census(ctx context.Context, cs []customer) map[string]*customerObjects {
	a.t.Helper()
	out := map[string]*customerObjects{}
	for _, c := range cs {
		co := &customerObjects{}
		out[c.Email] = co
		for _, acct := range a.get(ctx, "/v1/accounts", url.Values{"query": {c.Email}}) {
			if contact, _ := acct["contact"].(map[string]any); contact != nil && strings.EqualFold(fmt.Sprint(contact["email_address"]), c.Email) {
				co.Accounts = append(co.Accounts, acct)
			}
		}
		for _, acct := range co.Accounts {
			id := acct.str("id")
			co.ACH = append(co.ACH, a.get(ctx, "/v1/accounts/"+id+"/ach_relationships", nil)...)
			co.Transfers = append(co.Transfers, a.get(ctx, "/v1/accounts/"+id+"/transfers", url.Values{"limit": {"1000"}})...)
			co.Journals = append(co.Journals, a.get(ctx, "/v1/journals", url.Values{"to_account": {id}})...)
			co.Orders = append(co.Orders, a.get(ctx, "/v1/trading/accounts/"+id+"/orders", url.Values{"status": {"all"}, "limit": {"500"}})...)
		}
	}
	return out
}

// expectExactlyOne fails unless every customer has exactly one account, ACH
// relationship, transfer, journal and order (plus, for the first customer
// with open, the resting order, the parked transfer and the parked
// journal), and the API holds no other accounts or journals.
func (a api) expectExactlyOne(ctx context.Context, cs []customer, open bool) {
	a.t.Helper()
	extra := 0
	if open {
		extra = 1
	}
	for i, c := range a.orderedCensus(ctx, cs) {
		want := map[string]int{"accounts": 1, "ach_relationships": 1, "transfers": 1, "journals": 1, "orders": 1}
		if i == 0 {
			want["transfers"] += extra
			want["journals"] += extra
			want["orders"] += extra
		}
		got := map[string]int{"accounts": len(c.Accounts), "ach_relationships": len(c.ACH), "transfers": len(c.Transfers), "journals": len(c.Journals), "orders": len(c.Orders)}
		for k, w := range want {
			if got[k] != w {
				a.t.Errorf("%s: %d %s through the API, want %d", cs[i].Email, got[k], k, w)
			}
		}
	}
	// Nothing created under another email or between other accounts.
	accounts := a.get(ctx, "/v1/accounts", url.Values{"limit": {"1000"}})
	if want := len(cs) + 1; len(accounts) != want { // + the firm account
		a.t.Errorf("%d accounts through the API, want %d (customers + firm)", len(accounts), want)
	}
	journals := a.get(ctx, "/v1/journals", nil)
	if want := len(cs) + extra; len(journals) != want {
		a.t.Errorf("%d journals through the API, want %d", len(journals), want)
	}
}

func (a api) orderedCensus(ctx context.Context, cs []customer) []*customerObjects {
	m := a.census(ctx, cs)
	out := make([]*customerObjects, len(cs))
	for i, c := range cs {
		out[i] = m[c.Email]
	}
	return out
}

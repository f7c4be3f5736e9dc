package executor

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// accountsPage is the most GET /v1/accounts returns ("the first 1000").
const accountsPage = 1000

// accountsSince lists accounts created at or after since, oldest first, a
// page of 1,000 per request (created_after is inclusive, so each page
// starts at the newest creation time of the last), until every id in want
// has been seen or the list ends. The contact, identity, disclosures and
// trusted contact entities are asked for, so a refresh can compare them.
func (b *BrokerRemote) accountsSince(ctx context.Context, since time.Time, want map[string]bool) (map[string]Object, error) {
	out := map[string]Object{}
	after := since
	for {
		q := url.Values{"sort": {"asc"}, "entities": {"contact,identity,disclosures,trusted_contact"}}
		if !after.IsZero() {
			q.Set("created_after", after.UTC().Format(time.RFC3339Nano))
		}
		var items []Object
		if err := b.do(ctx, http.MethodGet, "/v1/accounts", q, nil, &items); err != nil {
			return nil, classify(err, false)
		}
		newest := after
		for _, it := range items {
			if id := idOf(it); id != "" {
				out[id] = it
			}
			if t, err := time.Parse(time.RFC3339Nano, fmt.Sprint(it["created_at"])); err == nil && t.After(newest) {
				newest = t
			}
		}
		seen := true
		for id := range want {
			if _, ok := out[id]; !ok {
				seen = false
				break
			}
		}
		if seen || len(items) < accountsPage || !newest.After(after) {
			return out, nil
		}
		after = newest
	}
}

package broker

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// AccountListOptions filters GET /v1/accounts. The API returns at most 1,000
// accounts; page with CreatedAfter/CreatedBefore (both inclusive).
type AccountListOptions struct {
	Query         string        // space-separated tokens, all must match (number, phone, name, email)
	CreatedAfter  time.Time     // inclusive
	CreatedBefore time.Time     // inclusive
	Status        AccountStatus // filter by status
	Sort          string        // "asc" or "desc" (API default desc)
	Entities      []string      // contact, identity, disclosures, agreements, documents, trusted_contact, trading_configurations
}

func (o AccountListOptions) values() url.Values {
	q := url.Values{}
	if o.Query != "" {
		q.Set("query", o.Query)
	}
	if !o.CreatedAfter.IsZero() {
		q.Set("created_after", o.CreatedAfter.Format(time.RFC3339Nano))
	}
	if !o.CreatedBefore.IsZero() {
		q.Set("created_before", o.CreatedBefore.Format(time.RFC3339Nano))
	}
	if o.Status != "" {
		q.Set("status", string(o.Status))
	}
	if o.Sort != "" {
		q.Set("sort", o.Sort)
	}
	if len(o.Entities) > 0 {
		q.Set("entities", strings.Join(o.Entities, ","))
	}
	return q
}

// CreateAccount submits a new account application (POST /v1/accounts). The
// request is validated first and not sent when invalid. It is not replayed
// after an ambiguous failure: expect *OutcomeUnknownError then and look the
// account up by email (ListAccounts with Query) before trying again.
func (c *Client) CreateAccount(ctx context.Context, req *AccountCreateRequest, opts ...Option) (*Account, error) {
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("create account: %w", err)
	}
	var out Account
	if err := c.Do(ctx, http.MethodPost, "/v1/accounts", nil, req, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetAccount reads one account (GET /v1/accounts/{id}). An account that is
// not yours answers 401 (IsUnauthorized), not 404.
func (c *Client) GetAccount(ctx context.Context, accountID string, opts ...Option) (*Account, error) {
	var out Account
	if err := c.Do(ctx, http.MethodGet, pathf("/v1/accounts/%s", accountID), nil, nil, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAccounts lists or searches accounts (GET /v1/accounts).
func (c *Client) ListAccounts(ctx context.Context, o AccountListOptions, opts ...Option) ([]Account, error) {
	var out []Account
	if err := c.Do(ctx, http.MethodGet, "/v1/accounts", o.values(), nil, &out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateAccount patches an account (PATCH /v1/accounts/{id}); an empty
// update is refused without sending.
func (c *Client) UpdateAccount(ctx context.Context, accountID string, req *AccountUpdateRequest, opts ...Option) (*Account, error) {
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("update account %s: %w", accountID, err)
	}
	var out Account
	if err := c.Do(ctx, http.MethodPatch, pathf("/v1/accounts/%s", accountID), nil, req, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// CloseAccount closes an account (POST /v1/accounts/{id}/actions/close,
// 204). Closing is idempotent, so the call is safe to retry.
func (c *Client) CloseAccount(ctx context.Context, accountID string, opts ...Option) error {
	opts = append(opts, WithReplayable())
	return c.Do(ctx, http.MethodPost, pathf("/v1/accounts/%s/actions/close", accountID), nil, nil, nil, opts...)
}

// GetTradeAccount reads an account's balances
// (GET /v1/trading/accounts/{id}/account).
func (c *Client) GetTradeAccount(ctx context.Context, accountID string, opts ...Option) (*TradeAccount, error) {
	var out TradeAccount
	if err := c.Do(ctx, http.MethodGet, pathf("/v1/trading/accounts/%s/account", accountID), nil, nil, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

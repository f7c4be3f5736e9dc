package broker

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// CreateACHRelationship links a bank account for ACH
// (POST /v1/accounts/{id}/ach_relationships). Not replayed after an
// ambiguous failure (*OutcomeUnknownError): list relationships to reconcile.
func (c *Client) CreateACHRelationship(ctx context.Context, accountID string, req *ACHRelationshipCreateRequest, opts ...Option) (*ACHRelationship, error) {
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("create ach relationship for account %s: %w", accountID, err)
	}
	var out ACHRelationship
	if err := c.Do(ctx, http.MethodPost, pathf("/v1/accounts/%s/ach_relationships", accountID), nil, req, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListACHRelationships lists an account's ACH relationships, optionally only
// those in the given statuses (GET .../ach_relationships?statuses=A,B).
func (c *Client) ListACHRelationships(ctx context.Context, accountID string, statuses []ACHRelationshipStatus, opts ...Option) ([]ACHRelationship, error) {
	q := url.Values{}
	if len(statuses) > 0 {
		s := make([]string, len(statuses))
		for i, st := range statuses {
			s[i] = string(st)
		}
		q.Set("statuses", strings.Join(s, ","))
	}
	var out []ACHRelationship
	if err := c.Do(ctx, http.MethodGet, pathf("/v1/accounts/%s/ach_relationships", accountID), q, nil, &out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteACHRelationship removes an ACH relationship (204).
func (c *Client) DeleteACHRelationship(ctx context.Context, accountID, relationshipID string, opts ...Option) error {
	return c.Do(ctx, http.MethodDelete, pathf("/v1/accounts/%s/ach_relationships/%s", accountID, relationshipID), nil, nil, nil, opts...)
}

// CreateBank adds a recipient bank for wires
// (POST /v1/accounts/{id}/recipient_banks). Not replayed after an ambiguous
// failure.
func (c *Client) CreateBank(ctx context.Context, accountID string, req *BankCreateRequest, opts ...Option) (*Bank, error) {
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("create recipient bank for account %s: %w", accountID, err)
	}
	var out Bank
	if err := c.Do(ctx, http.MethodPost, pathf("/v1/accounts/%s/recipient_banks", accountID), nil, req, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// BankListOptions filters ListBanks.
type BankListOptions struct {
	Status   string // ACTIVE or INACTIVE
	BankName string
}

// ListBanks lists an account's recipient banks.
func (c *Client) ListBanks(ctx context.Context, accountID string, o BankListOptions, opts ...Option) ([]Bank, error) {
	q := url.Values{}
	if o.Status != "" {
		q.Set("status", o.Status)
	}
	if o.BankName != "" {
		q.Set("bank_name", o.BankName)
	}
	var out []Bank
	if err := c.Do(ctx, http.MethodGet, pathf("/v1/accounts/%s/recipient_banks", accountID), q, nil, &out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteBank removes a recipient bank (204).
func (c *Client) DeleteBank(ctx context.Context, accountID, bankID string, opts ...Option) error {
	return c.Do(ctx, http.MethodDelete, pathf("/v1/accounts/%s/recipient_banks/%s", accountID, bankID), nil, nil, nil, opts...)
}

// CreateTransfer starts an ACH or wire transfer
// (POST /v1/accounts/{id}/transfers). Transfers take no idempotency key, so
// the call is never replayed after an ambiguous failure: on
// *OutcomeUnknownError list the account's transfers to reconcile.
func (c *Client) CreateTransfer(ctx context.Context, accountID string, req *TransferCreateRequest, opts ...Option) (*Transfer, error) {
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("create transfer for account %s: %w", accountID, err)
	}
	var out Transfer
	if err := c.Do(ctx, http.MethodPost, pathf("/v1/accounts/%s/transfers", accountID), nil, req, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// TransferListOptions filters and pages ListTransfers.
type TransferListOptions struct {
	Direction TransferDirection
	Limit     int // 0 means the API default
	Offset    int
}

// ListTransfers returns one page of an account's transfers, ordered by
// created_at (GET /v1/accounts/{id}/transfers).
func (c *Client) ListTransfers(ctx context.Context, accountID string, o TransferListOptions, opts ...Option) ([]Transfer, error) {
	q := url.Values{}
	if o.Direction != "" {
		q.Set("direction", string(o.Direction))
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Offset > 0 {
		q.Set("offset", strconv.Itoa(o.Offset))
	}
	var out []Transfer
	if err := c.Do(ctx, http.MethodGet, pathf("/v1/accounts/%s/transfers", accountID), q, nil, &out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// maxTransferPages stops ListAllTransfers on a server that never returns an
// empty page.
const maxTransferPages = 10000

// ListAllTransfers pages through all of an account's transfers by offset
// until an empty (or short, when Limit is set) page.
func (c *Client) ListAllTransfers(ctx context.Context, accountID string, o TransferListOptions, opts ...Option) ([]Transfer, error) {
	var all []Transfer
	for page := 0; page < maxTransferPages; page++ {
		batch, err := c.ListTransfers(ctx, accountID, o, opts...)
		if err != nil {
			return nil, fmt.Errorf("list transfers for account %s (offset %d): %w", accountID, o.Offset, err)
		}
		all = append(all, batch...)
		if len(batch) == 0 || (o.Limit > 0 && len(batch) < o.Limit) {
			return all, nil
		}
		o.Offset += len(batch)
	}
	return nil, fmt.Errorf("list transfers for account %s: more than %d pages", accountID, maxTransferPages)
}

// CancelTransfer cancels a transfer (DELETE .../transfers/{id}); any 2xx
// (the spec says 200, older docs 204) is success.
func (c *Client) CancelTransfer(ctx context.Context, accountID, transferID string, opts ...Option) error {
	return c.Do(ctx, http.MethodDelete, pathf("/v1/accounts/%s/transfers/%s", accountID, transferID), nil, nil, nil, opts...)
}

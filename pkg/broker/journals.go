package broker

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// CreateJournal moves cash or securities (POST /v1/journals). With a
// non-empty idempotencyKey (a UUID per logical journal) the request carries
// Idempotency-Key and is safely retried after ambiguous failures; the API
// answers a replay with the original journal. Without a key it is not
// replayed (*OutcomeUnknownError).
func (c *Client) CreateJournal(ctx context.Context, req *JournalCreateRequest, idempotencyKey string, opts ...Option) (*Journal, error) {
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("create journal: %w", err)
	}
	var out Journal
	opts = append(opts, WithIdempotencyKey(idempotencyKey))
	if err := c.Do(ctx, http.MethodPost, "/v1/journals", nil, req, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetJournal reads one journal.
func (c *Client) GetJournal(ctx context.Context, journalID string, opts ...Option) (*Journal, error) {
	var out Journal
	if err := c.Do(ctx, http.MethodGet, pathf("/v1/journals/%s", journalID), nil, nil, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// JournalListOptions filters GET /v1/journals.
type JournalListOptions struct {
	After       Date // created on or after (YYYY-MM-DD)
	Before      Date // created before
	Status      JournalStatus
	EntryType   EntryType
	ToAccount   string
	FromAccount string
	Limit       int
}

func (o JournalListOptions) values() url.Values {
	q := url.Values{}
	if !o.After.IsZero() {
		q.Set("after", o.After.String())
	}
	if !o.Before.IsZero() {
		q.Set("before", o.Before.String())
	}
	if o.Status != "" {
		q.Set("status", string(o.Status))
	}
	if o.EntryType != "" {
		q.Set("entry_type", string(o.EntryType))
	}
	if o.ToAccount != "" {
		q.Set("to_account", o.ToAccount)
	}
	if o.FromAccount != "" {
		q.Set("from_account", o.FromAccount)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	return q
}

// ListJournals lists journals (GET /v1/journals).
func (c *Client) ListJournals(ctx context.Context, o JournalListOptions, opts ...Option) ([]Journal, error) {
	var out []Journal
	if err := c.Do(ctx, http.MethodGet, "/v1/journals", o.values(), nil, &out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// CancelJournal deletes a pending journal (DELETE /v1/journals/{id}, 204);
// other statuses answer 422.
func (c *Client) CancelJournal(ctx context.Context, journalID string, opts ...Option) error {
	return c.Do(ctx, http.MethodDelete, pathf("/v1/journals/%s", journalID), nil, nil, nil, opts...)
}

// CreateBatchJournal sends cash from one account to many
// (POST /v1/journals/batch). Like CreateJournal, a non-empty idempotencyKey
// makes it safe to replay. Each result carries error_message when that entry
// failed.
func (c *Client) CreateBatchJournal(ctx context.Context, req *BatchJournalRequest, idempotencyKey string, opts ...Option) ([]BatchJournalResult, error) {
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("create batch journal: %w", err)
	}
	var out []BatchJournalResult
	opts = append(opts, WithIdempotencyKey(idempotencyKey))
	if err := c.Do(ctx, http.MethodPost, "/v1/journals/batch", nil, req, &out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateReverseBatchJournal sends cash from many accounts to one
// (POST /v1/journals/reverse_batch). The API takes no idempotency key here,
// so it is never replayed after an ambiguous failure.
func (c *Client) CreateReverseBatchJournal(ctx context.Context, req *ReverseBatchJournalRequest, opts ...Option) ([]BatchJournalResult, error) {
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("create reverse batch journal: %w", err)
	}
	var out []BatchJournalResult
	if err := c.Do(ctx, http.MethodPost, "/v1/journals/reverse_batch", nil, req, &out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

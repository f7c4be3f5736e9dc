package broker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// CreateOrder places an order for an account
// (POST /v1/trading/accounts/{id}/orders). An order with a client_order_id
// is replayed after ambiguous failures (the API rejects a reused id, so it
// cannot fill twice); if a replay is rejected as a duplicate, the order made
// by the earlier attempt is fetched and returned. Without a client_order_id
// the call is never replayed (*OutcomeUnknownError).
func (c *Client) CreateOrder(ctx context.Context, accountID string, req *OrderCreateRequest, opts ...Option) (*Order, error) {
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("create order for account %s: %w", accountID, err)
	}
	if req.ClientOrderID != "" {
		opts = append(opts, WithReplayable())
	}
	var out Order
	var attempts int32
	opts = append(opts, withAttempts(&attempts))
	err := c.Do(ctx, http.MethodPost, pathf("/v1/trading/accounts/%s/orders", accountID), nil, req, &out, opts...)
	if err != nil {
		// A duplicate after a replay means our earlier attempt went through.
		if req.ClientOrderID != "" && IsDuplicateClientOrderID(err) && attempts > 1 {
			o, getErr := c.GetOrderByClientOrderID(ctx, accountID, req.ClientOrderID)
			if getErr == nil {
				return o, nil
			}
			return nil, errors.Join(err, getErr)
		}
		return nil, err
	}
	return &out, nil
}

// GetOrder reads one order; nested includes the legs.
func (c *Client) GetOrder(ctx context.Context, accountID, orderID string, nested bool, opts ...Option) (*Order, error) {
	q := url.Values{}
	if nested {
		q.Set("nested", "true")
	}
	var out Order
	if err := c.Do(ctx, http.MethodGet, pathf("/v1/trading/accounts/%s/orders/%s", accountID, orderID), q, nil, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetOrderByClientOrderID reads the order with the given client_order_id
// (GET .../orders:by_client_order_id?client_order_id=; a single object).
func (c *Client) GetOrderByClientOrderID(ctx context.Context, accountID, clientOrderID string, opts ...Option) (*Order, error) {
	q := url.Values{"client_order_id": {clientOrderID}}
	var out Order
	if err := c.Do(ctx, http.MethodGet, pathf("/v1/trading/accounts/%s/orders:by_client_order_id", accountID), q, nil, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// OrderListOptions filters GET /v1/trading/accounts/{id}/orders.
type OrderListOptions struct {
	Status    string    // open (API default), closed or all
	Limit     int       // API default 50, max 500
	After     time.Time // exclusive
	Until     time.Time // exclusive
	Direction string    // asc or desc (API default desc)
	Nested    bool
	Symbols   []string
}

func (o OrderListOptions) values() url.Values {
	q := url.Values{}
	if o.Status != "" {
		q.Set("status", o.Status)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if !o.After.IsZero() {
		q.Set("after", o.After.Format(time.RFC3339Nano))
	}
	if !o.Until.IsZero() {
		q.Set("until", o.Until.Format(time.RFC3339Nano))
	}
	if o.Direction != "" {
		q.Set("direction", o.Direction)
	}
	if o.Nested {
		q.Set("nested", "true")
	}
	if len(o.Symbols) > 0 {
		q.Set("symbols", strings.Join(o.Symbols, ","))
	}
	return q
}

// ListOrders lists an account's orders.
func (c *Client) ListOrders(ctx context.Context, accountID string, o OrderListOptions, opts ...Option) ([]Order, error) {
	var out []Order
	if err := c.Do(ctx, http.MethodGet, pathf("/v1/trading/accounts/%s/orders", accountID), o.values(), nil, &out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// CancelOrder cancels one order (204); an order that can no longer be
// canceled answers 422.
func (c *Client) CancelOrder(ctx context.Context, accountID, orderID string, opts ...Option) error {
	return c.Do(ctx, http.MethodDelete, pathf("/v1/trading/accounts/%s/orders/%s", accountID, orderID), nil, nil, nil, opts...)
}

// CancelAllOrders cancels every open order of an account. The API answers
// 207 with one result per order; check each with Err.
func (c *Client) CancelAllOrders(ctx context.Context, accountID string, opts ...Option) ([]CancelOrderResult, error) {
	var out []CancelOrderResult
	if err := c.Do(ctx, http.MethodDelete, pathf("/v1/trading/accounts/%s/orders", accountID), nil, nil, &out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// ListPositions lists an account's open positions.
func (c *Client) ListPositions(ctx context.Context, accountID string, opts ...Option) ([]Position, error) {
	var out []Position
	if err := c.Do(ctx, http.MethodGet, pathf("/v1/trading/accounts/%s/positions", accountID), nil, nil, &out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// GetPosition reads one position by symbol or asset id (404 when none).
func (c *Client) GetPosition(ctx context.Context, accountID, symbolOrAssetID string, opts ...Option) (*Position, error) {
	var out Position
	if err := c.Do(ctx, http.MethodGet, pathf("/v1/trading/accounts/%s/positions/%s", accountID, symbolOrAssetID), nil, nil, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// ClosePositionOptions says how much of a position to close: Qty or
// Percentage (0-100), not both; neither closes it all.
type ClosePositionOptions struct {
	Qty        *Decimal
	Percentage *Decimal
}

// Validate checks that at most one of qty and percentage is set and that
// percentage is within (0, 100].
func (o ClosePositionOptions) Validate() error {
	if o.Qty != nil && o.Percentage != nil {
		return invalid("percentage", "qty and percentage cannot both be set")
	}
	if o.Qty != nil && !o.Qty.IsPositive() {
		return invalid("qty", "must be greater than 0 (got %s)", o.Qty)
	}
	if o.Percentage != nil && (!o.Percentage.IsPositive() || o.Percentage.Cmp(MustDecimal("100")) > 0) {
		return invalid("percentage", "must be between 0 and 100 (got %s)", o.Percentage)
	}
	return nil
}

// ClosePosition liquidates (part of) a position and returns the liquidating
// order (DELETE .../positions/{symbol}).
func (c *Client) ClosePosition(ctx context.Context, accountID, symbolOrAssetID string, o ClosePositionOptions, opts ...Option) (*Order, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("close position %s of account %s: %w", symbolOrAssetID, accountID, err)
	}
	q := url.Values{}
	if o.Qty != nil {
		q.Set("qty", o.Qty.String())
	}
	if o.Percentage != nil {
		q.Set("percentage", o.Percentage.String())
	}
	if o.Qty != nil || o.Percentage != nil {
		// A partial close is not idempotent: never replay it blindly.
		opts = append(opts, withReplay(false))
	}
	var out Order
	if err := c.Do(ctx, http.MethodDelete, pathf("/v1/trading/accounts/%s/positions/%s", accountID, symbolOrAssetID), q, nil, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// CloseAllPositions liquidates every position (DELETE .../positions), first
// canceling open orders when cancelOrders is set. The API answers 207 with
// one result per symbol; check each with Err.
func (c *Client) CloseAllPositions(ctx context.Context, accountID string, cancelOrders bool, opts ...Option) ([]ClosePositionResult, error) {
	q := url.Values{}
	if cancelOrders {
		q.Set("cancel_orders", "true")
	}
	var out []ClosePositionResult
	if err := c.Do(ctx, http.MethodDelete, pathf("/v1/trading/accounts/%s/positions", accountID), q, nil, &out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

package emulator

import (
	"net/http"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/shopspring/decimal"
)

// orderReplaceRequest is the body of PATCH .../orders/{order_id}.
type orderReplaceRequest struct {
	Qty           *broker.Decimal    `json:"qty"`
	TimeInForce   broker.TimeInForce `json:"time_in_force"`
	LimitPrice    *broker.Decimal    `json:"limit_price"`
	StopPrice     *broker.Decimal    `json:"stop_price"`
	Trail         *broker.Decimal    `json:"trail"`
	ClientOrderID string             `json:"client_order_id"`
}

// replaceOrder replaces an open order with a new one (a new id), as the
// API does: the old order becomes "replaced" and points at the new one.
func (e *Emulator) replaceOrder(w http.ResponseWriter, r *http.Request) error {
	var req orderReplaceRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Qty != nil && (!req.Qty.IsPositive() || !req.Qty.Dec().IsInteger()) {
		return validation("qty: must be a positive whole number of shares")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runDueLocked()
	a, old, err := e.orderFor(r)
	if err != nil {
		return err
	}
	switch {
	case old.Status != ordNew && old.Status != "partially_filled":
		return &apiError{Status: http.StatusUnprocessableEntity, Code: 42210000,
			Message: "order is in \"" + old.Status + "\" state and cannot be replaced"}
	case old.Notional != "":
		return validation("notional orders cannot be replaced")
	}
	next := broker.OrderCreateRequest{Symbol: old.Symbol, Qty: optDec(old.Qty), Side: broker.OrderSide(old.Side),
		Type: broker.OrderType(old.Type), TimeInForce: broker.TimeInForce(old.TimeInForce),
		LimitPrice: optDec(old.LimitPrice), StopPrice: optDec(old.StopPrice), ClientOrderID: req.ClientOrderID,
		ExtendedHours: old.ExtendedHours, PositionIntent: old.PositionIntent}
	if req.Qty != nil {
		next.Qty = req.Qty
	}
	if req.TimeInForce != "" {
		next.TimeInForce = req.TimeInForce
	}
	if req.LimitPrice != nil {
		next.LimitPrice = req.LimitPrice
	}
	if req.StopPrice != nil {
		next.StopPrice = req.StopPrice
	}
	if next.Type == broker.OrderTypeTrailingStop {
		next.TrailPrice = req.Trail
		if next.TrailPrice == nil {
			one := broker.MustDecimal("1")
			next.TrailPrice = &one
		}
	}
	if err := validateOrder(&next); err != nil {
		return err
	}
	as := e.prices.heldAsset(old.Symbol, a.Positions[old.Symbol])
	// Release the old order's hold for the check, and restore it on failure.
	hold := old.Hold
	e.releaseHoldLocked(a, old)
	o, err := e.placeOrderLocked(a, &next, as)
	if err != nil {
		e.reserveHoldLocked(a, old, hold)
		return err
	}
	now := e.now()
	o.Replaces = old.ID
	old.ReplacedAt, old.ReplacedBy = now, o.ID
	e.setOrderStatus(old, "replaced", now, nil)
	e.created("order")
	writeJSON(w, http.StatusOK, e.orderWire(o))
	return nil
}

func (e *Emulator) releaseHoldLocked(a *account, o *order) {
	if o.Side == "buy" {
		a.Reserved = a.Reserved.Sub(o.Hold)
	} else if p := a.Positions[o.Symbol]; p != nil {
		p.Held = p.Held.Sub(o.Hold)
	}
	o.Hold = decimal.Zero
}

func (e *Emulator) reserveHoldLocked(a *account, o *order, hold decimal.Decimal) {
	if o.Side == "buy" {
		a.Reserved = a.Reserved.Add(hold)
	} else if p := a.Positions[o.Symbol]; p != nil {
		p.Held = p.Held.Add(hold)
	}
	o.Hold = hold
}

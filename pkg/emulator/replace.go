package emulator

import (
	"net/http"
	"slices"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/google/uuid"
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
	if old.ParentID != "" || len(old.LegIDs) > 0 {
		return e.replaceInGroupLocked(w, a, old, &req)
	}
	switch {
	case old.Status != ordNew:
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
		// trail replaces whichever of trail_price and trail_percent the
		// order has (the docs: one cannot switch to the other).
		next.StopPrice = nil
		next.TrailPrice, next.TrailPercent = optDec(old.TrailPrice), optDec(old.TrailPercent)
		if req.Trail != nil && next.TrailPrice != nil {
			next.TrailPrice = req.Trail
		} else if req.Trail != nil {
			next.TrailPercent = req.Trail
		}
	} else if req.Trail != nil {
		return validation("trail: only trailing_stop orders have a trail")
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

// replaceInGroupLocked replaces an order of a bracket or oco group: only
// its limit_price and stop_price change, the new order takes the old one's
// place (and hold) in the group. OTO groups cannot be replaced (docs), nor
// the entry order of a bracket (the emulator's choice).
func (e *Emulator) replaceInGroupLocked(w http.ResponseWriter, a *account, old *order, req *orderReplaceRequest) error {
	switch {
	case old.OrderClass == string(broker.OrderClassOTO):
		return validation("oto orders cannot be replaced")
	case old.ParentID == "" && old.OrderClass != string(broker.OrderClassOCO):
		return validation("the entry order of a bracket order cannot be replaced; replace its take-profit or stop-loss leg")
	case !openOrder(old.Status) || old.Status == ordAccepted:
		return &apiError{Status: http.StatusUnprocessableEntity, Code: 42210000,
			Message: "order is in \"" + old.Status + "\" state and cannot be replaced"}
	case req.Qty != nil || req.TimeInForce != "" || req.Trail != nil:
		return validation("only limit_price and stop_price of a %s order can be replaced", old.OrderClass)
	case req.LimitPrice != nil && old.LimitPrice == "", req.StopPrice != nil && old.StopPrice == "":
		return validation("a %s order has no price of that kind to replace", old.Type)
	case req.ClientOrderID != "" && a.clientOrderIDs[req.ClientOrderID] != nil:
		return validation("client_order_id must be unique")
	}
	now := e.now()
	n := *old
	n.ID, n.ClientOrderID, n.CreatedAt, n.UpdatedAt, n.SubmittedAt = uuid.NewString(), req.ClientOrderID, now, now, now
	if n.ClientOrderID == "" {
		n.ClientOrderID = uuid.NewString()
	}
	n.Replaces, n.ReplacedBy, n.ReplacedAt = old.ID, "", time.Time{}
	n.LegIDs = slices.Clone(old.LegIDs)
	if req.LimitPrice != nil {
		n.LimitPrice = req.LimitPrice.String()
	}
	if req.StopPrice != nil {
		n.StopPrice = req.StopPrice.String()
	}
	for _, id := range n.LegIDs {
		if l := e.st.orders[id]; l != nil {
			l.ParentID = n.ID
		}
	}
	if p := e.st.orders[n.ParentID]; p != nil {
		if i := slices.Index(p.LegIDs, old.ID); i >= 0 {
			p.LegIDs[i] = n.ID
		}
	}
	old.Hold = decimal.Zero
	e.st.Orders = append(e.st.Orders, &n)
	e.st.orders[n.ID] = &n
	a.clientOrderIDs[n.ClientOrderID] = &n
	old.ReplacedAt, old.ReplacedBy = now, n.ID
	e.setOrderStatus(old, "replaced", now, nil)
	if n.Status != ordHeld {
		e.publishTrade(&n, ordNew, now, nil)
	}
	if e.working(&n) {
		e.workLocked(&n, now)
	}
	e.created("order")
	writeJSON(w, http.StatusOK, e.orderWireNested(&n))
	return nil
}

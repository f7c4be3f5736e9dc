package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Realistic order timings: accepted → new, then a fill shortly after.
const (
	orderRouteDelay = 100 * time.Millisecond
	orderFillDelay  = 400 * time.Millisecond
)

// Order statuses.
const (
	ordAccepted = "accepted"
	ordNew      = "new"
	ordFilled   = "filled"
	ordCanceled = "canceled"
	ordExpired  = "expired"
	ordPartial  = "partially_filled"
)

// validateOrder runs the order-class rules, the request type's Validate,
// then the emulator's own limits (long positions only, trailing stops day
// or gtc, fractional shares only for market day orders).
func validateOrder(req *broker.OrderCreateRequest) error {
	req.Side = broker.OrderSide(strings.ToLower(string(req.Side)))
	req.Type = broker.OrderType(strings.ToLower(string(req.Type)))
	req.TimeInForce = broker.TimeInForce(strings.ToLower(string(req.TimeInForce)))
	req.OrderClass = broker.OrderClass(strings.ToLower(string(req.OrderClass)))
	if err := classPrecheck(req); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return validationFrom(err)
	}
	switch {
	case req.Type == broker.OrderTypeTrailingStop && req.TimeInForce != "day" && req.TimeInForce != "gtc":
		return validation("time_in_force: trailing_stop orders must be day or gtc (got %s)", req.TimeInForce)
	case req.Side != "buy" && req.Side != "sell":
		return validation("side: %s is not supported by the emulator (buy or sell)", req.Side)
	case req.Qty != nil && !req.Qty.Dec().IsInteger() && (req.Type != "market" || req.TimeInForce != "day"):
		return validation("qty: fractional orders must be market orders with time_in_force day")
	}
	return nil
}

func (e *Emulator) createOrder(w http.ResponseWriter, r *http.Request) error {
	var req broker.OrderCreateRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := validateOrder(&req); err != nil {
		return err
	}
	as, ok := e.prices.lookup(req.Symbol)
	if !ok {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: 42210000, Message: "asset \"" + req.Symbol + "\" not found"}
	}
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	o, err := e.placeOrderLocked(a, &req, as)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	out := e.orderWireNested(o)
	e.mu.Unlock()
	e.created("order")
	writeJSON(w, http.StatusOK, out)
	return nil
}

// placeOrderLocked checks and reserves funds or shares and stores the order.
func (e *Emulator) placeOrderLocked(a *account, req *broker.OrderCreateRequest, as *asset) (*order, error) {
	if a.Status != statusActive {
		return nil, errorf(http.StatusForbidden, "account is not active (status %s)", a.Status)
	}
	if req.ClientOrderID != "" && a.clientOrderIDs[req.ClientOrderID] != nil {
		return nil, validation("client_order_id must be unique")
	}
	if err := checkClassLocked(a, req, as); err != nil {
		return nil, err
	}
	now := e.now()
	o := &order{ID: uuid.NewString(), AccountID: a.ID, ClientOrderID: req.ClientOrderID, CreatedAt: now,
		UpdatedAt: now, SubmittedAt: now, AssetID: as.ID, Symbol: as.Symbol, Notional: text(req.Notional),
		Qty: text(req.Qty), FilledQty: "0", Type: string(req.Type), Side: string(req.Side),
		TimeInForce: string(req.TimeInForce), LimitPrice: text(req.LimitPrice), StopPrice: text(req.StopPrice),
		Status: ordAccepted, ExtendedHours: req.ExtendedHours, Commission: text(req.Commission),
		PositionIntent: req.PositionIntent, OrderClass: string(req.OrderClass), TrailPrice: text(req.TrailPrice),
		TrailPercent: text(req.TrailPercent)}
	trailingStop(o, as.Price)
	if o.ClientOrderID == "" {
		o.ClientOrderID = uuid.NewString()
	}
	o.CommissionType = string(req.CommissionType)
	if o.Commission == "" && req.CommissionBps != nil {
		o.Commission, o.CommissionType = req.CommissionBps.String(), string(broker.CommissionBps) // deprecated form
	}
	if o.Commission == "" {
		o.Commission = "0"
	}
	ref := as.Price
	if req.LimitPrice != nil && req.Side == "buy" {
		ref = req.LimitPrice.Dec()
	}
	if req.Side == "buy" {
		var cost decimal.Decimal
		if req.Qty != nil {
			cost = req.Qty.Dec().Mul(ref)
		} else {
			cost = req.Notional.Dec()
		}
		if avail := a.Cash.Sub(a.Reserved); cost.GreaterThan(avail) {
			return nil, &apiError{Status: http.StatusForbidden, Code: 40310000, Message: "insufficient buying power",
				Extra: map[string]any{"buying_power": avail.String(), "cost_basis": cost.StringFixed(2)}}
		}
		o.Hold = cost
		a.Reserved = a.Reserved.Add(cost)
	} else {
		var qty decimal.Decimal
		if req.Qty != nil {
			qty = req.Qty.Dec()
		} else {
			qty = req.Notional.Dec().DivRound(as.Price, 9)
		}
		p := a.Positions[as.Symbol]
		have, held := decimal.Zero, decimal.Zero
		if p != nil {
			have, held = p.Qty, p.Held
		}
		if avail := have.Sub(held); qty.GreaterThan(avail) {
			if have.IsZero() {
				return nil, errorf(http.StatusForbidden, "account is not allowed to short")
			}
			return nil, &apiError{Status: http.StatusForbidden, Code: 40310000,
				Message: "insufficient qty available for order (requested: " + qty.String() + ", available: " + avail.String() + ")",
				Extra: map[string]any{"available": avail.String(), "existing_qty": have.String(),
					"held_for_orders": held.String(), "symbol": as.Symbol}}
		}
		p.Held = p.Held.Add(qty)
		o.Hold = qty
	}
	e.st.Orders = append(e.st.Orders, o)
	e.st.orders[o.ID] = o
	a.clientOrderIDs[o.ClientOrderID] = o
	switch req.OrderClass {
	case broker.OrderClassBracket, broker.OrderClassOCO, broker.OrderClassOTO:
		e.addLegsLocked(a, o, req, now)
	}
	e.publishTrade(o, ordAccepted, now, nil)
	e.scheduleOrderLocked(o, now)
	return o, nil
}

// text is a decimal's wire text, "" for nil.
func text(d *broker.Decimal) string {
	if d == nil {
		return ""
	}
	return d.String()
}

// marketable reports whether o can fill at price and at what price.
func marketable(o *order, price decimal.Decimal) bool {
	lim, _ := decimal.NewFromString(o.LimitPrice)
	stop, _ := decimal.NewFromString(o.StopPrice)
	buy := o.Side == "buy"
	switch o.Type {
	case "market":
		return true
	case "limit":
		return (buy && price.LessThanOrEqual(lim)) || (!buy && price.GreaterThanOrEqual(lim))
	case "stop", "trailing_stop":
		return (buy && price.GreaterThanOrEqual(stop)) || (!buy && price.LessThanOrEqual(stop))
	case "stop_limit":
		trig := (buy && price.GreaterThanOrEqual(stop)) || (!buy && price.LessThanOrEqual(stop))
		return trig && ((buy && price.LessThanOrEqual(lim)) || (!buy && price.GreaterThanOrEqual(lim)))
	}
	return false
}

// scheduleOrderLocked: accepted → new; then fill if marketable, else
// cancel (ioc/fok), expire at end of day (day) or rest (gtc).
func (e *Emulator) scheduleOrderLocked(o *order, now time.Time) {
	id := o.ID
	switch o.Status {
	case ordAccepted:
		e.after(now, orderRouteDelay, func(due time.Time) {
			o := e.st.orders[id]
			if o == nil || o.Status != ordAccepted {
				return
			}
			e.setOrderStatus(o, ordNew, due, nil)
			e.scheduleOrderLocked(o, due)
		})
	case ordNew, ordPartial, ordHeld:
		if e.working(o) {
			e.workLocked(o, now)
		}
	}
}

// workLocked fills o if the price allows, else cancels it (ioc/fok),
// expires it at end of day (day) or lets it rest (gtc).
func (e *Emulator) workLocked(o *order, now time.Time) {
	id := o.ID
	if e.tryFillLocked(o, now) && o.TimeInForce != "day" {
		return // a day order that starts filling may still expire (a block order's rest)
	}
	switch o.TimeInForce {
	case "ioc", "fok":
		e.after(now, orderFillDelay, func(due time.Time) {
			if o := e.st.orders[id]; o != nil && e.working(o) {
				e.endOrderLocked(o, ordCanceled, due)
			}
		})
	case "day", "opg", "cls":
		e.at(endOfDay(now), func(due time.Time) {
			if o := e.st.orders[id]; o != nil && e.working(o) {
				e.endOrderLocked(o, ordExpired, due)
			}
		})
	}
}

// tryFillLocked schedules o's fill at the current price when it is
// marketable (trailing stops first follow the price).
func (e *Emulator) tryFillLocked(o *order, now time.Time) bool {
	as := e.prices.heldAsset(o.Symbol, e.st.accounts[o.AccountID].Positions[o.Symbol])
	trailingStop(o, as.Price)
	if !marketable(o, as.Price) {
		return false
	}
	id := o.ID
	e.after(now, orderFillDelay, func(due time.Time) {
		if o := e.st.orders[id]; o != nil && e.working(o) {
			e.fillOrderLocked(o, as.Price, due)
		}
	})
	return true
}

// endOrderLocked cancels or expires o, releasing what it held.
func (e *Emulator) endOrderLocked(o *order, status string, at time.Time) {
	e.releaseHoldLocked(e.st.accounts[o.AccountID], o)
	if status == ordCanceled {
		o.CanceledAt = at
	} else {
		o.ExpiredAt = at
	}
	e.setOrderStatus(o, status, at, nil)
	e.endGroupLocked(o, at)
}

var tradeEventName = map[string]string{ordAccepted: "accepted", ordNew: "new", ordFilled: "fill", ordPartial: "partial_fill",
	ordCanceled: "canceled", ordExpired: "expired", "replaced": "replaced"}

func (e *Emulator) setOrderStatus(o *order, status string, at time.Time, fill *tradeDetail) {
	o.Status, o.UpdatedAt = status, at
	e.publishTrade(o, tradeEventName[status], at, fill)
}

func (e *Emulator) publishTrade(o *order, name string, at time.Time, fill *tradeDetail) {
	b, _ := json.Marshal(e.orderWire(o))
	d := tradeDetail{}
	if fill != nil {
		d = *fill
	}
	d.Event, d.ExecutionID, d.Order = name, uuid.NewString(), b
	e.hub.publish(event{Stream: streamTrades, At: at, AccountID: o.AccountID, EntityID: o.ID, Trade: &d})
}

// addShares adds qty at price to a's position in sym.
func addShares(a *account, sym string, qty, price decimal.Decimal) {
	if a.Positions == nil {
		a.Positions = map[string]*position{}
	}
	p := a.Positions[sym]
	if p == nil {
		p = &position{Symbol: sym}
		a.Positions[sym] = p
	}
	p.Qty = p.Qty.Add(qty)
	p.CostBase = p.CostBase.Add(qty.Mul(price))
}

// removeShares removes qty from a's position in sym at its average cost.
func removeShares(a *account, sym string, qty decimal.Decimal) {
	p := a.Positions[sym]
	if p == nil {
		return
	}
	if qty.GreaterThanOrEqual(p.Qty) {
		delete(a.Positions, sym)
		return
	}
	p.CostBase = p.CostBase.Sub(p.CostBase.Mul(qty).DivRound(p.Qty, 9))
	p.Qty = p.Qty.Sub(qty)
}

package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

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
)

var (
	orderTypes = map[string]bool{"market": true, "limit": true, "stop": true, "stop_limit": true, "trailing_stop": true}
	orderTIFs  = map[string]bool{"day": true, "gtc": true, "opg": true, "cls": true, "ioc": true, "fok": true}
)

type orderRequest struct {
	Symbol         string      `json:"symbol"`
	Qty            flexDecimal `json:"qty"`
	Notional       flexDecimal `json:"notional"`
	Side           string      `json:"side"`
	Type           string      `json:"type"`
	TimeInForce    string      `json:"time_in_force"`
	LimitPrice     flexDecimal `json:"limit_price"`
	StopPrice      flexDecimal `json:"stop_price"`
	TrailPrice     flexDecimal `json:"trail_price"`
	TrailPercent   flexDecimal `json:"trail_percent"`
	ExtendedHours  bool        `json:"extended_hours"`
	ClientOrderID  string      `json:"client_order_id"`
	OrderClass     string      `json:"order_class"`
	Commission     flexDecimal `json:"commission"`
	PositionIntent string      `json:"position_intent"`
}

// validate applies the documented request rules.
func (req *orderRequest) validate() error {
	switch {
	case !orderTypes[req.Type]:
		return validation("type must be one of market, limit, stop, stop_limit, trailing_stop")
	case !orderTIFs[req.TimeInForce]:
		return validation("time_in_force must be one of day, gtc, opg, cls, ioc, fok")
	case req.Symbol == "":
		return validation("symbol is required")
	case req.Side != "buy" && req.Side != "sell":
		return validation("side must be buy or sell")
	case req.Qty.Set && req.Notional.Set:
		return validation("qty and notional cannot both be set")
	case !req.Qty.Set && !req.Notional.Set:
		return validation("qty or notional is required")
	case req.Qty.Set && !req.Qty.Dec.IsPositive():
		return validation("qty must be greater than 0")
	case req.Notional.Set && !req.Notional.Dec.IsPositive():
		return validation("notional must be greater than 0")
	case req.Notional.Set && (req.Type != "market" && req.Type != "limit" || req.TimeInForce != "day"):
		return validation("notional orders must be market or limit orders with time_in_force day")
	case req.Qty.Set && !req.Qty.Dec.IsInteger() && (req.Type != "market" || req.TimeInForce != "day"):
		return validation("fractional orders must be market orders with time_in_force day")
	case (req.Type == "limit" || req.Type == "stop_limit") && !req.LimitPrice.Set:
		return validation("limit_price is required for %s orders", req.Type)
	case (req.Type == "stop" || req.Type == "stop_limit") && !req.StopPrice.Set:
		return validation("stop_price is required for %s orders", req.Type)
	case req.Type == "trailing_stop" && req.TrailPrice.Set == req.TrailPercent.Set:
		return validation("exactly one of trail_price or trail_percent is required for trailing_stop orders")
	case req.ExtendedHours && (req.Type != "limit" || (req.TimeInForce != "day" && req.TimeInForce != "gtc")):
		return validation("extended hours orders must be limit orders with time_in_force day or gtc")
	case len(req.ClientOrderID) > 128:
		return validation("client_order_id must be at most 128 characters")
	case req.OrderClass != "" && req.OrderClass != "simple":
		return validation("order_class %s is not supported by the emulator", req.OrderClass)
	}
	return nil
}

func (e *Emulator) createOrder(w http.ResponseWriter, r *http.Request) error {
	var req orderRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	req.Side, req.Type, req.TimeInForce = strings.ToLower(req.Side), strings.ToLower(req.Type), strings.ToLower(req.TimeInForce)
	if err := req.validate(); err != nil {
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
	out := e.orderWire(o)
	e.mu.Unlock()
	e.created("order")
	writeJSON(w, http.StatusOK, out)
	return nil
}

// placeOrderLocked checks and reserves funds or shares and stores the order.
func (e *Emulator) placeOrderLocked(a *account, req *orderRequest, as *asset) (*order, error) {
	if a.Status != statusActive {
		return nil, errorf(http.StatusForbidden, "account is not active (status %s)", a.Status)
	}
	if req.ClientOrderID != "" && a.clientOrderIDs[req.ClientOrderID] != nil {
		return nil, validation("client_order_id must be unique")
	}
	now := e.clock.Now()
	o := &order{ID: uuid.NewString(), AccountID: a.ID, ClientOrderID: req.ClientOrderID, CreatedAt: now,
		UpdatedAt: now, SubmittedAt: now, AssetID: as.ID, Symbol: as.Symbol, Notional: req.Notional.Raw,
		Qty: req.Qty.Raw, FilledQty: "0", Type: req.Type, Side: req.Side, TimeInForce: req.TimeInForce,
		LimitPrice: req.LimitPrice.Raw, StopPrice: req.StopPrice.Raw, Status: ordAccepted,
		ExtendedHours: req.ExtendedHours, Commission: req.Commission.Raw, PositionIntent: req.PositionIntent}
	if o.ClientOrderID == "" {
		o.ClientOrderID = uuid.NewString()
	}
	if o.Commission == "" {
		o.Commission = "0"
	}
	ref := as.Price
	if req.LimitPrice.Set && req.Side == "buy" {
		ref = req.LimitPrice.Dec
	}
	if req.Side == "buy" {
		cost := req.Notional.Dec
		if req.Qty.Set {
			cost = req.Qty.Dec.Mul(ref)
		}
		if avail := a.Cash.Sub(a.Reserved); cost.GreaterThan(avail) {
			return nil, &apiError{Status: http.StatusForbidden, Code: 40310000, Message: "insufficient buying power",
				Extra: map[string]any{"buying_power": avail.String(), "cost_basis": cost.StringFixed(2)}}
		}
		o.Hold = cost
		a.Reserved = a.Reserved.Add(cost)
	} else {
		qty := req.Qty.Dec
		if !req.Qty.Set {
			qty = req.Notional.Dec.DivRound(as.Price, 9)
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
	e.publishTrade(o, ordAccepted, now, nil)
	e.scheduleOrderLocked(o, now)
	return o, nil
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
	case "stop":
		return (buy && price.GreaterThanOrEqual(stop)) || (!buy && price.LessThanOrEqual(stop))
	case "stop_limit":
		trig := (buy && price.GreaterThanOrEqual(stop)) || (!buy && price.LessThanOrEqual(stop))
		return trig && ((buy && price.LessThanOrEqual(lim)) || (!buy && price.GreaterThanOrEqual(lim)))
	}
	return false // trailing stops never trigger on a fixed price
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
	case ordNew:
		as, _ := e.prices.lookup(o.Symbol)
		switch {
		case as != nil && marketable(o, as.Price):
			e.after(now, orderFillDelay, func(due time.Time) {
				if o := e.st.orders[id]; o != nil && o.Status == ordNew {
					e.fillOrderLocked(o, as.Price, due)
				}
			})
		case o.TimeInForce == "ioc" || o.TimeInForce == "fok":
			e.after(now, orderFillDelay, func(due time.Time) {
				if o := e.st.orders[id]; o != nil && o.Status == ordNew {
					e.endOrderLocked(o, ordCanceled, due)
				}
			})
		case o.TimeInForce == "day" || o.TimeInForce == "opg" || o.TimeInForce == "cls":
			e.at(endOfDay(now), func(due time.Time) {
				if o := e.st.orders[id]; o != nil && o.Status == ordNew {
					e.endOrderLocked(o, ordExpired, due)
				}
			})
		}
	}
}

// fillOrderLocked fills o completely at price, moving cash and shares.
func (e *Emulator) fillOrderLocked(o *order, price decimal.Decimal, at time.Time) {
	a := e.st.accounts[o.AccountID]
	qty, _ := decimal.NewFromString(o.Qty)
	if o.Qty == "" {
		n, _ := decimal.NewFromString(o.Notional)
		qty = n.DivRound(price, 9)
	}
	value := qty.Mul(price)
	if o.Side == "buy" {
		a.Reserved = a.Reserved.Sub(o.Hold)
		a.Cash = a.Cash.Sub(value)
		addShares(a, o.Symbol, qty, price)
	} else {
		if p := a.Positions[o.Symbol]; p != nil {
			p.Held = p.Held.Sub(o.Hold)
		}
		removeShares(a, o.Symbol, qty)
		a.Cash = a.Cash.Add(value)
	}
	o.Hold = decimal.Zero
	o.FilledQty, o.FilledAvgPrice, o.FilledAt = qty.String(), price.String(), at
	pos := "0"
	if p := a.Positions[o.Symbol]; p != nil {
		pos = p.Qty.String()
	}
	e.setOrderStatus(o, ordFilled, at, &tradeDetail{Price: price.String(), Qty: qty.String(), PositionQty: pos,
		SettleDate: at.UTC().AddDate(0, 0, 1).Format(time.DateOnly)})
}

// endOrderLocked cancels or expires o, releasing what it held.
func (e *Emulator) endOrderLocked(o *order, status string, at time.Time) {
	a := e.st.accounts[o.AccountID]
	if o.Side == "buy" {
		a.Reserved = a.Reserved.Sub(o.Hold)
	} else if p := a.Positions[o.Symbol]; p != nil {
		p.Held = p.Held.Sub(o.Hold)
	}
	o.Hold = decimal.Zero
	if status == ordCanceled {
		o.CanceledAt = at
	} else {
		o.ExpiredAt = at
	}
	e.setOrderStatus(o, status, at, nil)
}

var tradeEventName = map[string]string{ordAccepted: "accepted", ordNew: "new", ordFilled: "fill",
	ordCanceled: "canceled", ordExpired: "expired"}

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

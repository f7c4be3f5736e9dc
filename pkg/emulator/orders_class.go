package emulator

import (
	"net/http"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Advanced orders (docs "Understand Orders": bracket, OCO, OTO) are groups:
//
//   - bracket: an entry order (the parent) and two legs, a take-profit
//     limit and a stop-loss stop (stop-limit with stop_loss.limit_price) on
//     the opposite side. The legs are "held" until the entry fills; then
//     the take-profit leg is "new" and the stop-loss leg stays "held"
//     (alpaca-py's HELD status) but works: whichever fills first cancels
//     the other.
//   - oto: an entry and one leg, "new" once the entry fills.
//   - oco: exit only. The parent is the take-profit limit order and its leg
//     the stop-loss, both working at once; one filling cancels the other.
//
// Canceling or expiring any order of a group cancels the rest of it. One
// order of a group holds the group's shares (Hold), so the pair of exits
// promises the position once.

const ordHeld = "held"

// classErrors are the order-class rules checked before the request type's
// own Validate, with the messages the API is reported to use where one is
// known (docs/emulator.md lists which are confirmed).
func classPrecheck(req *broker.OrderCreateRequest) error {
	class := req.OrderClass
	switch class {
	case broker.OrderClassBracket, broker.OrderClassOCO, broker.OrderClassOTO:
	case broker.OrderClassMleg:
		return validation("order_class: mleg (options) orders are not supported by the emulator")
	default:
		return nil
	}
	tp := req.TakeProfit != nil && req.TakeProfit.LimitPrice != nil
	sl := req.StopLoss != nil && req.StopLoss.StopPrice != nil
	if class == broker.OrderClassOCO && req.LimitPrice == nil && tp {
		// The docs' OCO example sends type limit with the price only in
		// take_profit: the parent is the take-profit order.
		lp := *req.TakeProfit.LimitPrice
		req.LimitPrice = &lp
	}
	switch {
	case class != broker.OrderClassOTO && !tp:
		return validation("%s orders require take_profit.limit_price", class)
	case class != broker.OrderClassOTO && !sl:
		return validation("%s orders require stop_loss.stop_price", class)
	case class == broker.OrderClassOTO && !tp && !sl:
		return validation("oto orders require take_profit.limit_price or stop_loss.stop_price")
	case class == broker.OrderClassOCO && req.Type != broker.OrderTypeLimit:
		return validation("oco orders must be limit orders")
	case class != broker.OrderClassOCO && req.Type != broker.OrderTypeMarket && req.Type != broker.OrderTypeLimit:
		return validation("%s orders must be market or limit orders", class)
	case req.TimeInForce != broker.TimeInForceDay && req.TimeInForce != broker.TimeInForceGTC:
		return validation("time_in_force: %s orders must be day or gtc (got %s)", class, req.TimeInForce)
	case req.ExtendedHours:
		return validation("extended_hours: %s orders do not support extended hours", class)
	case req.Notional != nil:
		return validation("notional: %s orders need qty", class)
	case req.Qty != nil && !req.Qty.Dec().IsInteger():
		return validation("qty: %s orders need a whole number of shares", class)
	}
	if tp && sl {
		lim, stop := req.TakeProfit.LimitPrice.Dec(), req.StopLoss.StopPrice.Dec()
		exitSell := (class == broker.OrderClassOCO) == (req.Side == broker.SideSell)
		if exitSell && !lim.GreaterThan(stop) {
			return validation("take_profit.limit_price must be greater than stop_loss.stop_price")
		}
		if !exitSell && !lim.LessThan(stop) {
			return validation("take_profit.limit_price must be less than stop_loss.stop_price")
		}
	}
	return nil
}

// checkClassLocked applies the rules that need the account and the
// market price: brackets and OTOs open positions, OCOs close them, and a
// stop-loss must be at least $0.01 beyond its base price (docs "Threshold
// on stop price of stop-loss orders").
func checkClassLocked(a *account, req *broker.OrderCreateRequest, as *asset) error {
	class := req.OrderClass
	if class != broker.OrderClassBracket && class != broker.OrderClassOCO && class != broker.OrderClassOTO {
		return nil
	}
	held := a.Positions[as.Symbol] != nil
	switch {
	case class == broker.OrderClassOCO && req.Side == broker.SideBuy:
		return &apiError{Status: http.StatusUnprocessableEntity, Code: 42210000, Message: "oco orders must be exit orders"}
	case class != broker.OrderClassOCO && req.Side == broker.SideSell && held:
		return &apiError{Status: http.StatusUnprocessableEntity, Code: 42210000, Message: string(class) + " orders must be entry orders"}
	}
	if req.StopLoss == nil || req.StopLoss.StopPrice == nil {
		return nil
	}
	stop := req.StopLoss.StopPrice.Dec()
	bases := []decimal.Decimal{as.Price}
	if class == broker.OrderClassOCO {
		bases = append(bases, req.TakeProfit.LimitPrice.Dec())
	} else if req.Type == broker.OrderTypeLimit {
		bases = append(bases, req.LimitPrice.Dec())
	}
	cent := decimal.New(1, -2)
	sellStop := (class == broker.OrderClassOCO) == (req.Side == broker.SideSell)
	for _, base := range bases {
		if sellStop && stop.GreaterThan(base.Sub(cent)) {
			return validation("stop price must be less than base_price - 0.01 (stop_loss.stop_price %s, base_price %s)", stop, base)
		}
		if !sellStop && stop.LessThan(base.Add(cent)) {
			return validation("stop price must be greater than base_price + 0.01 (stop_loss.stop_price %s, base_price %s)", stop, base)
		}
	}
	return nil
}

// addLegsLocked creates the legs of a bracket, oto or oco parent, "held".
func (e *Emulator) addLegsLocked(a *account, p *order, req *broker.OrderCreateRequest, now time.Time) {
	side := "sell"
	if p.Side == "sell" {
		side = "buy"
	}
	mk := func(typ, limit, stop string) {
		l := &order{ID: uuid.NewString(), AccountID: a.ID, ClientOrderID: uuid.NewString(), CreatedAt: now,
			UpdatedAt: now, SubmittedAt: now, AssetID: p.AssetID, Symbol: p.Symbol, Qty: p.Qty, FilledQty: "0",
			Type: typ, Side: side, TimeInForce: p.TimeInForce, LimitPrice: limit, StopPrice: stop, Status: ordHeld,
			Commission: "0", OrderClass: p.OrderClass, ParentID: p.ID}
		p.LegIDs = append(p.LegIDs, l.ID)
		e.st.Orders = append(e.st.Orders, l)
		e.st.orders[l.ID] = l
		a.clientOrderIDs[l.ClientOrderID] = l
	}
	stopLeg := func() {
		sl := req.StopLoss
		if sl.LimitPrice != nil {
			mk("stop_limit", sl.LimitPrice.String(), sl.StopPrice.String())
		} else {
			mk("stop", "", sl.StopPrice.String())
		}
	}
	switch req.OrderClass {
	case broker.OrderClassOCO:
		side = p.Side // the parent is the take-profit; the leg is its stop-loss
		stopLeg()
		return
	case broker.OrderClassOTO, broker.OrderClassBracket:
		if req.TakeProfit != nil && req.TakeProfit.LimitPrice != nil {
			mk("limit", req.TakeProfit.LimitPrice.String(), "")
		}
		if req.StopLoss != nil && req.StopLoss.StopPrice != nil {
			stopLeg()
		}
	}
}

// group returns o's parent and every leg of it, o included.
func (e *Emulator) group(o *order) []*order {
	p := o
	if o.ParentID != "" {
		if p = e.st.orders[o.ParentID]; p == nil {
			return []*order{o}
		}
	}
	out := []*order{p}
	for _, id := range p.LegIDs {
		if l := e.st.orders[id]; l != nil {
			out = append(out, l)
		}
	}
	return out
}

// legLive reports whether a held order works: an OCO's stop-loss always,
// a bracket or OTO leg once its entry has filled.
func (e *Emulator) legLive(o *order) bool {
	if o.ParentID == "" {
		return o.Status != ordHeld
	}
	p := e.st.orders[o.ParentID]
	return p == nil || p.OrderClass == string(broker.OrderClassOCO) || p.Status == ordFilled
}

// working reports whether o may fill now.
func (e *Emulator) working(o *order) bool {
	return o.Status == ordNew || o.Status == ordPartial || (o.Status == ordHeld && e.legLive(o))
}

// activateLegsLocked runs when a bracket or oto entry has filled: the legs
// take over the filled quantity, one of them holds the shares, the
// take-profit (or a lone leg) becomes "new", and both start working.
func (e *Emulator) activateLegsLocked(p *order, at time.Time) {
	a := e.st.accounts[p.AccountID]
	legs := e.group(p)[1:]
	for i, l := range legs {
		l.Qty = p.FilledQty
		if i == 0 {
			qty, _ := decimal.NewFromString(l.Qty)
			e.reserveHoldLocked(a, l, e.holdFor(l, qty))
		}
		if l.Type == "limit" || len(legs) == 1 {
			e.setOrderStatus(l, ordNew, at, nil)
		} else {
			l.UpdatedAt = at
		}
		e.workLocked(l, at)
	}
}

// holdFor is what an order of qty shares reserves: shares for a sell,
// cash at its limit (or stop, or the market) price for a buy.
func (e *Emulator) holdFor(o *order, qty decimal.Decimal) decimal.Decimal {
	if o.Side == "sell" {
		return qty
	}
	price := e.prices.heldAsset(o.Symbol, nil).Price
	if lim, err := decimal.NewFromString(o.LimitPrice); err == nil {
		price = lim
	} else if stop, err := decimal.NewFromString(o.StopPrice); err == nil {
		price = stop
	}
	return qty.Mul(price)
}

// endGroupLocked cancels the open orders of o's group once o has filled,
// been canceled or expired: one exit filling cancels the other, and
// canceling any order cancels the rest.
func (e *Emulator) endGroupLocked(o *order, at time.Time) {
	if o.ParentID == "" && len(o.LegIDs) == 0 {
		return
	}
	for _, m := range e.group(o) {
		if m != o && openOrder(m.Status) {
			e.endOrderLocked(m, ordCanceled, at)
		}
	}
}

// trailingStop sets a trailing stop's water mark and stop price from the
// current price: a sell trails below the highest price, a buy above the
// lowest (docs "Trailing Stop Orders").
func trailingStop(o *order, price decimal.Decimal) {
	if o.Type != "trailing_stop" {
		return
	}
	hwm, err := decimal.NewFromString(o.HWM)
	sell := o.Side == "sell"
	if err != nil || (sell && price.GreaterThan(hwm)) || (!sell && price.LessThan(hwm)) {
		hwm = price
	}
	var trail decimal.Decimal
	if tp, err := decimal.NewFromString(o.TrailPrice); err == nil {
		trail = tp
	} else {
		pct, _ := decimal.NewFromString(o.TrailPercent)
		trail = hwm.Mul(pct).Div(decimal.NewFromInt(100))
	}
	stop := hwm.Sub(trail)
	if !sell {
		stop = hwm.Add(trail)
	}
	o.HWM, o.StopPrice = hwm.String(), stop.Round(4).String()
}

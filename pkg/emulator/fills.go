package emulator

import (
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/shopspring/decimal"
)

// Block orders fill in several executions. The docs ("Understand Orders",
// odd lots and block trades) define a block as 10,000 shares or more, or
// (Reg NMS) $200,000 notional, and say block trades "are usually broken up
// for execution and may take longer". The emulator fills a qty order of
// at least blockShares shares or blockValue dollars at the order's price in
// blockSlices executions (the last takes the remainder), orderFillDelay
// apart, each a partial_fill until the last; the order is
// partially_filled in between. A slice runs only while the price still
// allows the order; otherwise the rest waits for the price (SetPrice).
// fok orders fill at once; an ioc block order takes its first slice and
// cancels the rest. Notional orders are never split.
const (
	blockShares = 10000
	blockSlices = 4
)

var blockValue = decimal.NewFromInt(200000)

// orderTotal is the quantity o trades: qty, or notional / price.
func orderTotal(o *order, price decimal.Decimal) decimal.Decimal {
	if o.Qty != "" {
		q, _ := decimal.NewFromString(o.Qty)
		return q
	}
	n, _ := decimal.NewFromString(o.Notional)
	return n.DivRound(price, 9)
}

// nextSlice is how much of the remaining quantity the next execution of
// o fills at price.
func nextSlice(o *order, total, remaining, price decimal.Decimal) decimal.Decimal {
	block := total.GreaterThanOrEqual(decimal.NewFromInt(blockShares)) || total.Mul(price).GreaterThanOrEqual(blockValue)
	if o.Qty == "" || o.TimeInForce == "fok" || !block {
		return remaining
	}
	slice := total.Div(decimal.NewFromInt(blockSlices))
	if total.IsInteger() {
		slice = slice.Floor()
	} else {
		slice = slice.Truncate(9)
	}
	if !slice.IsPositive() || slice.GreaterThan(remaining) {
		return remaining
	}
	return slice
}

// fillOrderLocked executes o at price: everything that remains, or the
// next slice of a block order, moving cash and shares.
func (e *Emulator) fillOrderLocked(o *order, price decimal.Decimal, at time.Time) {
	a := e.st.accounts[o.AccountID]
	total := orderTotal(o, price)
	filled, _ := decimal.NewFromString(o.FilledQty)
	remaining := total.Sub(filled)
	if !remaining.IsPositive() {
		return
	}
	qty := nextSlice(o, total, remaining, price)
	value := qty.Mul(price)
	a.Cash = a.Cash.Sub(commissionFor(o, filled, qty, total, value))
	if o.Side == "buy" {
		rel := o.Hold
		if qty.LessThan(remaining) {
			rel = o.Hold.Mul(qty).Div(remaining)
		}
		a.Reserved = a.Reserved.Sub(rel)
		o.Hold = o.Hold.Sub(rel)
		a.Cash = a.Cash.Sub(value)
		addShares(a, o.Symbol, qty, price)
	} else {
		rel := decimal.Min(qty, o.Hold)
		if p := a.Positions[o.Symbol]; p != nil {
			p.Held = p.Held.Sub(rel)
		}
		o.Hold = o.Hold.Sub(rel)
		removeShares(a, o.Symbol, qty)
		a.Cash = a.Cash.Add(value)
	}
	avg := price
	if prev, err := decimal.NewFromString(o.FilledAvgPrice); err == nil && filled.IsPositive() {
		avg = prev.Mul(filled).Add(value).DivRound(filled.Add(qty), 9)
	}
	filled = filled.Add(qty)
	o.FilledQty, o.FilledAvgPrice = filled.String(), avg.String()
	e.recordFill(o, qty, price, filled, total, at)
	pos := "0"
	if p := a.Positions[o.Symbol]; p != nil {
		pos = p.Qty.String()
	}
	detail := &tradeDetail{Price: price.String(), Qty: qty.String(), PositionQty: pos,
		SettleDate: at.UTC().AddDate(0, 0, 1).Format(time.DateOnly)}
	if filled.LessThan(total) {
		e.partialFillLocked(o, total.Sub(filled), at, detail)
		return
	}
	o.Hold, o.FilledAt = decimal.Zero, at
	e.setOrderStatus(o, ordFilled, at, detail)
	if o.ParentID == "" && len(o.LegIDs) > 0 && o.OrderClass != string(broker.OrderClassOCO) {
		e.activateLegsLocked(o, at)
	} else {
		e.endGroupLocked(o, at)
	}
}

// partialFillLocked records one execution that left rest unfilled: an ioc
// order cancels the rest, others take the next slice shortly after if the
// price still allows. The other exit of a bracket or oco follows the
// remaining quantity (docs: "the stop-loss order will be adjusted").
func (e *Emulator) partialFillLocked(o *order, rest decimal.Decimal, at time.Time, detail *tradeDetail) {
	e.setOrderStatus(o, ordPartial, at, detail)
	if o.ParentID != "" || o.OrderClass == string(broker.OrderClassOCO) {
		for _, m := range e.group(o) {
			if m != o && openOrder(m.Status) {
				m.Qty, m.UpdatedAt = rest.String(), at
			}
		}
	}
	if o.TimeInForce == "ioc" {
		e.endOrderLocked(o, ordCanceled, at)
		return
	}
	id := o.ID
	e.after(at, orderFillDelay, func(due time.Time) {
		o := e.st.orders[id]
		if o == nil || o.Status != ordPartial {
			return
		}
		as := e.prices.heldAsset(o.Symbol, e.st.accounts[o.AccountID].Positions[o.Symbol])
		trailingStop(o, as.Price)
		if marketable(o, as.Price) {
			e.fillOrderLocked(o, as.Price, due)
		}
	})
}

// commissionFor is the commission one execution of qty (after filled of
// total, worth value) costs the account: commission_type notional (the
// default) charges the order's commission pro rata over its executions,
// qty charges it per share, bps charges commission/10,000 of the value.
func commissionFor(o *order, filled, qty, total, value decimal.Decimal) decimal.Decimal {
	c, err := decimal.NewFromString(o.Commission)
	if err != nil || !c.IsPositive() {
		return decimal.Zero
	}
	switch broker.CommissionType(o.CommissionType) {
	case broker.CommissionQty:
		return c.Mul(qty)
	case broker.CommissionBps:
		return value.Mul(c).DivRound(decimal.NewFromInt(10000), 9)
	}
	if !total.IsPositive() {
		return decimal.Zero
	}
	before := c.Mul(filled).DivRound(total, 9)
	return c.Mul(filled.Add(qty)).DivRound(total, 9).Sub(before)
}

package emulator

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/shopspring/decimal"
)

func (e *Emulator) positionWire(p *position) broker.Position {
	as := e.prices.heldAsset(p.Symbol, p)
	mv := p.Qty.Mul(as.Price)
	pl := mv.Sub(p.CostBase)
	ratio := func(n, d decimal.Decimal) broker.Decimal {
		if d.IsZero() {
			return broker.Decimal{}
		}
		return dec(n.DivRound(d, 16))
	}
	intraday := p.Qty.Mul(as.Price.Sub(as.LastClose))
	marginable := false
	return broker.Position{AssetID: as.ID, Symbol: as.Symbol, Exchange: as.Exchange, AssetClass: as.Class,
		AssetMarginable: &marginable, AvgEntryPrice: ratio(p.CostBase, p.Qty), Qty: dec(p.Qty),
		QtyAvailable: decp(p.Qty.Sub(p.Held)), Side: broker.PositionLong, MarketValue: dec(mv),
		CostBasis: dec(p.CostBase), UnrealizedPL: dec(pl), UnrealizedPLPC: ratio(pl, p.CostBase),
		UnrealizedIntradayPL: dec(intraday), UnrealizedIntradayPLPC: ratio(intraday, p.Qty.Mul(as.LastClose)),
		CurrentPrice: dec(as.Price), LastdayPrice: dec(as.LastClose), ChangeToday: ratio(as.Price.Sub(as.LastClose), as.LastClose)}
}

func sortedPositions(a *account) []*position {
	ps := make([]*position, 0, len(a.Positions))
	for _, p := range a.Positions {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Symbol < ps[j].Symbol })
	return ps
}

func (e *Emulator) listPositions(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	out := []broker.Position{}
	for _, p := range sortedPositions(a) {
		out = append(out, e.positionWire(p))
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// positionFor finds a's position by symbol or asset id. e.mu must be held.
func (e *Emulator) positionFor(a *account, symOrID string) (*position, error) {
	if as, ok := e.prices.lookup(symOrID); ok {
		if p := a.Positions[as.Symbol]; p != nil {
			return p, nil
		}
	}
	if p := a.Positions[strings.ToUpper(symOrID)]; p != nil {
		return p, nil
	}
	return nil, errorf(http.StatusNotFound, "Account doesn't have a position for this symbol or asset_id")
}

func (e *Emulator) getPosition(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err == nil {
		var p *position
		if p, err = e.positionFor(a, r.PathValue("symbol")); err == nil {
			out := e.positionWire(p)
			e.mu.Unlock()
			writeJSON(w, http.StatusOK, out)
			return nil
		}
	}
	e.mu.Unlock()
	return err
}

// closePosition sells qty, percentage or all of a position with a market
// order and answers that order.
func (e *Emulator) closePosition(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("qty") != "" && q.Get("percentage") != "" {
		return badRequest("qty and percentage are mutually exclusive")
	}
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	p, err := e.positionFor(a, r.PathValue("symbol"))
	if err != nil {
		e.mu.Unlock()
		return err
	}
	qty := p.Qty.Sub(p.Held)
	if s := q.Get("qty"); s != "" {
		if qty, err = decimal.NewFromString(s); err != nil || !qty.IsPositive() {
			e.mu.Unlock()
			return badRequest("invalid qty: %s", s)
		}
	}
	if s := q.Get("percentage"); s != "" {
		pct, err := decimal.NewFromString(s)
		if err != nil || !pct.IsPositive() || pct.GreaterThan(decimal.NewFromInt(100)) {
			e.mu.Unlock()
			return badRequest("percentage must be between 0 and 100")
		}
		qty = p.Qty.Mul(pct).Div(decimal.NewFromInt(100)).Truncate(9)
	}
	o, err := e.sellLocked(a, p.Symbol, qty)
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

func (e *Emulator) sellLocked(a *account, sym string, qty decimal.Decimal) (*order, error) {
	as := e.prices.heldAsset(sym, a.Positions[sym])
	q := dec(qty)
	req := &broker.OrderCreateRequest{Symbol: sym, Qty: &q, Side: "sell", Type: "market", TimeInForce: "day"}
	return e.placeOrderLocked(a, req, as)
}

func (e *Emulator) closeAllPositions(w http.ResponseWriter, r *http.Request) error {
	cancel, _ := strconv.ParseBool(r.URL.Query().Get("cancel_orders"))
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	if cancel {
		e.cancelOpenOrdersLocked(a, "")
	}
	out := []broker.ClosePositionResult{}
	created := 0
	for _, p := range sortedPositions(a) {
		o, err := e.sellLocked(a, p.Symbol, p.Qty.Sub(p.Held))
		if err != nil {
			ae, _ := err.(*apiError)
			body, _ := json.Marshal(ae.body())
			out = append(out, broker.ClosePositionResult{Symbol: p.Symbol, Status: ae.Status, Body: body})
			continue
		}
		created++
		body, _ := json.Marshal(e.orderWire(o))
		out = append(out, broker.ClosePositionResult{Symbol: p.Symbol, Status: http.StatusOK, Body: body})
	}
	e.mu.Unlock()
	for range created {
		e.created("order")
	}
	writeJSON(w, http.StatusMultiStatus, out)
	return nil
}

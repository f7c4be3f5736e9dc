package emulator

import (
	"net/http"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"slices"
	"strconv"
	"strings"
	"time"
)

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optDec(s string) *broker.Decimal {
	if s == "" {
		return nil
	}
	d := wireDecimal(s)
	return &d
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func (e *Emulator) orderWire(o *order) broker.Order {
	return broker.Order{ID: o.ID, ClientOrderID: o.ClientOrderID, CreatedAt: o.CreatedAt.UTC(),
		UpdatedAt: o.UpdatedAt.UTC(), SubmittedAt: o.SubmittedAt.UTC(), FilledAt: optTime(o.FilledAt),
		ExpiredAt: optTime(o.ExpiredAt), CanceledAt: optTime(o.CanceledAt), AssetID: o.AssetID, Symbol: o.Symbol,
		AssetClass: "us_equity", Notional: optDec(o.Notional), Qty: optDec(o.Qty), FilledQty: wireDecimal(o.FilledQty),
		FilledAvgPrice: optDec(o.FilledAvgPrice), OrderType: broker.OrderType(o.Type), Type: broker.OrderType(o.Type),
		Side: broker.OrderSide(o.Side), TimeInForce: broker.TimeInForce(o.TimeInForce), LimitPrice: optDec(o.LimitPrice),
		StopPrice: optDec(o.StopPrice), Status: broker.OrderStatus(o.Status), ExtendedHours: o.ExtendedHours,
		Commission: optDec(o.Commission), PositionIntent: o.PositionIntent, ReplacedAt: optTime(o.ReplacedAt),
		ReplacedBy: optStr(o.ReplacedBy), Replaces: optStr(o.Replaces), OrderClass: broker.OrderClass(o.OrderClass),
		TrailPrice: optDec(o.TrailPrice), TrailPercent: optDec(o.TrailPercent), HWM: optDec(o.HWM),
		CommissionType: broker.CommissionType(o.CommissionType)}
}

// orderWireNested is orderWire with the legs of a group's parent in legs.
func (e *Emulator) orderWireNested(o *order) broker.Order {
	w := e.orderWire(o)
	for _, id := range o.LegIDs {
		if l := e.st.orders[id]; l != nil {
			w.Legs = append(w.Legs, e.orderWire(l))
		}
	}
	return w
}

// orderFor finds the account's order by id. e.mu must be held.
func (e *Emulator) orderFor(r *http.Request) (*account, *order, error) {
	a, err := e.accountFor(r)
	if err != nil {
		return nil, nil, err
	}
	o := e.st.orders[r.PathValue("order_id")]
	if o == nil || o.AccountID != a.ID {
		return a, nil, errorf(http.StatusNotFound, "order not found")
	}
	return a, o, nil
}

func (e *Emulator) getOrder(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	e.runDueLocked()
	_, o, err := e.orderFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	out := e.orderWire(o)
	if nested, _ := strconv.ParseBool(r.URL.Query().Get("nested")); nested {
		out = e.orderWireNested(o)
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (e *Emulator) getOrderByClientID(w http.ResponseWriter, r *http.Request) error {
	cid := r.URL.Query().Get("client_order_id")
	if cid == "" {
		return badRequest("client_order_id is required")
	}
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	o := a.clientOrderIDs[cid]
	if o == nil {
		e.mu.Unlock()
		return errorf(http.StatusNotFound, "order not found")
	}
	out := e.orderWire(o)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

func openOrder(status string) bool {
	return status == ordAccepted || status == ordNew || status == ordPartial || status == "pending_new" || status == ordHeld
}

func (e *Emulator) cancelOrder(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runDueLocked()
	_, o, err := e.orderFor(r)
	if err != nil {
		return err
	}
	if !openOrder(o.Status) {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: 42210000,
			Message: "order is already in \"" + o.Status + "\" state"}
	}
	e.endOrderLocked(o, ordCanceled, e.now())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (e *Emulator) cancelAllOrders(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	out := e.cancelOpenOrdersLocked(a, "")
	e.mu.Unlock()
	writeJSON(w, http.StatusMultiStatus, out)
	return nil
}

// cancelOpenOrdersLocked cancels a's open orders (in symbol, if not empty).
func (e *Emulator) cancelOpenOrdersLocked(a *account, symbol string) []broker.CancelOrderResult {
	now := e.now()
	var open []*order
	for _, o := range e.st.Orders {
		if o.AccountID == a.ID && openOrder(o.Status) && (symbol == "" || o.Symbol == symbol) {
			open = append(open, o)
		}
	}
	// Every open order is reported, also legs that canceling their group's
	// parent already canceled.
	out := make([]broker.CancelOrderResult, 0, len(open))
	for _, o := range open {
		if openOrder(o.Status) {
			e.endOrderLocked(o, ordCanceled, now)
		}
		out = append(out, broker.CancelOrderResult{ID: o.ID, Status: http.StatusOK})
	}
	return out
}

func (e *Emulator) listOrders(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	status := strings.ToLower(q.Get("status"))
	if status == "" {
		status = "open"
	}
	if status != "open" && status != "closed" && status != "all" {
		return badRequest("status must be open, closed or all")
	}
	limit := 50
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return badRequest("invalid limit: %s", s)
		}
		limit = min(n, 500)
	}
	var after, until time.Time
	for name, dst := range map[string]*time.Time{"after": &after, "until": &until} {
		if s := q.Get(name); s != "" {
			t, err := parseEventTime(s, false)
			if err != nil {
				return badRequest("invalid %s: %s", name, s)
			}
			*dst = t
		}
	}
	dir := strings.ToLower(q.Get("direction"))
	if dir == "" {
		dir = "desc"
	}
	if dir != "asc" && dir != "desc" {
		return badRequest("direction must be asc or desc")
	}
	var symbols []string
	if s := q.Get("symbols"); s != "" {
		symbols = strings.Split(strings.ToUpper(s), ",")
	}
	side := q.Get("side")
	nested, _ := strconv.ParseBool(q.Get("nested"))
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	out := []broker.Order{}
	n := len(e.st.Orders)
	for i := 0; i < n && len(out) < limit; i++ {
		idx := n - 1 - i
		if dir == "asc" {
			idx = i
		}
		o := e.st.Orders[idx]
		open := openOrder(o.Status)
		if o.AccountID != a.ID || (status == "open" && !open) || (status == "closed" && open) ||
			(!after.IsZero() && !o.SubmittedAt.After(after)) || (!until.IsZero() && !o.SubmittedAt.Before(until)) ||
			(symbols != nil && !slices.Contains(symbols, o.Symbol)) || (side != "" && o.Side != side) ||
			(nested && o.ParentID != "") {
			continue
		}
		if nested {
			out = append(out, e.orderWireNested(o))
			continue
		}
		out = append(out, e.orderWire(o))
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

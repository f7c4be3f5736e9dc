package emulator

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// orderOut is the Order shape: nullable fields are explicit nulls.
type orderOut struct {
	ID                string  `json:"id"`
	ClientOrderID     string  `json:"client_order_id"`
	CreatedAt         string  `json:"created_at"`
	UpdatedAt         string  `json:"updated_at"`
	SubmittedAt       string  `json:"submitted_at"`
	FilledAt          *string `json:"filled_at"`
	ExpiredAt         *string `json:"expired_at"`
	CanceledAt        *string `json:"canceled_at"`
	CancelRequestedAt *string `json:"cancel_requested_at"`
	FailedAt          *string `json:"failed_at"`
	ReplacedAt        *string `json:"replaced_at"`
	ReplacedBy        *string `json:"replaced_by"`
	Replaces          *string `json:"replaces"`
	AssetID           string  `json:"asset_id"`
	Symbol            string  `json:"symbol"`
	AssetClass        string  `json:"asset_class"`
	Notional          *string `json:"notional"`
	Qty               *string `json:"qty"`
	FilledQty         string  `json:"filled_qty"`
	FilledAvgPrice    *string `json:"filled_avg_price"`
	OrderClass        string  `json:"order_class"`
	OrderType         string  `json:"order_type"`
	Type              string  `json:"type"`
	Side              string  `json:"side"`
	TimeInForce       string  `json:"time_in_force"`
	LimitPrice        *string `json:"limit_price"`
	StopPrice         *string `json:"stop_price"`
	Status            string  `json:"status"`
	ExtendedHours     bool    `json:"extended_hours"`
	Legs              *[]any  `json:"legs"`
	TrailPercent      *string `json:"trail_percent"`
	TrailPrice        *string `json:"trail_price"`
	HWM               *string `json:"hwm"`
	Commission        string  `json:"commission"`
	PositionIntent    string  `json:"position_intent,omitempty"`
	Subtag            *string `json:"subtag"`
	Source            *string `json:"source"`
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := rfc3339(t)
	return &s
}

func (e *Emulator) orderWire(o *order) orderOut {
	return orderOut{ID: o.ID, ClientOrderID: o.ClientOrderID, CreatedAt: rfc3339(o.CreatedAt),
		UpdatedAt: rfc3339(o.UpdatedAt), SubmittedAt: rfc3339(o.SubmittedAt), FilledAt: optTime(o.FilledAt),
		ExpiredAt: optTime(o.ExpiredAt), CanceledAt: optTime(o.CanceledAt), AssetID: o.AssetID, Symbol: o.Symbol,
		AssetClass: "us_equity", Notional: optStr(o.Notional), Qty: optStr(o.Qty), FilledQty: o.FilledQty,
		FilledAvgPrice: optStr(o.FilledAvgPrice), OrderType: o.Type, Type: o.Type, Side: o.Side,
		TimeInForce: o.TimeInForce, LimitPrice: optStr(o.LimitPrice), StopPrice: optStr(o.StopPrice),
		Status: o.Status, ExtendedHours: o.ExtendedHours, Commission: o.Commission, PositionIntent: o.PositionIntent}
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
	return status == ordAccepted || status == ordNew || status == "partially_filled" || status == "pending_new"
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
	e.endOrderLocked(o, ordCanceled, e.clock.Now())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type multiStatus struct {
	ID     string `json:"id,omitempty"`
	Symbol string `json:"symbol,omitempty"`
	Status int    `json:"status"`
	Body   any    `json:"body,omitempty"`
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
func (e *Emulator) cancelOpenOrdersLocked(a *account, symbol string) []multiStatus {
	now := e.clock.Now()
	out := []multiStatus{}
	for _, o := range e.st.Orders {
		if o.AccountID == a.ID && openOrder(o.Status) && (symbol == "" || o.Symbol == symbol) {
			e.endOrderLocked(o, ordCanceled, now)
			out = append(out, multiStatus{ID: o.ID, Status: http.StatusOK})
		}
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
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	out := []orderOut{}
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
			(symbols != nil && !slices.Contains(symbols, o.Symbol)) || (side != "" && o.Side != side) {
			continue
		}
		out = append(out, e.orderWire(o))
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

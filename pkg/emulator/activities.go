package emulator

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Account activities (GET /v1/accounts/activities[/{activity_type}]): the
// emulator records FILL for every execution, JNLC and JNLS for both sides
// of an executed journal, CSD for a completed deposit and CSW for a
// completed withdrawal. Ids are the API's "YYYYMMDDhhmmssSSS::uuid", so
// they sort by time and serve as page tokens.

// activity is one recorded activity; it is part of the persisted state.
type activity struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	Type      string    `json:"activity_type"`
	At        time.Time `json:"at"`
	// FILL
	OrderID     string `json:"order_id,omitempty"`
	OrderStatus string `json:"order_status,omitempty"`
	FillType    string `json:"type,omitempty"`
	Side        string `json:"side,omitempty"`
	Price       string `json:"price,omitempty"`
	CumQty      string `json:"cum_qty,omitempty"`
	LeavesQty   string `json:"leaves_qty,omitempty"`
	Symbol      string `json:"symbol,omitempty"`
	Qty         string `json:"qty,omitempty"`
	// Non-trade activities.
	NetAmount      string `json:"net_amount,omitempty"`
	PerShareAmount string `json:"per_share_amount,omitempty"`
	Description    string `json:"description,omitempty"`
	GroupID        string `json:"group_id,omitempty"`
}

func activityID(at time.Time) string {
	u := at.UTC()
	return u.Format("20060102150405") + strconv.Itoa(u.Nanosecond()/1e6 + 1000)[1:] + "::" + uuid.NewString()
}

func (e *Emulator) addActivity(a *activity) {
	a.ID = activityID(a.At)
	e.st.Activities = append(e.st.Activities, a)
}

// recordFill records one execution of o.
func (e *Emulator) recordFill(o *order, qty, price, cum, total decimal.Decimal, at time.Time) {
	status, typ := ordFilled, "fill"
	if cum.LessThan(total) {
		status, typ = ordPartial, "partial_fill"
	}
	e.addActivity(&activity{AccountID: o.AccountID, Type: "FILL", At: at, OrderID: o.ID, OrderStatus: status,
		FillType: typ, Side: o.Side, Price: price.String(), CumQty: cum.String(), LeavesQty: total.Sub(cum).String(),
		Symbol: o.Symbol, Qty: qty.String()})
}

// recordJournal records both sides of an executed journal.
func (e *Emulator) recordJournal(j *journal, at time.Time) {
	for _, side := range []struct {
		acct string
		sign int64
	}{{j.From, -1}, {j.To, 1}} {
		a := &activity{AccountID: side.acct, Type: j.EntryType, At: at, Description: j.Description, GroupID: j.ID}
		if j.EntryType == entryJNLC {
			amt, _ := decimal.NewFromString(j.NetAmount)
			a.NetAmount = amt.Mul(decimal.NewFromInt(side.sign)).String()
		} else {
			qty, _ := decimal.NewFromString(j.Qty)
			a.Symbol, a.Qty, a.PerShareAmount, a.NetAmount = j.Symbol, qty.Mul(decimal.NewFromInt(side.sign)).String(), j.Price, "0"
		}
		e.addActivity(a)
	}
}

// recordTransfer records a completed deposit (CSD) or withdrawal (CSW).
func (e *Emulator) recordTransfer(t *transfer, at time.Time) {
	amt, _ := decimal.NewFromString(t.Amount)
	typ := "CSD"
	if t.Direction == dirOutgoing {
		typ, amt = "CSW", amt.Neg()
	}
	e.addActivity(&activity{AccountID: t.AccountID, Type: typ, At: at, NetAmount: amt.String(), GroupID: t.ID,
		Description: strings.ToUpper(t.Type) + " " + strings.ToLower(t.Direction) + " transfer " + t.ID})
}

func (a *activity) wire() map[string]any {
	m := map[string]any{"id": a.ID, "account_id": a.AccountID, "activity_type": a.Type}
	if a.Type == "FILL" {
		for k, v := range map[string]string{"transaction_time": a.At.UTC().Format(time.RFC3339Nano), "type": a.FillType,
			"price": a.Price, "qty": a.Qty, "side": a.Side, "symbol": a.Symbol, "leaves_qty": a.LeavesQty,
			"cum_qty": a.CumQty, "order_id": a.OrderID, "order_status": a.OrderStatus} {
			m[k] = v
		}
		return m
	}
	m["date"] = a.At.UTC().Format(time.DateOnly)
	m["created_at"] = a.At.UTC().Format(time.RFC3339Nano)
	m["net_amount"] = a.NetAmount
	m["description"] = a.Description
	m["status"] = "executed"
	m["currency"] = "USD"
	m["group_id"] = a.GroupID
	if a.Symbol != "" {
		m["symbol"], m["qty"], m["per_share_amount"] = a.Symbol, a.Qty, a.PerShareAmount
	}
	return m
}

// listActivities serves GET /v1/accounts/activities and, with typ set,
// GET /v1/accounts/activities/{activity_type}.
func (e *Emulator) listActivities(w http.ResponseWriter, r *http.Request, typ string) error {
	q := r.URL.Query()
	var types []string
	if typ != "" {
		types = []string{strings.ToUpper(typ)}
		if q.Get("category") != "" {
			return badRequest("category cannot be used with an activity type in the path")
		}
	}
	if s := q.Get("activity_types"); s != "" {
		if types != nil || q.Get("category") != "" {
			return badRequest("activity_types cannot be used with an activity type or category")
		}
		types = strings.Split(strings.ToUpper(s), ",")
	}
	category := q.Get("category")
	if category != "" && category != "trade_activity" && category != "non_trade_activity" {
		return badRequest("category must be trade_activity or non_trade_activity")
	}
	dir := strings.ToLower(q.Get("direction"))
	if dir == "" {
		dir = "desc"
	}
	if dir != "asc" && dir != "desc" {
		return badRequest("direction must be asc or desc")
	}
	var date, after, until time.Time
	for name, dst := range map[string]*time.Time{"date": &date, "after": &after, "until": &until} {
		if s := q.Get(name); s != "" {
			t, err := parseEventTime(s, false)
			if err != nil {
				return badRequest("invalid %s: %s", name, s)
			}
			*dst = t
		}
	}
	size := 100
	if !date.IsZero() {
		size = 0 // all of that day
	}
	if s := q.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || (n > 100 && date.IsZero()) {
			return badRequest("page_size must be between 1 and 100")
		}
		size = n
	}
	account, orderID, token := q.Get("account_id"), q.Get("order_id"), q.Get("page_token")
	e.mu.Lock()
	e.runDueLocked()
	all := e.st.Activities
	tokenIdx := -1
	if token != "" {
		if tokenIdx = slices.IndexFunc(all, func(a *activity) bool { return a.ID == token }); tokenIdx < 0 {
			e.mu.Unlock()
			return badRequest("invalid page_token: %s", token)
		}
	}
	out := []map[string]any{}
	n := len(all)
	for i := range n {
		idx := n - 1 - i
		if dir == "asc" {
			idx = i
		}
		a := all[idx]
		trade := a.Type == "FILL"
		switch {
		case account != "" && a.AccountID != account, orderID != "" && a.OrderID != orderID,
			types != nil && !slices.Contains(types, a.Type),
			category == "trade_activity" && !trade, category == "non_trade_activity" && trade,
			!date.IsZero() && a.At.UTC().Format(time.DateOnly) != date.UTC().Format(time.DateOnly),
			!after.IsZero() && !a.At.After(after), !until.IsZero() && !a.At.Before(until),
			tokenIdx >= 0 && dir == "desc" && idx >= tokenIdx, tokenIdx >= 0 && dir == "asc" && idx <= tokenIdx:
			continue
		}
		out = append(out, a.wire())
		if size > 0 && len(out) == size {
			break
		}
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

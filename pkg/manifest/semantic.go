package manifest

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// The API's cross-field rules for orders, transfers and journals (which
// fields go together, which combinations it always refuses), checked on
// each resource's body once for_each/count and variables are substituted,
// so a manifest that the API would refuse fails validate instead of half
// applying. The rules mirror pkg/broker's Validate methods (which the
// emulator applies); pkg/manifest does not import pkg/broker, so they are
// restated here over the body map. A field whose value references another
// resource (${accounts.a.id}) is present but its value is unknown until
// apply: rules that need the value skip it.

// bodyView reads one resource's body for the rules.
type bodyView struct {
	l    *loader
	r    *Resource
	b    *block
	in   *instance
	m    map[string]any
	addr string
}

// has reports whether the field at the dotted path is set: not null and
// not an empty string (an empty CSV cell, already reported by its format,
// counts as absent so "qty and notional" rows with one empty cell do not
// also read as both set).
func (v *bodyView) has(path string) bool {
	x, ok := v.get(path)
	return ok && x != ""
}

// get returns the value at a dotted path below the body.
func (v *bodyView) get(path string) (any, bool) {
	var cur any = v.m
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[p]
		if !ok {
			return nil, false
		}
	}
	return cur, cur != nil
}

// str returns the value of a string field when it is known (set and not a
// reference to another resource).
func (v *bodyView) str(path string) (string, bool) {
	x, ok := v.get(path)
	s, isStr := x.(string)
	if !ok || !isStr || strings.Contains(s, "${") {
		return "", false
	}
	return s, true
}

// pos is where to report a problem with the field at a dotted path (its
// first element when nested): the CSV cell or map entry it was substituted
// from, the value as written, or else the resource itself.
func (v *bodyView) pos(field string) Pos {
	top, rest, nested := strings.Cut(field, ".")
	if v.b == nil {
		return v.r.Pos
	}
	_, val := v.b.field(top)
	if val == nil {
		return v.r.Pos
	}
	val = resolveAlias(val)
	if nested {
		_, val = nodeAt(val, strings.Split(rest, "."))
	}
	if v.in != nil && val.Kind == yaml.ScalarNode {
		if p, found := v.in.posOfEach(v.b, eachPath(val.Value)); found {
			return p
		}
	}
	return posOf(v.b.file, val)
}

// fail reports a rule broken by the body, at the position of field.
func (v *bodyView) fail(field, format string, args ...any) {
	v.l.diags = append(v.l.diags, Diagnostic{Pos: v.pos(field), Path: v.addr, Summary: fmt.Sprintf(format, args...)})
}

// checkRequests applies the cross-field rules to every resource built.
func (l *loader) checkRequests(cfg *Config) {
	for _, r := range cfg.Resources {
		check := requestRules[r.Addr.Kind]
		if r.IsData() || check == nil || r.Body == nil {
			continue
		}
		check(l.viewOf(r))
	}
	l.checkDuplicateEmails(cfg)
}

// checkDuplicateEmails refuses two accounts with the same contact e-mail:
// the API compares e-mails case-insensitively and refuses the second
// account (409), so a CSV export with "ada@x" and "Ada@X" fails here.
func (l *loader) checkDuplicateEmails(cfg *Config) {
	type first struct {
		addr string
		pos  Pos
	}
	seen := map[string]first{}
	for _, r := range cfg.Resources {
		if r.IsData() || r.Addr.Kind != KindAccounts || r.Body == nil {
			continue
		}
		v := l.viewOf(r)
		email, ok := v.str("contact.email_address")
		if !ok || email == "" {
			continue
		}
		k := strings.ToLower(strings.TrimSpace(email))
		pos := v.pos("contact.email_address")
		if f, dup := seen[k]; dup {
			l.diags = append(l.diags, Diagnostic{Pos: pos, Path: v.addr + ".contact.email_address",
				Summary: fmt.Sprintf("same e-mail as %s (%s); the API compares e-mails case-insensitively and refuses a second account with it", f.addr, posString(f.pos))})
			continue
		}
		seen[k] = first{v.addr, pos}
	}
}

// viewOf returns the rule view of a resource's body.
func (l *loader) viewOf(r *Resource) *bodyView {
	v := &bodyView{l: l, r: r, m: r.Body, b: l.blocks[r.Addr.Block().String()], addr: r.Addr.String()}
	if v.b != nil && v.b.multi {
		if i, ok := v.b.keyIdx[r.Addr.Key]; ok {
			v.in = &v.b.insts[i]
		}
	}
	return v
}

var requestRules = map[Kind]func(*bodyView){
	KindOrders:        checkOrder,
	KindTransfers:     checkTransfer,
	KindJournals:      checkJournal,
	KindBatchJournals: checkBatchJournal,
}

func checkOrder(v *bodyView) {
	typ, typOK := v.str("type")
	tif, tifOK := v.str("time_in_force")
	class, classOK := v.str("order_class")
	if !v.has("order_class") {
		class, classOK = "simple", true
	}
	if classOK && class == "mleg" {
		if !v.has("legs") {
			v.fail("order_class", "legs is required for mleg orders")
		}
		if !v.has("qty") {
			v.fail("order_class", "qty is required for mleg orders")
		}
	} else {
		for _, f := range []string{"symbol", "side"} {
			if !v.has(f) {
				v.fail("type", "%s is required (every order but mleg names it)", f)
			}
		}
	}
	qty, notional := v.has("qty"), v.has("notional")
	switch {
	case qty && notional:
		v.fail("notional", "qty and notional cannot both be set: give one of them")
	case !qty && !notional:
		v.fail("type", "one of qty or notional is required")
	case notional:
		if typOK && typ != "market" && typ != "limit" {
			v.fail("notional", "notional is only allowed for market and limit orders (got type %s)", typ)
		}
		if tifOK && tif != "day" {
			v.fail("notional", "notional orders need time_in_force day (got %s)", tif)
		}
	}
	if typOK {
		needLimit := typ == "limit" || typ == "stop_limit"
		if needLimit && !v.has("limit_price") && !(classOK && class == "oco") {
			v.fail("type", "limit_price is required for %s orders", typ)
		}
		if (typ == "stop" || typ == "stop_limit") && !v.has("stop_price") {
			v.fail("type", "stop_price is required for %s orders", typ)
		}
		tp, tpc := v.has("trail_price"), v.has("trail_percent")
		switch {
		case typ != "trailing_stop" && (tp || tpc):
			f := map[bool]string{true: "trail_price", false: "trail_percent"}[tp]
			v.fail(f, "%s is only allowed for trailing_stop orders (got type %s)", f, typ)
		case typ == "trailing_stop" && tp && tpc:
			v.fail("trail_percent", "trail_price and trail_percent cannot both be set: give one of them")
		case typ == "trailing_stop" && !tp && !tpc:
			v.fail("type", "one of trail_price or trail_percent is required for trailing_stop orders")
		}
	}
	if pct, ok := v.str("trail_percent"); ok && decimalCmp(pct, "100") > 0 {
		v.fail("trail_percent", "trail_percent must be at most 100 (got %s)", pct)
	}
	if eh, _ := v.get("extended_hours"); eh == true {
		if typOK && typ != "limit" {
			v.fail("extended_hours", "only limit orders can be extended-hours orders (got type %s)", typ)
		}
		if tifOK && tif != "day" && tif != "gtc" {
			v.fail("extended_hours", "extended-hours orders need time_in_force day or gtc (got %s)", tif)
		}
	}
	if classOK {
		checkOrderClass(v, class, typ, typOK, tif, tifOK)
	}
}

// checkOrderClass applies the bracket/oco/oto rules (docs "Understand
// Orders", as the emulator does).
func checkOrderClass(v *bodyView, class, typ string, typOK bool, tif string, tifOK bool) {
	tp, sl := v.has("take_profit.limit_price"), v.has("stop_loss.stop_price")
	switch class {
	case "", "simple", "mleg":
		if v.has("take_profit") || v.has("stop_loss") {
			f := map[bool]string{true: "take_profit", false: "stop_loss"}[v.has("take_profit")]
			v.fail(f, "%s needs order_class bracket, oco or oto", f)
		}
		return
	case "bracket", "oco":
		if !tp {
			v.fail("order_class", "take_profit.limit_price is required for %s orders", class)
		}
		if !sl {
			v.fail("order_class", "stop_loss.stop_price is required for %s orders", class)
		}
	case "oto":
		if tp == sl {
			v.fail("order_class", "oto orders need exactly one of take_profit.limit_price or stop_loss.stop_price")
		}
	default:
		return
	}
	switch {
	case typOK && class == "oco" && typ != "limit":
		v.fail("type", "oco orders must be limit orders (got type %s)", typ)
	case typOK && class != "oco" && typ != "market" && typ != "limit":
		v.fail("type", "%s orders must be market or limit orders (got type %s)", class, typ)
	}
	if tifOK && tif != "day" && tif != "gtc" {
		v.fail("time_in_force", "%s orders need time_in_force day or gtc (got %s)", class, tif)
	}
	if eh, _ := v.get("extended_hours"); eh == true {
		v.fail("extended_hours", "%s orders do not support extended hours", class)
	}
	if v.has("notional") && !v.has("qty") {
		v.fail("notional", "%s orders need qty, not notional", class)
	}
	if q, ok := v.str("qty"); ok && !isWhole(q) {
		v.fail("qty", "%s orders need a whole number of shares (got %s)", class, q)
	}
}

func checkTransfer(v *bodyView) {
	typ, ok := v.str("transfer_type")
	if !ok {
		return
	}
	switch typ {
	case "ach":
		if !v.has("relationship_id") {
			v.fail("transfer_type", "relationship_id is required for ach transfers")
		}
		if v.has("bank_id") {
			v.fail("bank_id", "bank_id is for wire transfers: an ach transfer takes relationship_id")
		}
		// Sandbox fixtures (/fixtures/status=.../fixtures/) ride in
		// additional_information on ach transfers; anything else is refused.
		if info, ok := v.str("additional_information"); ok && !strings.HasPrefix(info, "/fixtures/") {
			v.fail("additional_information", "additional_information is only allowed for wire transfers (or a sandbox /fixtures/.../fixtures/ string)")
		}
	case "wire":
		if !v.has("bank_id") {
			v.fail("transfer_type", "bank_id is required for wire transfers")
		}
		if v.has("relationship_id") {
			v.fail("relationship_id", "relationship_id is for ach transfers: a wire transfer takes bank_id")
		}
		if dir, ok := v.str("direction"); ok && dir == "INCOMING" {
			v.fail("direction", "the API cannot submit incoming wire transfers: wire is OUTGOING only (deposit with an ach transfer)")
		}
	}
}

func checkJournal(v *bodyView) {
	if from, ok := v.get("from_account"); ok {
		if to, ok := v.get("to_account"); ok && from == to {
			v.fail("to_account", "to_account must differ from from_account")
		}
	}
	et, ok := v.str("entry_type")
	if !ok {
		return
	}
	switch et {
	case "JNLC":
		if !v.has("amount") {
			v.fail("entry_type", "amount is required for JNLC journals")
		}
		for _, f := range []string{"symbol", "qty"} {
			if v.has(f) {
				v.fail(f, "%s is not allowed for JNLC journals (cash: give amount)", f)
			}
		}
	case "JNLS":
		for _, f := range []string{"symbol", "qty"} {
			if !v.has(f) {
				v.fail("entry_type", "%s is required for JNLS journals", f)
			}
		}
		if v.has("amount") {
			v.fail("amount", "amount is not allowed for JNLS journals (securities: give symbol and qty)")
		}
		if q, ok := v.str("qty"); ok && isJSONNumber(q) {
			if _, frac, dot := strings.Cut(q, "."); dot && len(strings.TrimRight(frac, "0")) > 9 {
				v.fail("qty", "qty has at most 9 decimal places for JNLS journals (got %s)", q)
			}
		}
	}
}

func checkBatchJournal(v *bodyView) {
	entries, _ := v.get("entries")
	list, isList := entries.([]any)
	if isList && len(list) == 0 {
		v.fail("entries", "at least one entry is required")
	}
	from, ok := v.get("from_account")
	if !ok {
		return
	}
	for i, e := range list {
		m, _ := e.(map[string]any)
		if to, ok := m["to_account"]; ok && to == from {
			v.fail("entries", "entries[%d].to_account must differ from from_account", i)
		}
	}
}

// decimalCmp compares two decimal strings; 0 when either is not one (the
// schema reports that).
func decimalCmp(a, b string) int {
	x, err1 := decimal.NewFromString(a)
	y, err2 := decimal.NewFromString(b)
	if err1 != nil || err2 != nil {
		return 0
	}
	return x.Cmp(y)
}

// isWhole reports whether s is a whole number (true when it is not a
// decimal: the schema reports that).
func isWhole(s string) bool {
	d, err := decimal.NewFromString(s)
	return err != nil || d.IsInteger()
}

// eachPath returns the path of a value that is exactly ${each.key} or
// ${each.value.FIELD} (["key"], ["value", FIELD]); nil otherwise.
func eachPath(s string) []string {
	s = strings.TrimSpace(s)
	if s == "${each.key}" {
		return []string{"key"}
	}
	if name, ok := strings.CutPrefix(s, "${each.value."); ok && strings.HasSuffix(name, "}") && !strings.ContainsAny(name[:len(name)-1], ".[${}") {
		return []string{"value", name[:len(name)-1]}
	}
	return nil
}

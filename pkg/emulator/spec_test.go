package emulator

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// specPath is the current Broker API spec, relative to this package.
const specPath = "../../../shared/reference/alpaca-broker-api.openapi.yaml"

// specExtras are fields the emulator emits that the current spec's schema
// does not list, each documented elsewhere (older spec, SDK fixtures or the
// spec's own examples).
var specExtras = map[string][]string{
	// kyc_results and trading_configurations: 2022 docs and alpaca-py fixtures (§12.1, §12.4).
	"Account": {"kyc_results", "trading_configurations"},
	// currency: alpaca-py transfer list fixture (§12.14).
	"Transfer": {"currency"},
	// symbol/qty/price/system_date: the spec's own Journal and BatchJournalResponse examples (§12.18, §12.30).
	"Journal":              {"symbol", "qty", "price", "system_date"},
	"BatchJournalResponse": {"symbol", "qty", "price", "system_date"},
	// subtag/source: alpaca-py order fixtures and the sandbox sample (§12.23).
	"Order": {"subtag", "source"},
	// Order.legs is described as "an array of Order entities", but its items
	// are the OrderLeg schema, which lacks these Order fields.
	"Order.legs":               {"subtag", "source", "cancel_requested_at"},
	"TradeUpdateEventV2.order": {"subtag", "source"},
	// Day-trading and pending-in fields: the docs' and alpaca-py's trading
	// account samples (§12.5, §12.6), listed by facts §3.7.
	"TradeAccount": {"daytrade_count", "daytrading_buying_power", "last_daytrade_count",
		"last_daytrading_buying_power", "pattern_day_trader", "pending_transfer_in"},
}

// specNullable are properties the real API sends as explicit null although
// the spec types them without null (every sample shows the null).
var specNullable = []string{
	".identity.visa_type", ".identity.visa_expiration_date", ".identity.date_of_departure_from_usa",
	".identity.permanent_resident", ".trading_configurations", "Transfer.hold_until",
	// The spec's own example-queued journal has "system_date": null.
	"Journal.system_date",
	// The spec's StatusFundingEvent example-1 and the docs' account event
	// stream (§12.27, §12.32).
	"StatusFundingEvent.status_from", "AccountStatusEvent.kyc_results",
	// OrderLeg.legs: "Always null for an order leg", typed object.
	"].legs",
}

// specEnumExtras are enum values the emulator emits beyond a schema's enum.
var specEnumExtras = map[string][]string{
	// A deleted ACH relationship shows CANCELED (the StatusFundingEvent enum lists it).
	"ACHRelationship.status": {"CANCELED"},
	// A bracket's stop-loss leg waits "held" (alpaca-py's OrderStatus.HELD;
	// alpacahq/alpaca-trade-api-python#322 shows it on a bracket leg).
	"Order.status": {"held"},
}

// findSpec looks for shared/reference beside the repository, or beside
// any directory above it (a git worktree lives deeper than the clone).
func findSpec() string {
	rel := strings.TrimLeft(specPath, "./")
	dir, err := filepath.Abs(".")
	if err != nil {
		return specPath
	}
	for {
		if p := filepath.Join(dir, rel); fileExists(p) {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return specPath
		}
		dir = parent
	}
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// indexRe strips array indexes from a checked path ("Order.legs[1]").
var indexRe = regexp.MustCompile(`\[[0-9]+\]`)

type spec struct{ schemas map[string]any }

func loadSpec(t *testing.T) *spec {
	t.Helper()
	raw, err := os.ReadFile(findSpec())
	if err != nil {
		t.Skipf("spec not available (%v): the contract test needs %s", err, specPath)
	}
	var doc struct {
		Components struct {
			Schemas map[string]any `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse spec: %v", err)
	}
	return &spec{schemas: doc.Components.Schemas}
}

func (s *spec) resolve(node any) map[string]any {
	m, _ := node.(map[string]any)
	for m != nil {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		m, _ = s.schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
	}
	return m
}

// flat merges allOf parts (and picks a oneOf variant by discriminator).
type flat struct {
	props    map[string]any
	required []string
	types    []string
	enum     []string
	items    any
	variants []any
	nullable bool
}

func (s *spec) flatten(node any, value any) flat {
	m := s.resolve(node)
	f := flat{props: map[string]any{}}
	if m == nil {
		return f
	}
	switch t := m["type"].(type) {
	case string:
		f.types = []string{t}
	case []any:
		for _, x := range t {
			f.types = append(f.types, fmt.Sprint(x))
		}
	}
	if n, _ := m["nullable"].(bool); n {
		f.nullable = true
	}
	for _, e := range asList(m["enum"]) {
		f.enum = append(f.enum, fmt.Sprint(e))
	}
	for k, v := range asMap(m["properties"]) {
		f.props[k] = v
	}
	for _, r := range asList(m["required"]) {
		f.required = append(f.required, fmt.Sprint(r))
	}
	f.items = m["items"]
	for _, part := range asList(m["allOf"]) {
		sub := s.flatten(part, value)
		for k, v := range sub.props {
			f.props[k] = v
		}
		f.required = append(f.required, sub.required...)
		if f.types == nil {
			f.types = sub.types
		}
		if f.enum == nil {
			f.enum = sub.enum
		}
		f.variants = append(f.variants, sub.variants...)
	}
	f.variants = append(f.variants, asList(m["oneOf"])...)
	f.variants = append(f.variants, asList(m["anyOf"])...)
	if d := asMap(m["discriminator"]); d != nil && len(f.variants) > 0 {
		obj, _ := value.(map[string]any)
		key := fmt.Sprint(obj[fmt.Sprint(d["propertyName"])])
		if ref, ok := asMap(d["mapping"])[key]; ok {
			sub := s.flatten(map[string]any{"$ref": ref}, value)
			for k, v := range sub.props {
				if _, base := f.props[k]; !base { // the Journal base schema's nullability wins
					f.props[k] = v
				}
			}
			f.required = append(f.required, sub.required...)
			f.variants = nil
		}
	}
	return f
}

func asList(v any) []any         { l, _ := v.([]any); return l }
func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// check validates value against node and returns every violation.
func (s *spec) check(name, path string, node, value any) []string {
	f := s.flatten(node, value)
	if len(f.variants) > 0 && len(f.props) == 0 && len(f.types) == 0 {
		var best []string
		for i, v := range f.variants {
			errs := s.check(name, path, v, value)
			if len(errs) == 0 {
				return nil
			}
			if i == 0 || len(errs) < len(best) {
				best = errs
			}
		}
		return best
	}
	if len(f.variants) > 0 && len(f.props) > 0 {
		// allOf base properties plus a oneOf (Activity: base + TradeActivity
		// or NonTradeActivity): check the base merged with each variant and
		// keep the closest.
		var best []string
		for i, v := range f.variants {
			props := map[string]any{}
			for k, p := range f.props {
				props[k] = p
			}
			req := make([]any, 0, len(f.required))
			for _, r := range f.required {
				req = append(req, r)
			}
			merged := map[string]any{"type": "object", "properties": props, "required": req, "allOf": []any{v}}
			errs := s.check(name, path, merged, value)
			if len(errs) == 0 {
				return nil
			}
			if i == 0 || len(errs) < len(best) {
				best = errs
			}
		}
		return best
	}
	jt := jsonType(value)
	if len(f.types) > 0 {
		ok := slices.Contains(f.types, jt) || (jt == "integer" && slices.Contains(f.types, "number")) ||
			(jt == "null" && (f.nullable || slices.ContainsFunc(specNullable, func(s string) bool { return strings.HasSuffix(path, s) })))
		if !ok {
			return []string{fmt.Sprintf("%s: JSON type %s, spec says %v", path, jt, f.types)}
		}
	}
	var errs []string
	if str, isStr := value.(string); isStr && len(f.enum) > 0 && !slices.Contains(f.enum, str) {
		key := name + "." + strings.TrimPrefix(path[strings.LastIndex(path, ".")+1:], "")
		if !slices.Contains(specEnumExtras[key], str) {
			errs = append(errs, fmt.Sprintf("%s: %q not in enum %v", path, str, f.enum))
		}
	}
	switch v := value.(type) {
	case map[string]any:
		for _, r := range f.required {
			if _, ok := v[r]; !ok {
				errs = append(errs, fmt.Sprintf("%s: required property %q missing", path, r))
			}
		}
		if len(f.props) == 0 {
			return errs
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p, known := f.props[k]
			if !known {
				if slices.Contains(specExtras[indexRe.ReplaceAllString(path, "")], k) {
					continue
				}
				errs = append(errs, fmt.Sprintf("%s: property %q is not in the spec", path, k))
				continue
			}
			errs = append(errs, s.check(name, path+"."+k, p, v[k])...)
		}
	case []any:
		if f.items != nil {
			for i, it := range v {
				errs = append(errs, s.check(name, fmt.Sprintf("%s[%d]", path, i), f.items, it)...)
			}
		}
	}
	return errs
}

// contractSamples drives the emulator through every lifecycle and returns
// response bodies by spec schema name.
func contractSamples(t *testing.T) map[string][]any {
	h := newHarness(t, func(o *Options) { o.FirmCash = "1000000" })
	out := map[string][]any{}
	add := func(schema string, r resp) {
		var v any
		if err := json.Unmarshal(r.Body, &v); err != nil {
			t.Fatalf("%s: %v", schema, err)
		}
		if l, ok := v.([]any); ok {
			out[schema] = append(out[schema], l...)
			return
		}
		out[schema] = append(out[schema], v)
	}
	body := accountBody("", "")
	body["trusted_contact"] = map[string]any{"given_name": "Jane", "family_name": "Doe", "email_address": "jane@example.com"}
	acct := h.must(200, "POST", "/v1/accounts", body)
	add("Account", acct)
	id := acct.json(t)["id"].(string)
	h.clock.Advance(0)
	add("AccountExtended", h.must(200, "GET", "/v1/accounts/"+id, nil))
	add("Account", h.must(200, "GET", "/v1/accounts", nil))
	rel := h.must(200, "POST", "/v1/accounts/"+id+"/ach_relationships", achBody())
	add("ACHRelationship", rel)
	bank := h.must(200, "POST", "/v1/accounts/"+id+"/recipient_banks", map[string]any{"name": "b", "bank_code_type": "ABA",
		"bank_code": "123456789", "account_number": "123456789abc"})
	add("Bank", bank)
	h.clock.Advance(0)
	add("Transfer", h.must(200, "POST", "/v1/accounts/"+id+"/transfers", map[string]any{"transfer_type": "ach",
		"relationship_id": rel.json(t)["id"], "amount": "1000", "direction": "INCOMING"}))
	h.clock.Advance(0)
	add("Transfer", h.must(200, "POST", "/v1/accounts/"+id+"/transfers", map[string]any{"transfer_type": "wire",
		"bank_id": bank.json(t)["id"], "amount": "10", "direction": "OUTGOING"}))
	h.clock.Advance(0)
	add("Transfer", h.must(200, "GET", "/v1/accounts/"+id+"/transfers", nil))
	add("Journal", h.must(200, "POST", "/v1/journals", jnlc(DefaultFirmAccountID, id, "100")))
	h.clock.Advance(0)
	add("Journal", h.must(200, "GET", "/v1/journals", nil))
	add("BatchJournalResponse", h.must(200, "POST", "/v1/journals/batch", map[string]any{"entry_type": "JNLC",
		"from_account": DefaultFirmAccountID, "entries": []map[string]any{{"to_account": id, "amount": "5"}}}))
	path := "/v1/trading/accounts/" + id
	add("Order", h.must(200, "POST", path+"/orders", map[string]any{"symbol": "AAPL", "qty": "2", "side": "buy",
		"type": "market", "time_in_force": "day", "commission": "1", "commission_type": "qty"}))
	add("Order", h.must(200, "POST", path+"/orders", map[string]any{"symbol": "SPY", "notional": "100", "side": "buy",
		"type": "limit", "limit_price": "1", "time_in_force": "day"}))
	bracket := h.must(200, "POST", path+"/orders", map[string]any{"symbol": "AAPL", "qty": "1", "side": "buy",
		"type": "market", "time_in_force": "gtc", "order_class": "bracket", "take_profit": map[string]any{"limit_price": "200"},
		"stop_loss": map[string]any{"stop_price": "180", "limit_price": "179"}})
	add("Order", bracket)
	h.clock.Advance(0)
	add("Order", h.must(200, "GET", path+"/orders/"+bracket.json(t)["id"].(string)+"?nested=true", nil))
	add("Order", h.must(200, "POST", path+"/orders", map[string]any{"symbol": "AAPL", "qty": "1", "side": "sell",
		"type": "trailing_stop", "trail_percent": "2.5", "time_in_force": "day"}))
	add("Order", h.must(200, "GET", path+"/orders?status=all", nil))
	add("Order", h.must(200, "GET", path+"/orders?status=all&nested=true", nil))
	h.must(200, "POST", "/v1/trading/accounts/"+DefaultFirmAccountID+"/orders", mkt("MSFT", "buy", "3"))
	// A block order: partial_fill events and a partially filled order.
	block := h.must(200, "POST", "/v1/trading/accounts/"+DefaultFirmAccountID+"/orders", map[string]any{"symbol": "F",
		"qty": "10000", "side": "buy", "type": "market", "time_in_force": "ioc"})
	h.clock.Advance(0)
	add("Order", h.must(200, "GET", "/v1/trading/accounts/"+DefaultFirmAccountID+"/orders/"+block.json(t)["id"].(string), nil))
	add("Journal", h.must(200, "POST", "/v1/journals", map[string]any{"from_account": DefaultFirmAccountID,
		"to_account": id, "entry_type": "JNLS", "symbol": "MSFT", "qty": "1"}))
	h.clock.Advance(0)
	add("Position", h.must(200, "GET", path+"/positions", nil))
	add("Activity", h.must(200, "GET", "/v1/accounts/activities?page_size=100", nil))
	add("TradeAccount", h.must(200, "GET", path+"/account", nil))
	// SSE payloads, rendered exactly as the streams write them.
	for _, r := range []struct {
		schema string
		route  sseRoute
	}{
		{"AccountStatusEvent", sseRoute{stream: streamAccounts}},
		{"TransferStatusEvent", sseRoute{stream: streamFunding, only: "Transfer"}},
		{"StatusFundingEvent", sseRoute{stream: streamFunding, v2: true}},
		{"JournalStatusEvent", sseRoute{stream: streamJournals}},
		{"JournalStatusEventV2", sseRoute{stream: streamJournals, v2: true}},
		{"TradeUpdateEventV2", sseRoute{stream: streamTrades, v2: true}},
	} {
		evs, _ := h.em.hub.read(r.route.stream, 0)
		for i := range evs {
			if r.route.only != "" && evs[i].EntityType != r.route.only {
				continue
			}
			b, err := json.Marshal(renderEvent(r.route, &evs[i]))
			if err != nil {
				t.Fatal(err)
			}
			add(r.schema, resp{Body: b})
		}
	}
	return out
}

func TestSpecContract(t *testing.T) {
	sp := loadSpec(t)
	samples := contractSamples(t)
	for _, name := range []string{"Account", "AccountExtended", "ACHRelationship", "Bank", "Transfer", "Journal",
		"BatchJournalResponse", "Order", "Position", "TradeAccount", "Activity", "AccountStatusEvent", "TransferStatusEvent",
		"StatusFundingEvent", "JournalStatusEvent", "JournalStatusEventV2", "TradeUpdateEventV2"} {
		t.Run(name, func(t *testing.T) {
			if sp.schemas[name] == nil {
				t.Fatalf("schema %s not in the spec", name)
			}
			objs := samples[name]
			if len(objs) == 0 {
				t.Fatalf("no %s samples", name)
			}
			for i, obj := range objs {
				for _, e := range sp.check(name, name, sp.schemas[name], obj) {
					t.Errorf("sample %d: %s", i, e)
				}
			}
		})
	}
}

// TestSpecCheckerCatchesDrift proves the checker fails on the mistakes it
// exists to catch.
func TestSpecCheckerCatchesDrift(t *testing.T) {
	sp := loadSpec(t)
	good := map[string]any{"id": "x", "account_id": "y", "created_at": "t", "updated_at": "t", "status": "QUEUED",
		"account_owner_name": "n"}
	if errs := sp.check("ACHRelationship", "ACHRelationship", sp.schemas["ACHRelationship"], good); len(errs) != 0 {
		t.Fatalf("good sample flagged: %v", errs)
	}
	for name, mutate := range map[string]func(map[string]any){
		"missing required": func(m map[string]any) { delete(m, "account_owner_name") },
		"wrong type":       func(m map[string]any) { m["status"] = 3.0 },
		"bad enum":         func(m map[string]any) { m["status"] = "LOST" },
		"unknown field":    func(m map[string]any) { m["surprise"] = true },
	} {
		bad := map[string]any{}
		for k, v := range good {
			bad[k] = v
		}
		mutate(bad)
		if errs := sp.check("ACHRelationship", "ACHRelationship", sp.schemas["ACHRelationship"], bad); len(errs) == 0 {
			t.Errorf("%s: not detected", name)
		}
	}
}

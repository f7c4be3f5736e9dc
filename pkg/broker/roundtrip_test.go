package broker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"
)

// sampleTypes maps each verbatim sample of broker-api-facts.md §12 (copied
// into testdata/) to the Go type that must carry it.
var sampleTypes = map[string]func() any{
	"s12_01_account_create.json":           func() any { return new(Account) },
	"s12_02_account_create_py.json":        func() any { return new(Account) },
	"s12_03_account_create_approved.json":  func() any { return new(Account) },
	"s12_04_account_list.json":             func() any { return new([]Account) },
	"s12_05_trade_account.json":            func() any { return new(TradeAccount) },
	"s12_06_trade_account_zero.json":       func() any { return new(TradeAccount) },
	"s12_07_ach_relationship.json":         func() any { return new(ACHRelationship) },
	"s12_08_ach_relationship_sandbox.json": func() any { return new(ACHRelationship) },
	"s12_09_ach_relationship_py.json":      func() any { return new(ACHRelationship) },
	"s12_10_bank.json":                     func() any { return new(Bank) },
	"s12_11_transfer_complete.json":        func() any { return new(Transfer) },
	"s12_12_transfer_create_request.json":  func() any { return new(TransferCreateRequest) },
	"s12_13_transfer_queued.json":          func() any { return new(Transfer) },
	"s12_14_transfer_list.json":            func() any { return new([]Transfer) },
	"s12_15_journal_jnlc.json":             func() any { return new(Journal) },
	"s12_16_journal_jnls.json":             func() any { return new(Journal) },
	"s12_17_journal_create_py.json":        func() any { return new(Journal) },
	"s12_18_batch_journal.json":            func() any { return new([]BatchJournalResult) },
	"s12_19_reverse_batch_journal.json":    func() any { return new([]BatchJournalResult) },
	"s12_20_order_accepted.json":           func() any { return new(Order) },
	"s12_21_order_notional.json":           func() any { return new(Order) },
	"s12_22_position.json":                 func() any { return new(Position) },
	"s12_23_close_all_positions_207.json":  func() any { return new([]ClosePositionResult) },
	"s12_24_cancel_all_orders_207.json":    func() any { return new([]CancelOrderResult) },
	"s12_25_error_401.json":                func() any { return new(ErrorBody) },
	"s12_28_error_422_wire.json":           func() any { return new(ErrorBody) },
	"s12_29_order_equity.json":             func() any { return new(Order) },
	"s12_30_journal_examples.json":         func() any { return new(map[string]Journal) },
	"s12_31_transfer_events_v1.json":       func() any { return new(map[string]TransferStatusEvent) },
	"s12_32_funding_events_v2.json":        func() any { return new(map[string]StatusFundingEvent) },
	"s12_33_journal_events_v2.json":        func() any { return new(map[string]JournalStatusEventV2) },
	"s12_34_trade_update_v2.json":          func() any { return new(TradeUpdateEventV2) },
	"s12_35_position_qty_available.json":   func() any { return new(Position) },
}

func TestSamplesRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/s12_*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(sampleTypes) {
		t.Errorf("%d sample files, %d mapped types: keep them in step", len(files), len(sampleTypes))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			newT, ok := sampleTypes[name]
			if !ok {
				t.Fatalf("no type mapped for %s", name)
			}
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			assertRoundTrip(t, raw, newT())
		})
	}
}

// TestMultiStatusBodiesRoundTrip decodes the 2xx bodies of the 207 arrays as
// Orders and the error bodies as APIErrors.
func TestMultiStatusBodiesRoundTrip(t *testing.T) {
	raw, err := os.ReadFile("testdata/s12_23_close_all_positions_207.json")
	if err != nil {
		t.Fatal(err)
	}
	var items []ClosePositionResult
	if err := json.Unmarshal(raw, &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 {
		t.Fatalf("got %d items", len(items))
	}
	o, ok, err := items[0].Order()
	if err != nil || !ok || o.Symbol != "BTC/USD" || o.Qty.String() != "0.0283" {
		t.Fatalf("order item: %+v ok=%v err=%v", o, ok, err)
	}
	assertRoundTrip(t, items[0].Body, new(Order))
	if items[0].Err() != nil {
		t.Errorf("200 item has error %v", items[0].Err())
	}
	e := items[1].Err()
	if !IsForbidden(e) {
		t.Fatalf("403 item: %v", e)
	}
	var apiErr *APIError
	_ = errors.As(e, &apiErr)
	if apiErr.Code != 40310000 || !bytes.Contains(apiErr.Body, []byte(`"existing_qty"`)) {
		t.Errorf("403 item lost detail: %+v", apiErr)
	}
	if _, ok, _ := items[2].Order(); ok {
		t.Error("error item decoded as order")
	}
}

// assertRoundTrip decodes raw into v, re-encodes it and checks that every
// field of raw survives with the same value.
func assertRoundTrip(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode into %T: %v", v, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	orig, got := genericJSON(t, raw), genericJSON(t, out)
	for _, problem := range compareJSON("$", orig, got) {
		t.Errorf("%T: %s", v, problem)
	}
}

func genericJSON(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("generic decode: %v\n%s", err, b)
	}
	return v
}

// compareJSON reports fields of orig that are missing or different in got.
// Decimals are compared as text (a JSON number 1.25 may come back as the
// string "1.25"), timestamps as instants. Keys that only got has are allowed
// when their value is empty (null, "", "0", false, 0, [] or {}): they are
// fields the API always sends that this sample happened to leave out.
func compareJSON(path string, orig, got any) []string {
	switch o := orig.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: object became %s", path, brief(got))}
		}
		var problems []string
		for _, k := range sortedKeys(o) {
			gv, ok := g[k]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s.%s: field lost (was %s)", path, k, brief(o[k])))
				continue
			}
			problems = append(problems, compareJSON(path+"."+k, o[k], gv)...)
		}
		for _, k := range sortedKeys(g) {
			if _, ok := o[k]; !ok && !isEmptyJSON(g[k]) {
				problems = append(problems, fmt.Sprintf("%s.%s: unexpected field %s", path, k, brief(g[k])))
			}
		}
		return problems
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(o) {
			return []string{fmt.Sprintf("%s: array %s became %s", path, brief(orig), brief(got))}
		}
		var problems []string
		for i := range o {
			problems = append(problems, compareJSON(fmt.Sprintf("%s[%d]", path, i), o[i], g[i])...)
		}
		return problems
	case json.Number:
		switch g := got.(type) {
		case json.Number:
			if g == o {
				return nil
			}
		case string:
			if g == o.String() {
				return nil
			}
		}
	case string:
		if g, ok := got.(string); ok {
			if g == o {
				return nil
			}
			to, err1 := time.Parse(time.RFC3339Nano, o)
			tg, err2 := time.Parse(time.RFC3339Nano, g)
			if err1 == nil && err2 == nil && to.Equal(tg) {
				return nil
			}
		}
	default:
		if reflect.DeepEqual(orig, got) {
			return nil
		}
	}
	return []string{fmt.Sprintf("%s: %s became %s", path, brief(orig), brief(got))}
}

func isEmptyJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == "" || x == "0"
	case bool:
		return !x
	case json.Number:
		return x == "0"
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func brief(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 60 {
		b = append(b[:60], "…"...)
	}
	return string(b)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestCompareJSONCatchesLoss(t *testing.T) {
	tests := []struct {
		orig, got string
		problems  int
	}{
		{`{"a":"1.0"}`, `{"a":"1.0"}`, 0},
		{`{"a":"1.0"}`, `{"a":"1"}`, 1},
		{`{"a":1.25}`, `{"a":"1.25"}`, 0},
		{`{"a":"x","b":null}`, `{"a":"x"}`, 1},
		{`{"a":"x"}`, `{"a":"x","b":null}`, 0},
		{`{"a":"x"}`, `{"a":"x","b":"y"}`, 1},
		{`{"t":"2021-06-14T10:00:00.000000Z"}`, `{"t":"2021-06-14T10:00:00Z"}`, 0},
		{`{"e":{}}`, `{}`, 1},
		{`[1,2]`, `[1]`, 1},
	}
	for _, tt := range tests {
		p := compareJSON("$", genericJSON(t, []byte(tt.orig)), genericJSON(t, []byte(tt.got)))
		if len(p) != tt.problems {
			t.Errorf("%s vs %s: %v", tt.orig, tt.got, p)
		}
	}
}

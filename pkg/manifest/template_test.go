package manifest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParseTemplateRefs(t *testing.T) {
	tests := []struct {
		in   string
		refs []string // Reference.String() of each reference
	}{
		{"plain text", nil},
		{"${accounts.alice.id}", []string{"${accounts.alice.id}"}},
		{"id=${accounts.alice.id} n=${accounts.alice.account_number}", []string{"${accounts.alice.id}", "${accounts.alice.account_number}"}},
		{`${accounts.c["a@x.com"].contact.email_address}`, []string{`${accounts.c["a@x.com"].contact.email_address}`}},
		{"${batch_journals.b.entries[0].id}", []string{"${batch_journals.b.entries[0].id}"}},
		{"${data.accounts.firm.id}", []string{"${data.accounts.firm.id}"}},
		{"$${accounts.alice.id} is literal", nil},
		{"cost: $5", nil},
		{"${var.x}-${env.HOME:-/root}-${count.index}-${each.value.a}", nil},
	}
	for _, tt := range tests {
		tmpl, err := ParseTemplate(tt.in, Pos{})
		if err != nil {
			t.Fatalf("ParseTemplate(%q): %v", tt.in, err)
		}
		var got []string
		for _, r := range tmpl.Refs() {
			got = append(got, r.String())
		}
		if !reflect.DeepEqual(got, tt.refs) {
			t.Errorf("ParseTemplate(%q).Refs() = %q, want %q", tt.in, got, tt.refs)
		}
		if tmpl.String() != tt.in {
			t.Errorf("String() = %q, want %q", tmpl.String(), tt.in)
		}
	}
}

func TestParseTemplateErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"${accounts.alice.id", "unterminated ${"},
		{"${}", "incomplete expression"},
		{"${accounts}", "a reference needs kind.name"},
		{"${var}", "want ${var.NAME}"},
		{"${var.a.b}", "want ${var.NAME}"},
		{"${count.idx}", "want ${count.index}"},
		{"${each.keys}", "want ${each.key}"},
		{"${env.}", "missing variable name"},
		{"${env.X:=y}", "write ${env.X:-default}"},
		{"${accounts.a[01].id}", "bad index [01]"},
		{`${accounts.a["x].id}`, "unterminated ${"},
		{`${accounts.a[x.id}`, "missing ]"},
		{"${accounts.a[accounts.b.id].id}", "use a quoted key"},
		{"${accounts.a.b c}", `unexpected ' '`},
	}
	for _, tt := range tests {
		_, err := ParseTemplate(tt.in, Pos{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseTemplate(%q) error = %v, want %q", tt.in, err, tt.want)
		}
	}
}

// renderLookup serves fixed objects for accounts.alice and a batch journal.
func renderLookup(a Address) (map[string]any, bool) {
	switch a.String() {
	case "accounts.alice":
		return map[string]any{
			"id": "11111111-1111-4111-8111-111111111111", "account_number": "920000001",
			"last_equity": json.Number("1000.50"), "cash": "250.00", "enabled": true,
			"contact":  map[string]any{"email_address": "alice@example.com"},
			"balances": []any{json.Number("1"), json.Number("2")},
			"nothing":  nil,
		}, true
	case "batch_journals.b":
		return map[string]any{"entries": []any{map[string]any{"id": "j0"}, map[string]any{"id": "j1"}}}, true
	}
	return nil, false
}

func TestTemplateRender(t *testing.T) {
	tests := []struct {
		in      string
		want    any
		wantErr string
	}{
		// A whole-string reference keeps the JSON type of the value.
		{"${accounts.alice.id}", "11111111-1111-4111-8111-111111111111", ""},
		{"${accounts.alice.last_equity}", json.Number("1000.50"), ""},
		{"${accounts.alice.enabled}", true, ""},
		{"${accounts.alice.contact}", map[string]any{"email_address": "alice@example.com"}, ""},
		{"${accounts.alice.balances}", []any{json.Number("1"), json.Number("2")}, ""},
		{"${accounts.alice.nothing}", nil, ""},
		// Decimal strings stay strings, never floats.
		{"${accounts.alice.cash}", "250.00", ""},
		// Interpolation yields text.
		{"n=${accounts.alice.account_number}", "n=920000001", ""},
		{"${accounts.alice.last_equity} USD", "1000.50 USD", ""},
		{"on=${accounts.alice.enabled}", "on=true", ""},
		{"${accounts.alice.cash}/${accounts.alice.account_number}", "250.00/920000001", ""},
		{"${batch_journals.b.entries[1].id}", "j1", ""},
		{"$${not.a.ref}", "${not.a.ref}", ""},
		// Errors.
		{"x ${accounts.alice.contact}", nil, "cannot insert"},
		{"${accounts.bob.id}", nil, "has not been created yet"},
		{"${accounts.alice.missing}", nil, "has no field .missing"},
		{"${batch_journals.b.entries[5].id}", nil, "index 5 out of range (length 2)"},
		{"${accounts.alice.id.x}", nil, "not an object"},
	}
	for _, tt := range tests {
		tmpl, err := ParseTemplate(tt.in, Pos{})
		if err != nil {
			t.Fatalf("ParseTemplate(%q): %v", tt.in, err)
		}
		got, err := tmpl.Render(renderLookup)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Render(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Render(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Render(%q) = %#v (%T), want %#v (%T)", tt.in, got, got, tt.want, tt.want)
		}
	}
}

func TestResourceRender(t *testing.T) {
	cfg := mustLoad(t, map[string]string{"m.yaml": `
accounts:
  alice:
` + testAccount + `
orders:
  buy:
    account_id: ${accounts.alice.id}
    symbol: AAPL
    qty: "1.5"
    side: buy
    type: limit
    limit_price: "10.25"
    time_in_force: day
    client_order_id: buy-${accounts.alice.account_number}
`}, nil)
	r := resource(t, cfg, "orders.buy")
	body, accountID, err := r.Render(renderLookup)
	if err != nil {
		t.Fatal(err)
	}
	if accountID != "11111111-1111-4111-8111-111111111111" {
		t.Errorf("account id %q", accountID)
	}
	if _, ok := body["account_id"]; ok {
		t.Error("account_id is in the body: it is the path parameter")
	}
	want := map[string]any{"symbol": "AAPL", "qty": "1.5", "side": "buy", "type": "limit", "limit_price": "10.25",
		"time_in_force": "day", "client_order_id": "buy-920000001"}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body = %#v\nwant %#v", body, want)
	}
	// Body is not modified by Render.
	if r.Body["client_order_id"] != "buy-${accounts.alice.account_number}" {
		t.Errorf("Body changed: %v", r.Body["client_order_id"])
	}
}

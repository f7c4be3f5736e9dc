package manifest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// TestSchemaMessageRedacts checks every message kind that can print a
// value: for a sensitive field the value never appears, for others it does.
func TestSchemaMessageRedacts(t *testing.T) {
	const secret = "666-55-1234"
	kinds := []struct {
		name  string
		kind  jsonschema.ErrorKind
		value any
	}{
		{"type", &kind.Type{Got: "number", Want: []string{"string"}}, json.Number("666551234")},
		{"enum", &kind.Enum{Got: secret, Want: []any{"A", "B"}}, secret},
		{"const", &kind.Const{Got: secret, Want: "x"}, secret},
		{"pattern", &kind.Pattern{Got: secret, Want: "^[0-9]{9}$"}, secret},
		{"format", &kind.Format{Got: secret, Want: "date"}, secret},
		{"own format", &kind.Format{Got: secret, Want: "decimal", Err: &formatError{"is not a decimal string"}}, secret},
		{"maxLength", &kind.MaxLength{Got: 11, Want: 9}, secret},
	}
	for _, k := range kinds {
		for _, field := range []string{"tax_id", "date_of_birth", "bank_account_number", "account_number", "transmitter_account_number", "given_name"} {
			e := &jsonschema.ValidationError{SchemaURL: SchemaURL + "#/$defs/Identity/properties/" + field, ErrorKind: k.kind}
			sum, sugg := schemaMessage(e, k.value, []string{"accounts", "a", "identity", field})
			leaked := strings.Contains(sum, "666") || strings.Contains(sugg, "666")
			if sensitive := field != "given_name"; sensitive == leaked && k.name != "maxLength" {
				t.Errorf("%s on %s: %q (did you mean %q): sensitive=%v but leaked=%v", k.name, field, sum, sugg, sensitive, leaked)
			}
		}
	}
}

// TestRenderErrorRedacts: an apply-time render error about a sensitive
// field names the value's kind only.
func TestRenderErrorRedacts(t *testing.T) {
	tmpl, err := ParseTemplate("${accounts.a.identity.tax_id.last4}", Pos{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tmpl.Render(func(Address) (map[string]any, bool) {
		return map[string]any{"identity": map[string]any{"tax_id": "666-55-4321"}}, true
	})
	if err == nil || strings.Contains(err.Error(), "666") || !strings.Contains(err.Error(), "is a string, not an object") {
		t.Fatalf("render error %v: want the kind of identity.tax_id, not its value", err)
	}
}

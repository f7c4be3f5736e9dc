package manifest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"github.com/shopspring/decimal"

	"github.com/brokerctl/brokerctl/pkg/redact"
)

// fieldName returns the name of the field a path ends in, skipping list
// indexes: identity.funding_source[0] -> funding_source.
func fieldName(path []string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if !isIndex(path[i]) {
			return path[i]
		}
	}
	return ""
}

// sensitiveField reports whether the values of the field a path ends in are
// personal data or secrets (tax_id, date_of_birth, bank_account_number...),
// which a diagnostic must never print: CI logs keep them. account_number is
// a bank account number in the only body that has it (bank_relationships).
func sensitiveField(path []string) bool {
	f := fieldName(path)
	return redact.IsSensitiveKey(f) || strings.EqualFold(f, "account_number")
}

// valueKindAt is valueKind for a value found at path (a field path or a
// variable name): the kind only, without the value, for a sensitive field.
func valueKindAt(v any, path []string) string {
	if sensitiveField(path) {
		switch v.(type) {
		case string:
			return "a string"
		case json.Number:
			return "a number"
		}
	}
	return valueKind(v)
}

// decimalSchema reports whether the schema at url (or one of its anyOf
// branches) is a decimal string: money and quantities.
func decimalSchema(url string) bool {
	m := rawSchemaAt(url)
	if isDecimalFormat(m["format"]) {
		return true
	}
	branches, _ := m["anyOf"].([]any)
	for _, b := range branches {
		if bm, ok := b.(map[string]any); ok && isDecimalFormat(bm["format"]) {
			return true
		}
	}
	return false
}

func isDecimalFormat(f any) bool {
	s, _ := f.(string)
	return s == "decimal" || s == "positive-decimal"
}

// plainDecimal writes a YAML/JSON number as a plain decimal string
// (1e3 -> 1000) for the "write it as a string" hint.
func plainDecimal(n json.Number) string {
	if !strings.ContainsAny(string(n), "eE") {
		return string(n)
	}
	d, err := decimal.NewFromString(string(n))
	if err != nil {
		return string(n)
	}
	return d.String()
}

// schemaMessage words a schema error about value v at path (the instance
// location, for the field name). Values of sensitive fields are never
// printed, nor is a "did you mean" computed from them.
func schemaMessage(e *jsonschema.ValidationError, v any, path []string) (summary, suggestion string) {
	secret := sensitiveField(path)
	quoted := func(s string) string {
		if secret {
			return "the value"
		}
		return fmt.Sprintf("%q", s)
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		summary = fmt.Sprintf("expected %s, got %s", strings.Join(k.Want, " or "), k.Got)
		if s, isStr := v.(string); isStr && !secret && len(s) <= 64 {
			summary += fmt.Sprintf(" %q", s)
		}
		n, isNum := v.(json.Number)
		if !isNum || !slices.Contains(k.Want, "string") {
			return summary, ""
		}
		switch {
		case secret:
			return summary + " (quote it)", ""
		case decimalSchema(e.SchemaURL):
			return summary + fmt.Sprintf(": money and quantities are decimal strings, write \"%s\"", plainDecimal(n)), ""
		}
		return summary + fmt.Sprintf(" (quote it: \"%s\")", n), ""
	case *kind.Enum:
		var want []string
		for _, w := range k.Want {
			want = append(want, fmt.Sprint(w))
		}
		list := want
		if len(list) > 12 {
			list = append(slices.Clone(list[:12]), "...")
		}
		if secret {
			return "the value is not one of: " + strings.Join(list, ", "), ""
		}
		got := fmt.Sprint(k.Got)
		return fmt.Sprintf("%q is not one of: %s", got, strings.Join(list, ", ")), suggest(got, want)
	case *kind.Const:
		if secret {
			return fmt.Sprintf("the value must be %v", k.Want), ""
		}
		return fmt.Sprintf("%s must be %v", quoted(fmt.Sprint(v)), k.Want), ""
	case *kind.Pattern:
		return fmt.Sprintf("%s does not match the pattern %s", quoted(k.Got), k.Want), ""
	case *kind.Format:
		s, _ := k.Got.(string)
		return formatMessage(k, quoted(s)), ""
	case *kind.MinLength:
		if k.Want == 1 {
			return "must not be empty", ""
		}
		return fmt.Sprintf("must be at least %d characters long (it has %d)", k.Want, k.Got), ""
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %d characters long (it has %d)", k.Want, k.Got), ""
	case *kind.Minimum, *kind.Maximum, *kind.ExclusiveMinimum, *kind.ExclusiveMaximum, *kind.MultipleOf:
		if secret {
			return "the value is out of range", ""
		}
	}
	return e.ErrorKind.LocalizedString(schemaPrintr), ""
}

// formatMessage words a failed "format" check; what is the quoted value
// (or "the value" for a sensitive field).
func formatMessage(k *kind.Format, what string) string {
	if fe, ok := k.Err.(*formatError); ok {
		return what + " " + fe.msg
	}
	switch k.Want {
	case "date":
		return what + " is not a valid date (YYYY-MM-DD)"
	case "date-time":
		return what + " is not a valid timestamp (RFC 3339, e.g. 2026-01-15T10:00:00Z)"
	case "time":
		return what + " is not a valid time (RFC 3339, e.g. 10:00:00Z)"
	case "email":
		return what + " is not a valid e-mail address"
	case "ipv4":
		return what + " is not a valid IPv4 address"
	case "ipv6":
		return what + " is not a valid IPv6 address"
	case "uuid":
		return what + " is not a valid UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
	}
	return fmt.Sprintf("%s is not a valid %s", what, k.Want)
}

// formatError is the error of one of brokerctl's own formats, worded to
// follow the value: `"ten" is not a decimal string`.
type formatError struct{ msg string }

func (e *formatError) Error() string { return e.msg }

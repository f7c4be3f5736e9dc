package broker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Decimal is an exact decimal number for money and quantities.
//
// The Broker API sends decimals as JSON strings and does not normalise them
// ("692.0", "1234.567", "498"), so a Decimal remembers the text it was parsed
// from and writes exactly that text back: decoding then re-encoding a response
// is byte-identical. Values produced by arithmetic have no remembered text and
// print in shopspring/decimal's canonical form.
//
// Compare values with Cmp or Equal, never ==: "1.0" and "1" are equal
// numbers with different texts. The zero value is 0. Decimal marshals as a JSON string and unmarshals from a
// JSON string or a JSON number (alpaca-py sends numbers). Optional or nullable
// amounts are *Decimal.
type Decimal struct {
	d    decimal.Decimal
	text string // original text, kept only when it is in plain decimal form
}

// plainDecimal matches the text forms that are kept verbatim.
var plainDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// ParseDecimal parses s ("12", "-0.5", "1234.567") into a Decimal. The error
// names the offending value.
func ParseDecimal(s string) (Decimal, error) {
	if s == "" {
		return Decimal{}, fmt.Errorf("invalid decimal %q: empty", s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	out := Decimal{d: d}
	if plainDecimal.MatchString(s) {
		out.text = s
	}
	return out, nil
}

// MustDecimal is ParseDecimal that panics on bad input; for constants and tests.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// NewDecimal wraps a shopspring decimal.
func NewDecimal(d decimal.Decimal) Decimal { return Decimal{d: d} }

// DecimalPtr returns a pointer to a copy of d, for optional fields.
func DecimalPtr(d Decimal) *Decimal { return &d }

// Dec returns the underlying shopspring decimal.
func (x Decimal) Dec() decimal.Decimal { return x.d }

// String returns the original text if the value was parsed, otherwise the
// canonical decimal form.
func (x Decimal) String() string {
	if x.text != "" {
		return x.text
	}
	return x.d.String()
}

// IsZero reports whether the value equals 0 (so "0.00" is zero).
func (x Decimal) IsZero() bool { return x.d.IsZero() }

// IsPositive reports whether the value is > 0.
func (x Decimal) IsPositive() bool { return x.d.IsPositive() }

// IsNegative reports whether the value is < 0.
func (x Decimal) IsNegative() bool { return x.d.IsNegative() }

// Cmp compares x and y: -1 if x < y, 0 if equal, +1 if x > y.
func (x Decimal) Cmp(y Decimal) int { return x.d.Cmp(y.d) }

// Equal reports whether x and y are numerically equal ("1.0" equals "1").
func (x Decimal) Equal(y Decimal) bool { return x.d.Equal(y.d) }

// Add returns x + y.
func (x Decimal) Add(y Decimal) Decimal { return Decimal{d: x.d.Add(y.d)} }

// Sub returns x - y.
func (x Decimal) Sub(y Decimal) Decimal { return Decimal{d: x.d.Sub(y.d)} }

// Mul returns x * y.
func (x Decimal) Mul(y Decimal) Decimal { return Decimal{d: x.d.Mul(y.d)} }

// Neg returns -x.
func (x Decimal) Neg() Decimal { return Decimal{d: x.d.Neg()} }

// Places returns the number of decimal places in the remembered text (or in
// the canonical form), e.g. 3 for "1234.567".
func (x Decimal) Places() int {
	s := x.String()
	if i := bytes.IndexByte([]byte(s), '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

// MarshalJSON writes the decimal as a JSON string.
func (x Decimal) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(x.String())), nil
}

// UnmarshalJSON accepts a JSON string ("1.5") or number (1.5). JSON null
// leaves the value unchanged.
func (x *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("invalid decimal %s: %w", b, err)
		}
	}
	d, err := ParseDecimal(s)
	if err != nil {
		return err
	}
	*x = d
	return nil
}

// MarshalText implements encoding.TextMarshaler (YAML, query strings).
func (x Decimal) MarshalText() ([]byte, error) { return []byte(x.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (x *Decimal) UnmarshalText(b []byte) error {
	d, err := ParseDecimal(string(b))
	if err != nil {
		return err
	}
	*x = d
	return nil
}

// Date is a calendar date written YYYY-MM-DD on the wire (date_of_birth,
// settle_date, ...). The zero value marshals as an empty string.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("invalid date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// DatePtr returns a pointer to a copy of d.
func DatePtr(d Date) *Date { return &d }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// Time returns midnight UTC of d.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Time().Before(e.Time()) }

// MarshalJSON writes "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(d.String())), nil }

// UnmarshalJSON reads "YYYY-MM-DD"; null and "" leave the zero Date.
func (d *Date) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("invalid date %s: want a \"YYYY-MM-DD\" string", b)
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// NumericDecimal is a Decimal that the API types as a JSON number rather
// than a string (identity.annual_income_min and the other income and net
// worth bounds). It marshals as a bare number literal, keeping its text, and
// unmarshals from a number or a string.
type NumericDecimal struct{ Decimal }

// NewNumericDecimal wraps d.
func NewNumericDecimal(d Decimal) *NumericDecimal { return &NumericDecimal{d} }

// MarshalJSON writes the number literal, e.g. 30000 or 1234.5.
func (n NumericDecimal) MarshalJSON() ([]byte, error) { return []byte(n.String()), nil }

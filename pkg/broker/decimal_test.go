package broker

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecimalRoundTrip(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{`"692.0"`, `"692.0"`},
		{`"1234.567"`, `"1234.567"`},
		{`"498"`, `"498"`},
		{`"0"`, `"0"`},
		{`"-0.50"`, `"-0.50"`},
		{`1.25`, `"1.25"`},
		{`100`, `"100"`},
		{`"1e3"`, `"1000"`},
		{`1.5E2`, `"150"`},
	}
	for _, tt := range tests {
		var d Decimal
		if err := json.Unmarshal([]byte(tt.in), &d); err != nil {
			t.Fatalf("unmarshal %s: %v", tt.in, err)
		}
		got, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("%s -> %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestDecimalInvalid(t *testing.T) {
	for _, in := range []string{`"abc"`, `""`, `"1.2.3"`, `true`, `{}`, `"12,5"`} {
		var d Decimal
		err := json.Unmarshal([]byte(in), &d)
		if err == nil {
			t.Errorf("%s: want error", in)
			continue
		}
		if in != `true` && in != `{}` && !strings.Contains(err.Error(), strings.Trim(in, `"`)) {
			t.Errorf("%s: error %q does not name the value", in, err)
		}
	}
}

func TestDecimalNullablePointer(t *testing.T) {
	var v struct {
		A *Decimal `json:"a"`
		B *Decimal `json:"b"`
		C Decimal  `json:"c"`
	}
	if err := json.Unmarshal([]byte(`{"a":null,"b":"0.5","c":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != nil || v.B == nil || v.B.String() != "0.5" || !v.C.IsZero() {
		t.Fatalf("got %+v", v)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"a":null,"b":"0.5","c":"0"}` {
		t.Fatalf("marshal: %s", out)
	}
}

func TestDecimalArithmetic(t *testing.T) {
	a, b := MustDecimal("10.50"), MustDecimal("0.25")
	if got := a.Add(b).String(); got != "10.75" {
		t.Errorf("Add = %s", got)
	}
	if got := a.Sub(b).String(); got != "10.25" {
		t.Errorf("Sub = %s", got)
	}
	if got := a.Mul(b).String(); got != "2.625" {
		t.Errorf("Mul = %s", got)
	}
	if a.Cmp(b) != 1 || b.Cmp(a) != -1 || a.Cmp(MustDecimal("10.5")) != 0 {
		t.Error("Cmp wrong")
	}
	if !MustDecimal("0.00").IsZero() || MustDecimal("0.01").IsZero() || !b.IsPositive() || MustDecimal("-1").IsPositive() {
		t.Error("IsZero/IsPositive wrong")
	}
	if NewDecimal(a.Dec()).String() != "10.5" {
		t.Errorf("NewDecimal canonical = %s", NewDecimal(a.Dec()))
	}
	if MustDecimal("1.123456789").Places() != 9 || MustDecimal("5").Places() != 0 {
		t.Error("Places wrong")
	}
}

func TestDate(t *testing.T) {
	var v struct {
		D Date  `json:"d"`
		N *Date `json:"n"`
		Z Date  `json:"z,omitzero"`
	}
	if err := json.Unmarshal([]byte(`{"d":"2020-12-24","n":null}`), &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"d":"2020-12-24","n":null}` {
		t.Fatalf("got %s", out)
	}
	if err := json.Unmarshal([]byte(`{"d":"2020-13-01"}`), &v); err == nil || !strings.Contains(err.Error(), "2020-13-01") {
		t.Fatalf("want error naming value, got %v", err)
	}
}

func TestNumericDecimal(t *testing.T) {
	var id Identity
	if err := json.Unmarshal([]byte(`{"annual_income_min":30000,"annual_income_max":"50000.50","visa_type":null,"visa_expiration_date":null,"date_of_departure_from_usa":null,"permanent_resident":null}`), &id); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(id)
	if !strings.Contains(string(out), `"annual_income_min":30000,"annual_income_max":50000.50`) {
		t.Errorf("numeric fields not written as numbers: %s", out)
	}
	if id.AnnualIncomeMax.Cmp(MustDecimal("50000.5")) != 0 {
		t.Errorf("value %s", id.AnnualIncomeMax)
	}
}

package manifest

import (
	"testing"
	"time"
)

func TestOwnFormats(t *testing.T) {
	defer func(f func() time.Time) { now = f }(now)
	now = func() time.Time { return time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC) }
	byName := map[string]func(any) error{}
	for _, f := range ownFormats {
		byName[f.Name] = f.Validate
	}
	tests := []struct {
		format string
		value  any
		want   string // "" = valid
	}{
		{"decimal", "100.00", ""},
		{"decimal", "-5", ""},
		{"decimal", "0", ""},
		{"decimal", json100(), ""}, // not a string: the type keyword's business
		{"decimal", "ten", `is not a decimal string (such as "100.00")`},
		{"decimal", "1e3", `is not a plain decimal string: write "1000", without an exponent`},
		{"decimal", "2.5E-1", `is not a plain decimal string: write "0.25", without an exponent`},
		{"decimal", "", `is not a decimal string (such as "100.00")`},
		{"decimal", " 1", `is not a decimal string (such as "100.00")`},
		{"decimal", "1,000", `is not a decimal string (such as "100.00")`},
		{"decimal", "1.", `is not a decimal string (such as "100.00")`},
		{"decimal", ".5", `is not a decimal string (such as "100.00")`},
		{"decimal", "NaN", `is not a decimal string (such as "100.00")`},
		{"positive-decimal", "0.01", ""},
		{"positive-decimal", "0", "must be greater than 0"},
		{"positive-decimal", "0.000", "must be greater than 0"},
		{"positive-decimal", "-5", "must be greater than 0"},
		{"positive-decimal", "ten", `is not a decimal string (such as "100.00")`},
		{"aba-routing", "121000358", ""},
		{"aba-routing", "011000015", ""},
		{"aba-routing", "123456789", "is not a valid ABA routing number (its check digit is wrong)"},
		{"aba-routing", "12345", "is not a 9-digit ABA routing number"},
		{"aba-routing", "12100035a", "is not a 9-digit ABA routing number"},
		{"country-alpha3", "USA", ""},
		{"country-alpha3", "DEU", ""},
		{"country-alpha3", "US", `is not an ISO 3166-1 alpha-3 country code: write "USA"`},
		{"country-alpha3", "usa", `is not an ISO 3166-1 alpha-3 country code: write "USA"`},
		{"country-alpha3", "Narnia", "is not an ISO 3166-1 alpha-3 country code (such as USA, GBR, DEU)"},
		{"country-alpha3", "UAS", "is not an ISO 3166-1 alpha-3 country code (such as USA, GBR, DEU)"},
		{"country-alpha3", "ZZZ", "is not an ISO 3166-1 alpha-3 country code (such as USA, GBR, DEU)"},
		{"bic", "DEUTDEFF", ""},
		{"bic", "DEUTDEFF500", ""},
		{"bic", "deutdeff", "is not a BIC (8 or 11 capital letters and digits, such as DEUTDEFF or DEUTDEFF500)"},
		{"bic", "121000358", "is not a BIC (8 or 11 capital letters and digits, such as DEUTDEFF or DEUTDEFF500)"},
		{"latin", "Ada Lovelace, 1 Main St. #2", ""},
		{"latin", "José", "must be written in Latin characters (ASCII 32-126)"},
		{"latin", "李", "must be written in Latin characters (ASCII 32-126)"},
		{"latin", "a\tb", "must be written in Latin characters (ASCII 32-126)"},
		{"tax-id", "X1234567", ""},
		{"tax-id", "7", "must be longer than 1 character"},
		{"tax-id", "111-11-1111", "must not be one character repeated"},
		{"tax-id", "ÄB123", "must be written in Latin characters (ASCII 32-126)"},
		{"us-tin", "666-55-4321", ""},
		{"us-tin", "123456780", ""},
		{"us-tin", "12345678", "is not 9 digits (dashes allowed), as a USA_SSN or USA_ITIN must be"},
		{"us-tin", "12A-45-6789", "is not 9 digits (dashes allowed), as a USA_SSN or USA_ITIN must be"},
		{"us-tin", "000-12-3456", "has area number 000 (the first three digits), which is never issued"},
		{"us-tin", "555-00-3456", "has group number 00 (the middle two digits), which is never issued"},
		{"us-tin", "555-12-0000", "has serial number 0000 (the last four digits), which is never issued"},
		{"us-tin", "123-45-6789", "is all increasing or decreasing digits, which is never issued"},
		{"us-tin", "987654321", "is all increasing or decreasing digits, which is never issued"},
		{"past-date", "1990-01-01", ""},
		{"past-date", "2026-03-11", ""}, // tomorrow in UTC is today east of it
		{"past-date", "2026-03-12", "is in the future: a date of birth must be in the past"},
		{"past-date", "1990-13-45", "is not a valid date (YYYY-MM-DD)"},
		{"past-date", "01/02/1990", "is not a valid date (YYYY-MM-DD)"},
	}
	for _, tt := range tests {
		err := byName[tt.format](tt.value)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s(%v) = %q, want %q", tt.format, tt.value, got, tt.want)
		}
	}
}

func json100() any { return 100 }

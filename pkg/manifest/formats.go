package manifest

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/shopspring/decimal"
	"golang.org/x/text/language"
)

// now is the clock of the past-date format (a variable for tests).
var now = time.Now

// ownFormats are the value formats brokerctl adds to JSON Schema's (date,
// date-time, email, ipv4, uuid...), named in the generated schema where the
// API enforces them (schemas/gen/generate.py FORMATS). Each checks strings
// only: a number or a boolean is the "type" keyword's business.
var ownFormats = []*jsonschema.Format{
	{Name: "decimal", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		return checkDecimal(s)
	}},
	{Name: "positive-decimal", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		if err := checkDecimal(s); err != nil {
			return err
		}
		if d, err := decimal.NewFromString(s); err == nil && !d.IsPositive() {
			return &formatError{"must be greater than 0"}
		}
		return nil
	}},
	{Name: "aba-routing", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		return checkABARouting(s)
	}},
	{Name: "country-alpha3", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		return checkCountry(s)
	}},
	{Name: "bic", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok || bicPattern.MatchString(s) {
			return nil
		}
		return &formatError{"is not a BIC (8 or 11 capital letters and digits, such as DEUTDEFF or DEUTDEFF500)"}
	}},
	{Name: "latin", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		return checkLatin(s)
	}},
	{Name: "tax-id", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		return checkTaxID(s)
	}},
	{Name: "us-tin", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		return checkUSTaxID(s)
	}},
	{Name: "past-date", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return &formatError{"is not a valid date (YYYY-MM-DD)"}
		}
		// A day of slack: it is already tomorrow somewhere.
		if d.After(now().UTC().AddDate(0, 0, 1)) {
			return &formatError{"is in the future: a date of birth must be in the past"}
		}
		return nil
	}},
}

// checkDecimal accepts a plain decimal string: digits, an optional
// fraction and sign. 1e3, 0x10, " 1", "1,000" and "" are not: the API
// decodes amounts as decimal strings.
func checkDecimal(s string) error {
	digits := strings.TrimPrefix(s, "-")
	whole, frac, hasDot := strings.Cut(digits, ".")
	if whole != "" && allDigits(whole) && (!hasDot || (frac != "" && allDigits(frac))) {
		return nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil && strings.ContainsAny(s, "eE") {
		if d, err := decimal.NewFromString(s); err == nil {
			return &formatError{"is not a plain decimal string: write " + strconv.Quote(d.String()) + ", without an exponent"}
		}
	}
	return &formatError{"is not a decimal string (such as \"100.00\")"}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkABARouting accepts a 9-digit ABA routing transit number whose check
// digit is right: 3, 7 and 1 times the digits, in turn, sum to a multiple
// of 10.
func checkABARouting(s string) error {
	if len(s) != 9 || !allDigits(s) {
		return &formatError{"is not a 9-digit ABA routing number"}
	}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(s[i]-'0') * [3]int{3, 7, 1}[i%3]
	}
	if sum%10 != 0 {
		return &formatError{"is not a valid ABA routing number (its check digit is wrong)"}
	}
	return nil
}

var bicPattern = regexp.MustCompile(`^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$`)

// checkCountry accepts an ISO 3166-1 alpha-3 country code, which is what
// the API's country fields take ("USA", not "US" or "usa").
func checkCountry(s string) error {
	r, err := language.ParseRegion(s)
	if err == nil && r.IsCountry() {
		if r.ISO3() == s {
			return nil
		}
		return &formatError{"is not an ISO 3166-1 alpha-3 country code: write " + strconv.Quote(r.ISO3())}
	}
	return &formatError{"is not an ISO 3166-1 alpha-3 country code (such as USA, GBR, DEU)"}
}

// checkLatin accepts ASCII 32-126 only: the API refuses names, address
// lines and tax ids in other scripts (FINRA CAIS reporting, the docs' Data
// Validations page).
func checkLatin(s string) error {
	for _, r := range s {
		if r < 32 || r > 126 {
			return &formatError{"must be written in Latin characters (ASCII 32-126)"}
		}
	}
	return nil
}

// checkTaxID applies the rules for every tax id type: Latin, longer than
// one character, not one character repeated (dashes aside).
func checkTaxID(s string) error {
	if err := checkLatin(s); err != nil {
		return err
	}
	digits := strings.ReplaceAll(s, "-", "")
	switch {
	case len(digits) <= 1:
		return &formatError{"must be longer than 1 character"}
	case strings.Count(digits, digits[:1]) == len(digits):
		return &formatError{"must not be one character repeated"}
	}
	return nil
}

// checkUSTaxID applies the SSA's rules to a USA_SSN or USA_ITIN: 9 digits
// (dashes allowed), no area 000, group 00 or serial 0000, not all
// increasing or decreasing digits. Area 666 is left to the API: the
// spec's own example SSN and most test data use it.
func checkUSTaxID(s string) error {
	digits := strings.ReplaceAll(s, "-", "")
	if len(digits) != 9 || !allDigits(digits) {
		return &formatError{"is not 9 digits (dashes allowed), as a USA_SSN or USA_ITIN must be"}
	}
	up, down := true, true
	for i := 1; i < len(digits); i++ {
		d := int(digits[i]) - int(digits[i-1])
		up, down = up && d == 1, down && d == -1
	}
	switch {
	case digits[:3] == "000":
		return &formatError{"has area number 000 (the first three digits), which is never issued"}
	case digits[3:5] == "00":
		return &formatError{"has group number 00 (the middle two digits), which is never issued"}
	case digits[5:] == "0000":
		return &formatError{"has serial number 0000 (the last four digits), which is never issued"}
	case up || down:
		return &formatError{"is all increasing or decreasing digits, which is never issued"}
	}
	return nil
}

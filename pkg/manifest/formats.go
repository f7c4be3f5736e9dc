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

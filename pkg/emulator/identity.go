package emulator

import (
	"strconv"
	"strings"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
)

// The identity rules of Alpaca's "Data Validations" page (FINRA CAIS
// reporting, live in the sandbox since March 2024): POST /v1/accounts and
// PATCH /v1/accounts/{id} answer 422 when names, address, email or tax id
// are not Latin (ASCII 32-126), when a USA_SSN or USA_ITIN is not 9 digits
// or is a number the SSA never issues, and when any tax id is one
// character or one digit repeated. A date of birth in the future is
// refused too (the docs do not list it; a future date is no identity).
// Messages name the field, never its value: tax ids and dates of birth
// must not reach logs.

// checkIdentityData applies those rules to the contact and identity of a
// create or of a merged update. today is the emulator clock's date.
func checkIdentityData(c *broker.Contact, id *broker.Identity, today time.Time, strictArea bool) error {
	if c != nil {
		for i, line := range c.StreetAddress {
			if !latin(line) {
				return notLatin("contact.street_address[" + strconv.Itoa(i) + "]")
			}
		}
		for _, f := range [...]struct{ name, value string }{{"contact.email_address", c.EmailAddress},
			{"contact.unit", c.Unit}, {"contact.city", c.City}, {"contact.state", c.State}, {"contact.postal_code", c.PostalCode}} {
			if !latin(f.value) {
				return notLatin(f.name)
			}
		}
	}
	if id == nil {
		return nil
	}
	for _, f := range [...]struct{ name, value string }{{"identity.given_name", id.GivenName},
		{"identity.middle_name", id.MiddleName}, {"identity.family_name", id.FamilyName}, {"identity.tax_id", id.TaxID}} {
		if !latin(f.value) {
			return notLatin(f.name)
		}
	}
	if !id.DateOfBirth.IsZero() {
		y, m, d := today.UTC().Date()
		if (broker.Date{Year: y, Month: m, Day: d}).Before(id.DateOfBirth) {
			return validation("identity.date_of_birth: must not be in the future")
		}
	}
	if id.TaxID == "" {
		return nil
	}
	return checkTaxID(id.TaxIDType, id.TaxID, strictArea)
}

// latin reports whether s holds only ASCII 32-126.
func latin(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 32 || s[i] > 126 {
			return false
		}
	}
	return true
}

func notLatin(field string) error {
	return validation("%s: must be written in Latin characters (ASCII 32-126); use the local_* fields for the original script", field)
}

// checkTaxID applies the documented tax id rules. strictArea also refuses
// area number 666, which the docs list but the spec's own example SSN
// (666-55-4321) and most test data use.
func checkTaxID(typ, taxID string, strictArea bool) error {
	digits := strings.ReplaceAll(taxID, "-", "")
	if len(digits) <= 1 {
		return validation("identity.tax_id: must be longer than 1 character")
	}
	if strings.Count(digits, digits[:1]) == len(digits) {
		return validation("identity.tax_id: must not be one character repeated")
	}
	if typ != "USA_SSN" && typ != "USA_ITIN" {
		return nil
	}
	if len(digits) != 9 || strings.Trim(digits, "0123456789") != "" {
		return validation("identity.tax_id: a %s must be 9 digits (dashes allowed)", typ)
	}
	switch area, group, serial := digits[:3], digits[3:5], digits[5:]; {
	case area == "000" || (strictArea && area == "666"):
		return validation("identity.tax_id: a %s must not have area number (first three digits) %s", typ, area)
	case group == "00":
		return validation("identity.tax_id: a %s must not have group number (middle two digits) 00", typ)
	case serial == "0000":
		return validation("identity.tax_id: a %s must not have serial number (last four digits) 0000", typ)
	case sequential(digits):
		return validation("identity.tax_id: a %s must not be all increasing or decreasing digits", typ)
	}
	return nil
}

// sequential reports whether every digit is one more (or one less) than
// the one before it, like 123456789 or 987654321.
func sequential(digits string) bool {
	up, down := true, true
	for i := 1; i < len(digits); i++ {
		d := int(digits[i]) - int(digits[i-1])
		up = up && d == 1
		down = down && d == -1
	}
	return up || down
}

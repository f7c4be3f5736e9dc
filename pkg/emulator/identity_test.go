package emulator

import (
	"strings"
	"testing"
)

// TestIdentityValidation: the documented data validations answer 422
// 40010001 naming the field, never echoing the value, and nothing is
// created (QA: a date of birth in the future went ACTIVE).
func TestIdentityValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mod    func(body map[string]any)
		strict bool
		msg    string // "" = accepted
	}{
		{"valid", func(map[string]any) {}, false, ""},
		{"born today", func(b map[string]any) { ident(b)["date_of_birth"] = "2026-03-04" }, false, ""},
		{"born tomorrow", func(b map[string]any) { ident(b)["date_of_birth"] = "2026-03-05" }, false, "identity.date_of_birth: must not be in the future"},
		{"born in 2031", func(b map[string]any) { ident(b)["date_of_birth"] = "2031-02-03" }, false, "identity.date_of_birth: must not be in the future"},
		{"ssn without dashes", func(b map[string]any) { ident(b)["tax_id"] = "123456780" }, false, ""},
		{"ssn too short", func(b map[string]any) { ident(b)["tax_id"] = "123-45-678" }, false, "identity.tax_id: a USA_SSN must be 9 digits"},
		{"ssn with letters", func(b map[string]any) { ident(b)["tax_id"] = "12a-45-6789" }, false, "must be 9 digits"},
		{"area 000", func(b map[string]any) { ident(b)["tax_id"] = "000-12-3456" }, false, "area number (first three digits) 000"},
		{"area 666 lenient", func(b map[string]any) { ident(b)["tax_id"] = "666-12-3456" }, false, ""},
		{"area 666 strict", func(b map[string]any) { ident(b)["tax_id"] = "666-12-3456" }, true, "area number (first three digits) 666"},
		{"group 00", func(b map[string]any) { ident(b)["tax_id"] = "123-00-4567" }, false, "group number (middle two digits) 00"},
		{"serial 0000", func(b map[string]any) { ident(b)["tax_id"] = "123-45-0000" }, false, "serial number (last four digits) 0000"},
		{"all same", func(b map[string]any) { ident(b)["tax_id"] = "333-33-3333" }, false, "one character repeated"},
		{"increasing", func(b map[string]any) { ident(b)["tax_id"] = "123-45-6789" }, false, "increasing or decreasing"},
		{"decreasing", func(b map[string]any) { ident(b)["tax_id"] = "987-65-4321" }, false, "increasing or decreasing"},
		{"itin", func(b map[string]any) {
			ident(b)["tax_id_type"] = "USA_ITIN"
			ident(b)["tax_id"] = "900-7"
		}, false, "a USA_ITIN must be 9 digits"},
		{"foreign id of one character", func(b map[string]any) {
			ident(b)["tax_id_type"] = "GBR_NINO"
			ident(b)["tax_id"] = "0"
		}, false, "identity.tax_id: must be longer than 1 character"},
		{"foreign id", func(b map[string]any) {
			ident(b)["tax_id_type"] = "GBR_NINO"
			ident(b)["tax_id"] = "QQ123456C"
		}, false, ""},
		{"non-latin name", func(b map[string]any) { ident(b)["family_name"] = "Müller" }, false, "identity.family_name: must be written in Latin characters"},
		{"non-latin street", func(b map[string]any) {
			b["contact"].(map[string]any)["street_address"] = []string{"1 Main St", "東京"}
		}, false, "contact.street_address[1]: must be written in Latin characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(o *Options) { o.StrictTaxID = tc.strict })
			body := accountBody("", "")
			tc.mod(body)
			r := h.do("POST", "/v1/accounts", body)
			if tc.msg == "" {
				if r.Status != 200 {
					t.Fatalf("refused: %d %s", r.Status, r.Body)
				}
				return
			}
			got := r.json(t)
			if r.Status != 422 || got["code"] != 40010001.0 || !strings.Contains(got["message"].(string), tc.msg) {
				t.Fatalf("%d %v, want 422 40010001 %q", r.Status, got, tc.msg)
			}
			if tax := ident(body)["tax_id"].(string); len(tax) > 3 && (strings.Contains(string(r.Body), strings.ReplaceAll(tax, "-", "")) ||
				strings.Contains(string(r.Body), tax)) {
				t.Fatalf("the error echoes the tax id: %s", r.Body)
			}
			if n := len(h.must(200, "GET", "/v1/accounts", nil).list(t)); n != 1 {
				t.Fatalf("%d accounts after a refused create, want only the firm", n)
			}
		})
	}
}

// TestIdentityValidationOnUpdate: PATCH applies the same rules.
func TestIdentityValidationOnUpdate(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	r := h.must(422, "PATCH", "/v1/accounts/"+acct, map[string]any{"identity": map[string]any{"date_of_birth": "2099-01-01"}}).json(t)
	if r["message"] != "identity.date_of_birth: must not be in the future" {
		t.Fatalf("update: %v", r)
	}
	h.must(422, "PATCH", "/v1/accounts/"+acct, map[string]any{"contact": map[string]any{"city": "Zürich"}})
	if got := h.must(200, "GET", "/v1/accounts/"+acct, nil).json(t); got["identity"].(map[string]any)["date_of_birth"] != "1990-01-01" {
		t.Fatalf("refused update changed the account: %v", got["identity"])
	}
	h.must(200, "PATCH", "/v1/accounts/"+acct, map[string]any{"contact": map[string]any{"city": "Zurich"}})
}

func ident(b map[string]any) map[string]any { return b["identity"].(map[string]any) }

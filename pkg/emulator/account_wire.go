package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// accountOut is the Account/AccountExtended shape.
type accountOut struct {
	ID                    string          `json:"id"`
	AccountNumber         *string         `json:"account_number"`
	Status                string          `json:"status"`
	CryptoStatus          string          `json:"crypto_status"`
	KYCResults            json.RawMessage `json:"kyc_results,omitempty"`
	Currency              string          `json:"currency"`
	LastEquity            string          `json:"last_equity"`
	CreatedAt             string          `json:"created_at"`
	Contact               json.RawMessage `json:"contact,omitempty"`
	Identity              json.RawMessage `json:"identity,omitempty"`
	Disclosures           json.RawMessage `json:"disclosures,omitempty"`
	Agreements            json.RawMessage `json:"agreements,omitempty"`
	Documents             json.RawMessage `json:"documents,omitempty"`
	TrustedContact        json.RawMessage `json:"trusted_contact,omitempty"`
	AccountType           string          `json:"account_type"`
	TradingConfigurations json.RawMessage `json:"trading_configurations"`
	EnabledAssets         json.RawMessage `json:"enabled_assets"`
}

var (
	kycPass = json.RawMessage(`{"reject":{},"accept":{},"indeterminate":{},"summary":"pass"}`)
	kycFail = json.RawMessage(`{"reject":{},"accept":{},"indeterminate":{"TAX_IDENTIFICATION":{}},"summary":"fail"}`)
)

// accountWire renders a; entities, when not nil, limits the nested objects.
// e.mu must be held.
func (e *Emulator) accountWire(a *account, entities []string) accountOut {
	out := accountOut{
		ID: a.ID, Status: a.Status, CryptoStatus: a.CryptoStatus, Currency: a.Currency,
		LastEquity: "0", CreatedAt: rfc3339(a.CreatedAt), AccountType: a.AccountType,
		TradingConfigurations: json.RawMessage("null"), EnabledAssets: json.RawMessage(`["us_equity"]`),
	}
	if a.AccountNumber != "" {
		n := a.AccountNumber
		out.AccountNumber = &n
	}
	switch a.Status {
	case statusActive, statusApproved, statusClosed:
		out.KYCResults = kycPass
	case statusRejected, statusActionRequired:
		out.KYCResults = kycFail
	}
	if ea, ok := a.Profile["enabled_assets"]; ok {
		out.EnabledAssets = ea
	}
	want := func(k string) json.RawMessage {
		if entities != nil && !slices.Contains(entities, k) {
			return nil
		}
		return a.Profile[k]
	}
	out.Contact, out.Identity, out.Disclosures = want("contact"), want("identity"), want("disclosures")
	out.Agreements, out.Documents, out.TrustedContact = want("agreements"), want("documents"), want("trusted_contact")
	return out
}

// accountFields are the values the emulator needs from a create request.
type accountFields struct{ email, familyName string }

// validateAccountCreate checks the fields the spec requires.
func validateAccountCreate(req *accountRequest) (accountFields, error) {
	var f accountFields
	var contact struct {
		Email  string   `json:"email_address"`
		Street []string `json:"street_address"`
		City   string   `json:"city"`
	}
	var ident struct {
		Given       string   `json:"given_name"`
		Family      string   `json:"family_name"`
		DOB         string   `json:"date_of_birth"`
		TaxIDType   string   `json:"tax_id_type"`
		TaxResident string   `json:"country_of_tax_residence"`
		Funding     []string `json:"funding_source"`
	}
	var disc map[string]json.RawMessage
	var agreements []struct {
		Agreement string `json:"agreement"`
		SignedAt  string `json:"signed_at"`
		IP        string `json:"ip_address"`
	}
	for _, p := range []struct {
		name string
		raw  json.RawMessage
		dst  any
	}{{"contact", req.Contact, &contact}, {"identity", req.Identity, &ident},
		{"disclosures", req.Disclosures, &disc}, {"agreements", req.Agreements, &agreements}} {
		if len(p.raw) == 0 || string(p.raw) == "null" {
			return f, validation("%s is required", p.name)
		}
		if err := json.Unmarshal(p.raw, p.dst); err != nil {
			return f, validation("%s: invalid value", p.name)
		}
	}
	switch {
	case strings.TrimSpace(contact.Email) == "":
		return f, validation("contact.email_address is required")
	case !strings.Contains(contact.Email, "@"):
		return f, validation("contact.email_address is invalid")
	case len(contact.Street) == 0:
		return f, validation("contact.street_address is required")
	case len(contact.Street) > 3:
		return f, validation("contact.street_address can have at most 3 lines")
	case contact.City == "":
		return f, validation("contact.city is required")
	case ident.Given == "":
		return f, validation("identity.given_name is required")
	case ident.Family == "":
		return f, validation("identity.family_name is required")
	case ident.DOB == "":
		return f, validation("identity.date_of_birth is required")
	case ident.TaxResident == "":
		return f, validation("identity.country_of_tax_residence is required")
	case len(ident.Funding) == 0:
		return f, validation("identity.funding_source is required")
	case len(agreements) == 0:
		return f, validation("agreements is required")
	}
	if _, err := time.Parse(time.DateOnly, ident.DOB); err != nil {
		return f, validation("identity.date_of_birth must be YYYY-MM-DD")
	}
	for _, k := range []string{"is_control_person", "is_affiliated_exchange_or_finra", "is_politically_exposed", "immediate_family_exposed"} {
		if _, ok := disc[k]; !ok {
			return f, validation("disclosures.%s is required", k)
		}
	}
	for i, ag := range agreements {
		if ag.Agreement == "" || ag.SignedAt == "" || ag.IP == "" {
			return f, validation("agreements[%d]: agreement, signed_at and ip_address are required", i)
		}
	}
	f.email, f.familyName = contact.Email, ident.Family
	return f, nil
}

// updatable are the top-level keys PATCH /v1/accounts/{id} accepts.
var updatable = map[string]bool{"contact": true, "identity": true, "disclosures": true, "agreements": true,
	"documents": true, "trusted_contact": true, "enabled_assets": true, "beneficiaries": true,
	"allow_instant_ach": true, "cash_interest": true, "fpsl": true}

func (e *Emulator) updateAccount(w http.ResponseWriter, r *http.Request) error {
	var raw map[string]json.RawMessage
	if err := decodeBody(r, &raw); err != nil {
		return err
	}
	for k := range raw {
		if !updatable[k] {
			return validation("The request body contains an attribute that is not permitted to be updated: %s", k)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		return err
	}
	for _, k := range append(profileKeys, "enabled_assets") {
		v, ok := raw[k]
		if !ok {
			continue
		}
		switch k {
		case "identity":
			v = stripTaxID(mergeObject(a.Profile[k], v))
		case "contact", "disclosures", "trusted_contact":
			v = mergeObject(a.Profile[k], v)
		case "documents":
			v = stripDocuments(v)
		}
		if k == "contact" {
			var c struct {
				Email string `json:"email_address"`
			}
			if json.Unmarshal(v, &c) == nil && c.Email != "" {
				email := strings.ToLower(c.Email)
				if owner, dup := e.st.emails[email]; dup && owner != a.ID {
					return errorf(http.StatusConflict, "There is already an existing account registered with the same email address.")
				}
				delete(e.st.emails, a.Email)
				a.Email = email
				e.st.emails[email] = a.ID
			}
		}
		a.Profile[k] = v
	}
	now := e.clock.Now()
	if a.Status == statusActionRequired {
		// Supplying the missing information resubmits the application.
		a.Fixture = ""
		e.setAccountStatus(a, statusSubmitted, now)
		e.scheduleAccountLocked(a, now)
	}
	out := e.accountWire(a, nil)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// mergeObject overlays patch's keys on base (both JSON objects).
func mergeObject(base, patch json.RawMessage) json.RawMessage {
	var b, p map[string]json.RawMessage
	if json.Unmarshal(base, &b) != nil || b == nil {
		b = map[string]json.RawMessage{}
	}
	if json.Unmarshal(patch, &p) != nil {
		return patch
	}
	for k, v := range p {
		b[k] = v
	}
	out, _ := json.Marshal(b)
	return out
}

// tradeAccountOut is TradeAccount.
type tradeAccountOut map[string]any

func (e *Emulator) getTradeAccount(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	out := e.tradeAccountWire(a)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// tradeAccountWire computes balances: multiplier 1, so buying power is
// cash less what open buy orders hold. e.mu must be held.
func (e *Emulator) tradeAccountWire(a *account) tradeAccountOut {
	long := decimal.Zero
	for sym, p := range a.Positions {
		if as, ok := e.prices.lookup(sym); ok {
			long = long.Add(p.Qty.Mul(as.Price))
		}
	}
	bp := a.Cash.Sub(a.Reserved)
	equity := a.Cash.Add(long)
	s := func(d decimal.Decimal) string { return d.String() }
	num := ""
	if a.AccountNumber != "" {
		num = a.AccountNumber
	}
	now := e.clock.Now()
	prevClose := time.Date(now.Year(), now.Month(), now.Day(), 20, 0, 0, 0, time.UTC).Add(-24 * time.Hour)
	zero := "0"
	return tradeAccountOut{
		"id": a.ID, "admin_configurations": map[string]any{}, "user_configurations": nil,
		"account_number": num, "status": a.Status, "crypto_status": a.CryptoStatus, "currency": a.Currency,
		"buying_power": s(bp), "regt_buying_power": s(bp), "daytrading_buying_power": s(bp),
		"effective_buying_power": s(bp), "non_marginable_buying_power": s(bp), "options_buying_power": s(bp),
		"bod_dtbp": zero, "cash": s(a.Cash), "cash_withdrawable": s(a.Cash), "cash_transferable": s(a.Cash),
		"pending_transfer_out": zero, "pending_transfer_in": zero, "accrued_fees": zero,
		"portfolio_value": s(equity), "pattern_day_trader": false, "trading_blocked": false,
		"transfers_blocked": false, "account_blocked": a.Status == statusClosed,
		"created_at": rfc3339(a.CreatedAt), "trade_suspended_by_user": false, "multiplier": "1",
		"shorting_enabled": false, "equity": s(equity), "last_equity": s(equity),
		"long_market_value": s(long), "short_market_value": zero, "position_market_value": s(long),
		"initial_margin": zero, "maintenance_margin": zero, "last_maintenance_margin": zero, "sma": zero,
		"daytrade_count": 0, "balance_asof": now.UTC().Format(time.DateOnly),
		"previous_close": prevClose.Format(time.RFC3339), "last_long_market_value": s(long),
		"last_short_market_value": zero, "last_cash": s(a.Cash), "last_initial_margin": zero,
		"last_regt_buying_power": s(bp), "last_daytrading_buying_power": s(bp), "last_buying_power": s(bp),
		"last_daytrade_count": 0, "clearing_broker": "ALPACA_APCA", "intraday_adjustments": zero,
		"pending_reg_taf_fees": zero,
	}
}

package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/shopspring/decimal"
)

// now is the clock's time in UTC, the zone every timestamp is written in.
func (e *Emulator) now() time.Time { return e.clock.Now().UTC() }

// validationFrom turns a request type's Validate error into the API's 422.
func validationFrom(err error) error {
	var ve *broker.ValidationError
	if errors.As(err, &ve) {
		return validation("%s", ve.Error())
	}
	return validation("%s", err.Error())
}

var (
	// A pass carries only the summary: the spec types accept/reject/
	// indeterminate as strings while fixtures show objects, so the
	// emulator sends them only when a check failed (as the docs' event
	// sample does).
	kycPass = &broker.KYCResults{Summary: "pass"}
	kycFail = &broker.KYCResults{Reject: map[string]json.RawMessage{}, Accept: map[string]json.RawMessage{},
		Indeterminate: map[string]json.RawMessage{"TAX_IDENTIFICATION": json.RawMessage("{}")}, Summary: "fail"}
	jsonNull = json.RawMessage("null")
)

// accountWire renders a as broker.Account; entities, when not nil, limits
// the nested objects. e.mu must be held.
func (e *Emulator) accountWire(a *account, entities []string) broker.Account {
	out := broker.Account{
		ID: a.ID, Status: broker.AccountStatus(a.Status), CryptoStatus: broker.AccountStatus(a.CryptoStatus),
		Currency: a.Currency, LastEquity: dec(e.equityLocked(a)), CreatedAt: a.CreatedAt.UTC(),
		AccountType: broker.AccountType(a.AccountType), TradingConfigurations: jsonNull,
		EnabledAssets: a.EnabledAssets,
	}
	if len(out.EnabledAssets) == 0 {
		out.EnabledAssets = []string{"us_equity"}
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
	want := func(k string) bool { return entities == nil || slices.Contains(entities, k) }
	if want("contact") {
		out.Contact = a.Contact
	}
	if want("identity") {
		out.Identity = a.Identity
	}
	if want("disclosures") {
		out.Disclosures = a.Disclosures
	}
	if want("agreements") {
		out.Agreements = a.Agreements
	}
	if want("documents") {
		out.Documents = a.Documents
	}
	if want("trusted_contact") {
		out.TrustedContact = a.TrustedContact
	}
	return out
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
	var upd broker.AccountUpdateRequest
	if b, _ := json.Marshal(raw); decodeJSON(b, &upd) != nil {
		return badRequest("failed to decode request body")
	}
	if err := upd.Validate(); err != nil && len(raw) == 0 {
		return validationFrom(err)
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
	// Nested objects merge key by key, as a partial update should.
	next := *a
	merge := func(key string, cur, dst any) error {
		patch, ok := raw[key]
		if !ok {
			return nil
		}
		base, _ := json.Marshal(cur)
		if err := decodeJSON(mergeObject(base, patch), dst); err != nil {
			return err
		}
		return nil
	}
	var contact broker.Contact
	var ident broker.Identity
	var disc broker.Disclosures
	var trusted broker.TrustedContact
	for _, m := range []struct {
		key      string
		cur, dst any
		set      func()
	}{
		{"contact", a.Contact, &contact, func() { next.Contact = &contact }},
		{"identity", a.Identity, &ident, func() { next.Identity = &ident }},
		{"disclosures", a.Disclosures, &disc, func() { next.Disclosures = &disc }},
		{"trusted_contact", a.TrustedContact, &trusted, func() { next.TrustedContact = &trusted }},
	} {
		if _, ok := raw[m.key]; !ok {
			continue
		}
		if err := merge(m.key, m.cur, m.dst); err != nil {
			return err
		}
		m.set()
	}
	for key, dst := range map[string]any{"agreements": &next.Agreements, "documents": &next.Documents, "enabled_assets": &next.EnabledAssets} {
		if v, ok := raw[key]; ok {
			if err := decodeJSON(v, dst); err != nil {
				return err
			}
		}
	}
	if err := checkIdentityData(next.Contact, next.Identity, e.now(), e.opts.StrictTaxID); err != nil {
		return err
	}
	next.Documents = stripSecrets(next.Identity, next.Documents)
	if c := next.Contact; c != nil && (!strings.Contains(c.EmailAddress, "@") || len(c.StreetAddress) == 0 || c.City == "") {
		return validation("contact: email_address, street_address and city are required")
	}
	if next.Contact != nil {
		email := strings.ToLower(strings.TrimSpace(next.Contact.EmailAddress))
		if owner, dup := e.st.emails[email]; dup && owner != a.ID {
			return errorf(http.StatusConflict, "There is already an existing account registered with the same email address.")
		}
		delete(e.st.emails, a.Email)
		next.Email = email
		e.st.emails[email] = a.ID
	}
	*a = next
	now := e.now()
	if a.Status == statusActionRequired {
		// Supplying the missing information resubmits the application.
		a.Fixture = ""
		e.setAccountStatus(a, statusSubmitted, now)
		e.scheduleAccountLocked(a, now)
	}
	writeJSON(w, http.StatusOK, e.accountWire(a, nil))
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

func dec(d decimal.Decimal) broker.Decimal   { return broker.NewDecimal(d) }
func decp(d decimal.Decimal) *broker.Decimal { v := broker.NewDecimal(d); return &v }

// tradeAccountWire computes balances with multiplier 1: buying power is
// cash less what open orders, outgoing transfers and journals hold, and
// equity is cash plus long market value. e.mu must be held.
func (e *Emulator) tradeAccountWire(a *account) broker.TradeAccount {
	long := e.longValueLocked(a)
	bp := a.Cash.Sub(a.Reserved)
	equity := a.Cash.Add(long)
	zero := decimal.Zero
	now := e.now()
	prevClose := time.Date(now.Year(), now.Month(), now.Day(), 21, 0, 0, 0, time.UTC).Add(-24 * time.Hour)
	var num *string
	if a.AccountNumber != "" {
		n := a.AccountNumber
		num = &n
	}
	dtc := 0
	return broker.TradeAccount{
		ID: a.ID, AccountNumber: num, Status: broker.AccountStatus(a.Status),
		CryptoStatus: broker.AccountStatus(a.CryptoStatus), Currency: a.Currency,
		BuyingPower: dec(bp), RegTBuyingPower: dec(bp), DaytradingBuyingPower: decp(bp),
		EffectiveBuyingPower: decp(bp), NonMarginableBuyingPower: decp(bp), OptionsBuyingPower: decp(bp),
		Cash: dec(a.Cash), CashWithdrawable: decp(bp), CashTransferable: decp(bp), AccruedFees: dec(zero),
		PendingTransferOut: decp(zero), PendingTransferIn: decp(zero), PortfolioValue: dec(equity),
		AccountBlocked: a.Status == statusClosed, CreatedAt: a.CreatedAt.UTC(), Multiplier: broker.MustDecimal("1"),
		Equity: dec(equity), LastEquity: dec(equity), LongMarketValue: dec(long), ShortMarketValue: dec(zero),
		PositionMarketValue: decp(long), InitialMargin: dec(zero), MaintenanceMargin: dec(zero),
		LastMaintenanceMargin: dec(zero), SMA: dec(zero), BalanceAsOf: now.Format(time.DateOnly),
		PreviousClose: &prevClose, LastLongMarketValue: decp(long), LastShortMarketValue: decp(zero),
		LastCash: decp(a.Cash), LastInitialMargin: decp(zero), LastRegTBuyingPower: decp(bp),
		LastDaytradingBuyingPower: decp(bp), LastBuyingPower: decp(bp), LastDaytradeCount: &dtc,
		ClearingBroker: "ALPACA_APCA", AdminConfigurations: json.RawMessage("{}"), UserConfigurations: jsonNull,
		IntradayAdjustments: decp(zero), PendingRegTAFFees: decp(zero),
	}
}

// longValueLocked is the market value of a's positions at table prices.
func (e *Emulator) longValueLocked(a *account) decimal.Decimal {
	long := decimal.Zero
	for sym, p := range a.Positions {
		long = long.Add(p.Qty.Mul(e.prices.heldAsset(sym, p).Price))
	}
	return long
}

// equityLocked is cash plus long market value. Prices never move, so the
// previous close's equity (last_equity) is the current one.
func (e *Emulator) equityLocked(a *account) decimal.Decimal {
	return a.Cash.Add(e.longValueLocked(a))
}

package broker

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func d(s string) *Decimal { return DecimalPtr(MustDecimal(s)) }

// checkValidation runs Validate and compares the failing field ("" = valid).
func checkValidation(t *testing.T, name string, v interface{ Validate() error }, wantField, wantMsg string) {
	t.Helper()
	err := v.Validate()
	if wantField == "" && wantMsg == "" {
		if err != nil {
			t.Errorf("%s: unexpected error %v", name, err)
		}
		return
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("%s: want *ValidationError on %s, got %v", name, wantField, err)
		return
	}
	if ve.Field != wantField || !strings.Contains(ve.Message, wantMsg) {
		t.Errorf("%s: got %q, want field %q containing %q", name, err, wantField, wantMsg)
	}
}

func TestOrderValidate(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(r *OrderCreateRequest)
		field string
		msg   string
	}{
		{"valid limit", func(r *OrderCreateRequest) {}, "", ""},
		{"valid market qty", func(r *OrderCreateRequest) { r.Type, r.LimitPrice = OrderTypeMarket, nil }, "", ""},
		{"valid market notional", func(r *OrderCreateRequest) {
			r.Type, r.LimitPrice, r.Qty, r.Notional, r.TimeInForce = OrderTypeMarket, nil, nil, d("500"), TimeInForceDay
		}, "", ""},
		{"limit without price", func(r *OrderCreateRequest) { r.LimitPrice = nil }, "limit_price", "required for limit orders"},
		{"limit price zero", func(r *OrderCreateRequest) { r.LimitPrice = d("0") }, "limit_price", "greater than 0"},
		{"stop without stop price", func(r *OrderCreateRequest) { r.Type, r.LimitPrice = OrderTypeStop, nil }, "stop_price", "required for stop orders"},
		{"stop_limit without limit", func(r *OrderCreateRequest) { r.Type, r.LimitPrice, r.StopPrice = OrderTypeStopLimit, nil, d("1") }, "limit_price", "required for stop_limit"},
		{"stop_limit valid", func(r *OrderCreateRequest) { r.Type, r.StopPrice = OrderTypeStopLimit, d("140") }, "", ""},
		{"trailing without trail", func(r *OrderCreateRequest) { r.Type, r.LimitPrice = OrderTypeTrailingStop, nil }, "trail_price", "one of trail_price or trail_percent"},
		{"trailing both", func(r *OrderCreateRequest) {
			r.Type, r.LimitPrice, r.TrailPrice, r.TrailPercent = OrderTypeTrailingStop, nil, d("1"), d("2")
		}, "trail_percent", "cannot both"},
		{"trailing percent", func(r *OrderCreateRequest) {
			r.Type, r.LimitPrice, r.TrailPercent = OrderTypeTrailingStop, nil, d("2.5")
		}, "", ""},
		{"trailing percent > 100", func(r *OrderCreateRequest) {
			r.Type, r.LimitPrice, r.TrailPercent = OrderTypeTrailingStop, nil, d("101")
		}, "trail_percent", "at most 100"},
		{"trail on limit", func(r *OrderCreateRequest) { r.TrailPrice = d("1") }, "trail_price", "only allowed for trailing_stop"},
		{"qty and notional", func(r *OrderCreateRequest) { r.Notional = d("5") }, "notional", "cannot both"},
		{"neither qty nor notional", func(r *OrderCreateRequest) { r.Qty = nil }, "qty", "one of qty or notional"},
		{"negative qty", func(r *OrderCreateRequest) { r.Qty = d("-1") }, "qty", "greater than 0"},
		{"notional on stop", func(r *OrderCreateRequest) {
			r.Type, r.LimitPrice, r.StopPrice, r.Qty, r.Notional, r.TimeInForce = OrderTypeStop, nil, d("1"), nil, d("5"), TimeInForceDay
		}, "notional", "only allowed for market and limit"},
		{"notional gtc", func(r *OrderCreateRequest) {
			r.Type, r.LimitPrice, r.Qty, r.Notional = OrderTypeMarket, nil, nil, d("5")
		}, "notional", "time_in_force day"},
		{"extended hours market", func(r *OrderCreateRequest) { r.Type, r.LimitPrice, r.ExtendedHours = OrderTypeMarket, nil, true }, "extended_hours", "only limit"},
		{"extended hours ioc", func(r *OrderCreateRequest) { r.ExtendedHours, r.TimeInForce = true, TimeInForceIOC }, "extended_hours", "day or gtc"},
		{"extended hours ok", func(r *OrderCreateRequest) { r.ExtendedHours = true }, "", ""},
		{"client_order_id 128", func(r *OrderCreateRequest) { r.ClientOrderID = strings.Repeat("x", 128) }, "", ""},
		{"client_order_id 129", func(r *OrderCreateRequest) { r.ClientOrderID = strings.Repeat("x", 129) }, "client_order_id", "at most 128"},
		{"no symbol", func(r *OrderCreateRequest) { r.Symbol = "" }, "symbol", "required"},
		{"no side", func(r *OrderCreateRequest) { r.Side = "" }, "side", "required"},
		{"no type", func(r *OrderCreateRequest) { r.Type = "" }, "type", "required"},
		{"bad type", func(r *OrderCreateRequest) { r.Type = "iceberg" }, "type", "must be"},
		{"no tif", func(r *OrderCreateRequest) { r.TimeInForce = "" }, "time_in_force", "required"},
		{"bad tif", func(r *OrderCreateRequest) { r.TimeInForce = "gtd" }, "time_in_force", "must be"},
		{"negative commission", func(r *OrderCreateRequest) { r.Commission = d("-1") }, "commission", "negative"},
		{"bad commission type", func(r *OrderCreateRequest) { r.CommissionType = "flat" }, "commission_type", "must be"},
		{"bracket ok", func(r *OrderCreateRequest) {
			r.OrderClass, r.TakeProfit, r.StopLoss = OrderClassBracket, &TakeProfit{LimitPrice: d("200")}, &StopLoss{StopPrice: d("100")}
		}, "", ""},
		{"bracket without stop loss", func(r *OrderCreateRequest) {
			r.OrderClass, r.TakeProfit = OrderClassBracket, &TakeProfit{LimitPrice: d("200")}
		}, "stop_loss.stop_price", "required for bracket"},
		{"bracket without take profit", func(r *OrderCreateRequest) {
			r.OrderClass, r.StopLoss = OrderClassBracket, &StopLoss{StopPrice: d("100")}
		}, "take_profit.limit_price", "required for bracket"},
		{"bracket bad stop loss limit", func(r *OrderCreateRequest) {
			r.OrderClass, r.TakeProfit, r.StopLoss = OrderClassBracket, &TakeProfit{LimitPrice: d("200")}, &StopLoss{StopPrice: d("100"), LimitPrice: d("0")}
		}, "stop_loss.limit_price", "greater than 0"},
		{"oco market", func(r *OrderCreateRequest) {
			r.Type, r.LimitPrice, r.OrderClass, r.TakeProfit, r.StopLoss = OrderTypeMarket, nil, OrderClassOCO, &TakeProfit{LimitPrice: d("2")}, &StopLoss{StopPrice: d("1")}
		}, "type", "oco orders must be limit"},
		{"oco as in the docs, no top-level limit_price", func(r *OrderCreateRequest) {
			r.LimitPrice, r.OrderClass, r.TakeProfit, r.StopLoss = nil, OrderClassOCO, &TakeProfit{LimitPrice: d("301")}, &StopLoss{StopPrice: d("299"), LimitPrice: d("298")}
		}, "", ""},
		{"oco with a zero top-level limit_price", func(r *OrderCreateRequest) {
			r.LimitPrice, r.OrderClass, r.TakeProfit, r.StopLoss = d("0"), OrderClassOCO, &TakeProfit{LimitPrice: d("301")}, &StopLoss{StopPrice: d("299")}
		}, "limit_price", "greater than 0"},
		{"limit without limit_price", func(r *OrderCreateRequest) { r.LimitPrice = nil }, "limit_price", "required for limit"},
		{"oto with both", func(r *OrderCreateRequest) {
			r.OrderClass, r.TakeProfit, r.StopLoss = OrderClassOTO, &TakeProfit{LimitPrice: d("2")}, &StopLoss{StopPrice: d("1")}
		}, "take_profit", "exactly one"},
		{"oto ok", func(r *OrderCreateRequest) { r.OrderClass, r.StopLoss = OrderClassOTO, &StopLoss{StopPrice: d("1")} }, "", ""},
		{"legs on simple", func(r *OrderCreateRequest) { r.TakeProfit = &TakeProfit{LimitPrice: d("2")} }, "order_class", "bracket, oco or oto"},
		{"unknown class", func(r *OrderCreateRequest) { r.OrderClass = "iceberg" }, "order_class", "must be"},
		{"mleg without legs", func(r *OrderCreateRequest) { r.OrderClass, r.Symbol, r.Side = OrderClassMleg, "", "" }, "legs", "required"},
	}
	for _, tt := range tests {
		r := validOrderRequest()
		tt.mod(r)
		checkValidation(t, tt.name, r, tt.field, tt.msg)
	}
}

func TestTransferValidate(t *testing.T) {
	info := "x"
	tests := []struct {
		name       string
		mod        func(r *TransferCreateRequest)
		field, msg string
	}{
		{"ach incoming", func(r *TransferCreateRequest) {}, "", ""},
		{"ach outgoing with timing", func(r *TransferCreateRequest) { r.Direction, r.Timing = TransferOutgoing, "immediate" }, "", ""},
		{"ach without relationship", func(r *TransferCreateRequest) { r.RelationshipID = "" }, "relationship_id", "required for ach"},
		{"ach with bank", func(r *TransferCreateRequest) { r.BankID = "b" }, "bank_id", "should be empty for ach"},
		{"ach with info", func(r *TransferCreateRequest) { r.AdditionalInformation = &info }, "additional_information", "only wire"},
		{"wire outgoing", func(r *TransferCreateRequest) {
			r.TransferType, r.RelationshipID, r.BankID, r.Direction, r.AdditionalInformation = TransferWire, "", "b", TransferOutgoing, &info
		}, "", ""},
		{"wire incoming", func(r *TransferCreateRequest) { r.TransferType, r.RelationshipID, r.BankID = TransferWire, "", "b" }, "direction", "cannot submit incoming wire"},
		{"wire without bank", func(r *TransferCreateRequest) {
			r.TransferType, r.RelationshipID, r.Direction = TransferWire, "", TransferOutgoing
		}, "bank_id", "required for wire"},
		{"wire with relationship", func(r *TransferCreateRequest) {
			r.TransferType, r.BankID, r.Direction = TransferWire, "b", TransferOutgoing
		}, "relationship_id", "should be empty for wire"},
		{"bad type", func(r *TransferCreateRequest) { r.TransferType = "check" }, "transfer_type", "either ach or wire"},
		{"bad direction", func(r *TransferCreateRequest) { r.Direction = "incoming" }, "direction", "INCOMING or OUTGOING"},
		{"zero amount", func(r *TransferCreateRequest) { r.Amount = MustDecimal("0.00") }, "amount", "greater than 0.00"},
		{"negative amount", func(r *TransferCreateRequest) { r.Amount = MustDecimal("-5") }, "amount", "greater than 0.00"},
		{"bad fee method", func(r *TransferCreateRequest) { r.FeePaymentMethod = "card" }, "fee_payment_method", "user or invoice"},
	}
	for _, tt := range tests {
		r := validTransferRequest()
		tt.mod(r)
		checkValidation(t, tt.name, r, tt.field, tt.msg)
	}
}

func TestJournalValidate(t *testing.T) {
	tests := []struct {
		name       string
		mod        func(r *JournalCreateRequest)
		field, msg string
	}{
		{"jnlc", func(r *JournalCreateRequest) {}, "", ""},
		{"jnlc no amount", func(r *JournalCreateRequest) { r.Amount = nil }, "amount", "required"},
		{"jnlc zero", func(r *JournalCreateRequest) { r.Amount = d("0") }, "amount", "greater than 0"},
		{"jnlc with symbol", func(r *JournalCreateRequest) { r.Symbol = "AAPL" }, "symbol", "not allowed for JNLC"},
		{"jnlc with qty", func(r *JournalCreateRequest) { r.Qty = d("1") }, "qty", "not allowed for JNLC"},
		{"jnls", func(r *JournalCreateRequest) {
			r.EntryType, r.Amount, r.Symbol, r.Qty = EntryTypeSecurities, nil, "AAPL", d("0.5")
		}, "", ""},
		{"jnls no symbol", func(r *JournalCreateRequest) { r.EntryType, r.Amount, r.Qty = EntryTypeSecurities, nil, d("1") }, "symbol", "required for JNLS"},
		{"jnls no qty", func(r *JournalCreateRequest) { r.EntryType, r.Amount, r.Symbol = EntryTypeSecurities, nil, "AAPL" }, "qty", "required"},
		{"jnls 10 places", func(r *JournalCreateRequest) {
			r.EntryType, r.Amount, r.Symbol, r.Qty = EntryTypeSecurities, nil, "AAPL", d("0.0000000001")
		}, "qty", "at most 9 decimal places"},
		{"jnls with amount", func(r *JournalCreateRequest) { r.EntryType, r.Symbol, r.Qty = EntryTypeSecurities, "AAPL", d("1") }, "amount", "not allowed for JNLS"},
		{"bad entry type", func(r *JournalCreateRequest) { r.EntryType = "JNLX" }, "entry_type", "JNLC or JNLS"},
		{"same accounts", func(r *JournalCreateRequest) { r.ToAccount = r.FromAccount }, "to_account", "differ"},
		{"no from", func(r *JournalCreateRequest) { r.FromAccount = "" }, "from_account", "required"},
		{"long description", func(r *JournalCreateRequest) { r.Description = strings.Repeat("d", 1025) }, "description", "1024"},
		{"long transmitter", func(r *JournalCreateRequest) { r.TransmitterName = strings.Repeat("n", 256) }, "transmitter_name", "255"},
	}
	for _, tt := range tests {
		r := validJournalRequest()
		tt.mod(r)
		checkValidation(t, tt.name, r, tt.field, tt.msg)
	}
	b := validBatchRequest()
	b.Entries[1].Amount = MustDecimal("0")
	checkValidation(t, "batch zero entry", b, "entries[1].amount", "greater than 0")
	b = validBatchRequest()
	b.EntryType = EntryTypeSecurities
	checkValidation(t, "batch jnls", b, "entry_type", "must be JNLC")
	rb := validReverseBatchRequest()
	rb.Entries[0].FromAccount = ""
	checkValidation(t, "reverse missing from", rb, "entries[0].from_account", "required")
}

func TestAccountValidate(t *testing.T) {
	tests := []struct {
		name       string
		mod        func(r *AccountCreateRequest)
		field, msg string
	}{
		{"valid", func(r *AccountCreateRequest) {}, "", ""},
		{"no contact", func(r *AccountCreateRequest) { r.Contact = nil }, "contact", "required"},
		{"bad email", func(r *AccountCreateRequest) { r.Contact.EmailAddress = "nope" }, "contact.email_address", "not an email"},
		{"4 street lines", func(r *AccountCreateRequest) { r.Contact.StreetAddress = []string{"a", "b", "c", "d"} }, "contact.street_address", "at most 3"},
		{"no city", func(r *AccountCreateRequest) { r.Contact.City = "" }, "contact.city", "required"},
		{"no identity", func(r *AccountCreateRequest) { r.Identity = nil }, "identity", "required"},
		{"no dob", func(r *AccountCreateRequest) { r.Identity.DateOfBirth = Date{} }, "identity.date_of_birth", "required"},
		{"no tax id", func(r *AccountCreateRequest) { r.Identity.TaxID = "" }, "identity.tax_id", "required when tax_id_type"},
		{"not specified tax id", func(r *AccountCreateRequest) { r.Identity.TaxID, r.Identity.TaxIDType = "", "NOT_SPECIFIED" }, "", ""},
		{"no funding source", func(r *AccountCreateRequest) { r.Identity.FundingSource = nil }, "identity.funding_source", "required"},
		{"no disclosures", func(r *AccountCreateRequest) { r.Disclosures = nil }, "disclosures", "required"},
		{"no agreements", func(r *AccountCreateRequest) { r.Agreements = nil }, "agreements", "at least one"},
		{"agreement without ip", func(r *AccountCreateRequest) { r.Agreements[0].IPAddress = "" }, "agreements[0].ip_address", "required"},
		{"document without content", func(r *AccountCreateRequest) { r.Documents = []Document{{DocumentType: "identity_verification"}} }, "documents[0].content", "required"},
		{"trusted contact without channel", func(r *AccountCreateRequest) { r.TrustedContact = &TrustedContact{GivenName: "J", FamilyName: "D"} }, "trusted_contact", "one of"},
		{"trusted contact address without city", func(r *AccountCreateRequest) {
			r.TrustedContact = &TrustedContact{GivenName: "J", FamilyName: "D", StreetAddress: []string{"x"}}
		}, "trusted_contact.city", "required"},
		{"sub type on trading", func(r *AccountCreateRequest) { r.AccountSubType = "roth" }, "account_sub_type", "ira"},
		{"mla", func(r *AccountCreateRequest) { r.Contact, r.Identity, r.PrimaryAccountHolderID = nil, nil, "p-1" }, "", ""},
		{"mla with contact", func(r *AccountCreateRequest) { r.PrimaryAccountHolderID = "p-1" }, "primary_account_holder_id", "cannot be combined"},
	}
	for _, tt := range tests {
		r := validAccountRequest()
		tt.mod(r)
		checkValidation(t, tt.name, r, tt.field, tt.msg)
	}
}

func TestFundingRelationshipValidate(t *testing.T) {
	ach := []struct {
		name       string
		r          ACHRelationshipCreateRequest
		field, msg string
	}{
		{"valid", *validACHRequest(), "", ""},
		{"plaid", ACHRelationshipCreateRequest{ProcessorToken: "processor-sandbox-x"}, "", ""},
		{"plaid plus number", ACHRelationshipCreateRequest{ProcessorToken: "p", BankAccountNumber: "1"}, "processor_token", "cannot be combined"},
		{"bad type", ACHRelationshipCreateRequest{AccountOwnerName: "a", BankAccountType: "BROKERAGE", BankAccountNumber: "1", BankRoutingNumber: "121000358"}, "bank_account_type", "CHECKING or SAVINGS"},
		{"no owner", ACHRelationshipCreateRequest{BankAccountType: "CHECKING", BankAccountNumber: "1", BankRoutingNumber: "121000358"}, "account_owner_name", "required"},
		{"short routing", ACHRelationshipCreateRequest{AccountOwnerName: "a", BankAccountType: "CHECKING", BankAccountNumber: "1", BankRoutingNumber: "1210"}, "bank_routing_number", "9-digit"},
	}
	for _, tt := range ach {
		r := tt.r
		checkValidation(t, "ach "+tt.name, &r, tt.field, tt.msg)
	}
	bic := BankCreateRequest{Name: "b", BankCodeType: BankCodeBIC, BankCode: "DEUTDEFF", AccountNumber: "DE89", Country: "DEU", StateProvince: "HE", PostalCode: "60311", City: "Frankfurt", StreetAddress: "Taunusanlage 12"}
	banks := []struct {
		name       string
		mod        func(r *BankCreateRequest)
		field, msg string
	}{
		{"bic valid", func(r *BankCreateRequest) {}, "", ""},
		{"bic without city", func(r *BankCreateRequest) { r.City = "" }, "city", "required for bank_code_type BIC"},
		{"bic short postal", func(r *BankCreateRequest) { r.PostalCode = "12" }, "postal_code", "at least 3"},
		{"bic bad code", func(r *BankCreateRequest) { r.BankCode = "DEUT" }, "bank_code", "8 or 11"},
		{"aba with country", func(r *BankCreateRequest) { r.BankCodeType, r.BankCode = BankCodeABA, "123456789" }, "country", "only allowed for bank_code_type BIC"},
		{"bad code type", func(r *BankCreateRequest) { r.BankCodeType = "SWIFT" }, "bank_code_type", "ABA or BIC"},
		{"no name", func(r *BankCreateRequest) { r.Name = "" }, "name", "required"},
	}
	for _, tt := range banks {
		r := bic
		tt.mod(&r)
		checkValidation(t, "bank "+tt.name, &r, tt.field, tt.msg)
	}
}

// TestRequestJSONShape pins the wire names and omitted optionals of requests.
func TestRequestJSONShape(t *testing.T) {
	b, _ := json.Marshal(validTransferRequest())
	if string(b) != `{"transfer_type":"ach","relationship_id":"rel-1","amount":"1234.567","direction":"INCOMING"}` {
		t.Errorf("transfer: %s", b)
	}
	b, _ = json.Marshal(validOrderRequest())
	if string(b) != `{"symbol":"AAPL","qty":"2","side":"buy","type":"limit","time_in_force":"gtc","limit_price":"150","client_order_id":"coid-1"}` {
		t.Errorf("order: %s", b)
	}
	// alpaca-py sends numbers; decoding a request must accept them.
	var jr JournalCreateRequest
	if err := json.Unmarshal([]byte(`{"from_account":"f","to_account":"t","entry_type":"JNLC","amount":51}`), &jr); err != nil || jr.Amount.String() != "51" {
		t.Errorf("numeric amount: %v %v", jr.Amount, err)
	}
}

// TestAccountUpdatePartialContact: a PATCH that changes one contact field
// sends only that field; an empty email or city would be refused (422).
func TestAccountUpdatePartialContact(t *testing.T) {
	tests := []struct {
		name string
		req  AccountUpdateRequest
		want string
	}{
		{"city only", AccountUpdateRequest{Contact: &Contact{City: "Elsewhere"}}, `{"contact":{"city":"Elsewhere"}}`},
		{"email only", AccountUpdateRequest{Contact: &Contact{EmailAddress: "a@example.com"}}, `{"contact":{"email_address":"a@example.com"}}`},
		{"street only", AccountUpdateRequest{Contact: &Contact{StreetAddress: []string{"1 Main St"}}}, `{"contact":{"street_address":["1 Main St"]}}`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(tt.req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if string(got) != tt.want {
			t.Errorf("%s: body %s, want %s", tt.name, got, tt.want)
		}
	}
	// Identity keeps the API's explicit nulls (visa fields) so responses
	// round-trip, but never sends empty names.
	got, err := json.Marshal(AccountUpdateRequest{Identity: &Identity{MiddleName: "Q"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), "given_name") || strings.Contains(string(got), "family_name") {
		t.Errorf("identity update sends empty names: %s", got)
	}
}

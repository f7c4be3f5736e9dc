package broker

import (
	"fmt"
	"regexp"
	"strings"
)

// Limits documented by the API.
const (
	MaxClientOrderIDLen     = 128
	MaxJournalDescription   = 1024
	MaxTransmitterFieldLen  = 255
	MaxJournalQtyPlaces     = 9
	MaxContactStreetAddress = 3
)

var abaRouting = regexp.MustCompile(`^[0-9]{9}$`)

func required(field, value string) error {
	if strings.TrimSpace(value) == "" {
		return invalid(field, "required")
	}
	return nil
}

func positive(field string, d *Decimal) error {
	if d == nil {
		return invalid(field, "required")
	}
	if !d.IsPositive() {
		return invalid(field, "must be greater than 0 (got %s)", d)
	}
	return nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// Validate checks the documented rules of POST /v1/accounts: contact and
// identity (or primary_account_holder_id instead), disclosures, agreements,
// documents and trusted_contact required fields.
func (r *AccountCreateRequest) Validate() error {
	if r.PrimaryAccountHolderID != "" {
		if r.Contact != nil || r.Identity != nil {
			return invalid("primary_account_holder_id", "cannot be combined with contact or identity")
		}
		if r.AccountType != "" && r.AccountType != AccountTypeTrading && r.AccountType != AccountTypeIRA {
			return invalid("account_type", "must be trading or ira with primary_account_holder_id (got %q)", r.AccountType)
		}
	} else {
		if r.Contact == nil {
			return invalid("contact", "required")
		}
		if err := r.Contact.validate(); err != nil {
			return prefixField("contact", err)
		}
		if r.Identity == nil {
			return invalid("identity", "required")
		}
		if err := r.Identity.validate(); err != nil {
			return prefixField("identity", err)
		}
	}
	if r.Disclosures == nil {
		return invalid("disclosures", "required")
	}
	if len(r.Agreements) == 0 {
		return invalid("agreements", "at least one agreement is required")
	}
	for i, a := range r.Agreements {
		f := fmt.Sprintf("agreements[%d]", i)
		if err := firstErr(required(f+".agreement", string(a.Agreement)), required(f+".ip_address", a.IPAddress)); err != nil {
			return err
		}
		if a.SignedAt.IsZero() {
			return invalid(f+".signed_at", "required")
		}
	}
	for i, d := range r.Documents {
		f := fmt.Sprintf("documents[%d]", i)
		if err := required(f+".document_type", d.DocumentType); err != nil {
			return err
		}
		if d.Content == "" && len(d.ContentData) == 0 {
			return invalid(f+".content", "required (or content_data)")
		}
	}
	if r.TrustedContact != nil {
		if err := r.TrustedContact.validate(); err != nil {
			return prefixField("trusted_contact", err)
		}
	}
	if r.AccountSubType != "" && r.AccountType != AccountTypeIRA {
		return invalid("account_sub_type", "only allowed for ira accounts")
	}
	return nil
}

func (c *Contact) validate() error {
	if err := required("email_address", c.EmailAddress); err != nil {
		return err
	}
	if !strings.Contains(c.EmailAddress, "@") {
		return invalid("email_address", "not an email address")
	}
	if len(c.StreetAddress) == 0 {
		return invalid("street_address", "required")
	}
	if len(c.StreetAddress) > MaxContactStreetAddress {
		return invalid("street_address", "at most %d lines (got %d)", MaxContactStreetAddress, len(c.StreetAddress))
	}
	return required("city", c.City)
}

func (id *Identity) validate() error {
	if err := firstErr(required("given_name", id.GivenName), required("family_name", id.FamilyName)); err != nil {
		return err
	}
	if id.DateOfBirth.IsZero() {
		return invalid("date_of_birth", "required")
	}
	if err := firstErr(required("tax_id_type", id.TaxIDType), required("country_of_tax_residence", id.CountryOfTaxResidence)); err != nil {
		return err
	}
	if id.TaxID == "" && id.TaxIDType != "NOT_SPECIFIED" {
		return invalid("tax_id", "required when tax_id_type is %s", id.TaxIDType)
	}
	if len(id.FundingSource) == 0 {
		return invalid("funding_source", "required")
	}
	return nil
}

func (t *TrustedContact) validate() error {
	if err := firstErr(required("given_name", t.GivenName), required("family_name", t.FamilyName)); err != nil {
		return err
	}
	if t.EmailAddress == "" && t.PhoneNumber == "" && len(t.StreetAddress) == 0 {
		return invalid("", "one of email_address, phone_number or street_address is required")
	}
	if len(t.StreetAddress) > 0 {
		return firstErr(required("city", t.City), required("state", t.State), required("postal_code", t.PostalCode), required("country", t.Country))
	}
	return nil
}

// Validate refuses an empty update, as alpaca-py does.
func (r *AccountUpdateRequest) Validate() error {
	if r.Contact == nil && r.Identity == nil && r.Disclosures == nil && len(r.Agreements) == 0 &&
		r.TrustedContact == nil && len(r.EnabledAssets) == 0 && len(r.Beneficiaries) == 0 &&
		r.AllowInstantACH == nil && len(r.CashInterest) == 0 && len(r.FPSL) == 0 {
		return invalid("", "update request has no fields to update")
	}
	return nil
}

// Validate checks an ACH relationship request: either only processor_token,
// or account_owner_name, bank_account_type (CHECKING|SAVINGS),
// bank_account_number and a 9-digit bank_routing_number.
func (r *ACHRelationshipCreateRequest) Validate() error {
	if r.ProcessorToken != "" {
		if r.BankAccountNumber != "" || r.BankRoutingNumber != "" {
			return invalid("processor_token", "cannot be combined with bank_account_number/bank_routing_number")
		}
		return nil
	}
	if err := firstErr(required("account_owner_name", r.AccountOwnerName), required("bank_account_type", string(r.BankAccountType)),
		required("bank_account_number", r.BankAccountNumber), required("bank_routing_number", r.BankRoutingNumber)); err != nil {
		return err
	}
	if r.BankAccountType != BankAccountChecking && r.BankAccountType != BankAccountSavings {
		return invalid("bank_account_type", "must be CHECKING or SAVINGS (got %q)", r.BankAccountType)
	}
	if !abaRouting.MatchString(r.BankRoutingNumber) {
		return invalid("bank_routing_number", "must be a 9-digit ABA routing number")
	}
	return nil
}

// Validate checks a recipient bank request: ABA banks need a 9-digit routing
// number and no international fields; BIC banks need country,
// state_province, postal_code (≥ 3 chars), city and street_address.
func (r *BankCreateRequest) Validate() error {
	if err := firstErr(required("name", r.Name), required("bank_code_type", string(r.BankCodeType)),
		required("bank_code", r.BankCode), required("account_number", r.AccountNumber)); err != nil {
		return err
	}
	intl := map[string]string{"country": r.Country, "state_province": r.StateProvince, "postal_code": r.PostalCode, "city": r.City, "street_address": r.StreetAddress}
	switch r.BankCodeType {
	case BankCodeABA:
		if !abaRouting.MatchString(r.BankCode) {
			return invalid("bank_code", "must be a 9-digit ABA routing number for bank_code_type ABA")
		}
		for _, f := range []string{"country", "state_province", "postal_code", "city", "street_address"} {
			if intl[f] != "" {
				return invalid(f, "only allowed for bank_code_type BIC")
			}
		}
	case BankCodeBIC:
		if n := len(r.BankCode); n != 8 && n != 11 {
			return invalid("bank_code", "must be an 8 or 11 character BIC")
		}
		for _, f := range []string{"country", "state_province", "postal_code", "city", "street_address"} {
			if err := required(f, intl[f]); err != nil {
				return invalid(f, "required for bank_code_type BIC")
			}
		}
		if len(r.PostalCode) < 3 {
			return invalid("postal_code", "must be at least 3 characters")
		}
	default:
		return invalid("bank_code_type", "must be ABA or BIC (got %q)", r.BankCodeType)
	}
	return nil
}

// Validate checks the transfer matrix: ach (INCOMING or OUTGOING) needs
// relationship_id and takes no bank_id or additional_information; wire is
// OUTGOING only and needs bank_id; amount > 0.
func (r *TransferCreateRequest) Validate() error {
	switch r.TransferType {
	case TransferACH:
		if r.RelationshipID == "" {
			return invalid("relationship_id", "required for ach transfers")
		}
		if r.BankID != "" {
			return invalid("bank_id", "should be empty for ach transfer")
		}
		if r.AdditionalInformation != nil {
			return invalid("additional_information", "only wire transfer type can provide additional information for the transfer")
		}
	case TransferWire:
		if r.BankID == "" {
			return invalid("bank_id", "required for wire transfer")
		}
		if r.RelationshipID != "" {
			return invalid("relationship_id", "should be empty for wire transfer")
		}
	default:
		return invalid("transfer_type", "must be either ach or wire (got %q)", r.TransferType)
	}
	switch r.Direction {
	case TransferIncoming:
		if r.TransferType == TransferWire {
			return invalid("direction", "cannot submit incoming wire transfer using this API")
		}
	case TransferOutgoing:
	default:
		return invalid("direction", "must be either INCOMING or OUTGOING (got %q)", r.Direction)
	}
	if !r.Amount.IsPositive() {
		return invalid("amount", "must be greater than 0.00 (got %s)", r.Amount)
	}
	if r.FeePaymentMethod != "" && r.FeePaymentMethod != FeePaidByUser && r.FeePaymentMethod != FeePaidByInvoice {
		return invalid("fee_payment_method", "must be user or invoice (got %q)", r.FeePaymentMethod)
	}
	return nil
}

func validateTransmitter(prefix string, fields map[string]string) error {
	for _, name := range []string{"transmitter_name", "transmitter_account_number", "transmitter_address", "transmitter_financial_institution"} {
		if len(fields[name]) > MaxTransmitterFieldLen {
			return invalid(prefix+name, "at most %d characters", MaxTransmitterFieldLen)
		}
	}
	return nil
}

// Validate checks a journal: from/to accounts, JNLC takes amount > 0 and no
// symbol/qty, JNLS takes symbol and qty > 0 (≤ 9 decimals) and no amount;
// description ≤ 1024 and transmitter_* ≤ 255 characters.
func (r *JournalCreateRequest) Validate() error {
	if err := firstErr(required("from_account", r.FromAccount), required("to_account", r.ToAccount)); err != nil {
		return err
	}
	if r.FromAccount == r.ToAccount {
		return invalid("to_account", "must differ from from_account")
	}
	switch r.EntryType {
	case EntryTypeCash:
		if err := positive("amount", r.Amount); err != nil {
			return err
		}
		if r.Symbol != "" {
			return invalid("symbol", "not allowed for JNLC journals")
		}
		if r.Qty != nil {
			return invalid("qty", "not allowed for JNLC journals")
		}
	case EntryTypeSecurities:
		if err := required("symbol", r.Symbol); err != nil {
			return invalid("symbol", "required for JNLS journals")
		}
		if err := positive("qty", r.Qty); err != nil {
			return err
		}
		if r.Qty.Places() > MaxJournalQtyPlaces {
			return invalid("qty", "at most %d decimal places (got %s)", MaxJournalQtyPlaces, r.Qty)
		}
		if r.Amount != nil {
			return invalid("amount", "not allowed for JNLS journals")
		}
	default:
		return invalid("entry_type", "must be JNLC or JNLS (got %q)", r.EntryType)
	}
	if len(r.Description) > MaxJournalDescription {
		return invalid("description", "at most %d characters", MaxJournalDescription)
	}
	return validateTransmitter("", map[string]string{"transmitter_name": r.TransmitterName, "transmitter_account_number": r.TransmitterAccountNumber,
		"transmitter_address": r.TransmitterAddress, "transmitter_financial_institution": r.TransmitterFinancialInstitution})
}

// Validate checks a batch journal: JNLC only, from_account, at least one
// entry, each with to_account and amount > 0.
func (r *BatchJournalRequest) Validate() error {
	if r.EntryType != EntryTypeCash {
		return invalid("entry_type", "batch journals must be JNLC (got %q)", r.EntryType)
	}
	if err := required("from_account", r.FromAccount); err != nil {
		return err
	}
	if len(r.Entries) == 0 {
		return invalid("entries", "at least one entry is required")
	}
	for i, e := range r.Entries {
		f := fmt.Sprintf("entries[%d].", i)
		if err := required(f+"to_account", e.ToAccount); err != nil {
			return err
		}
		if e.ToAccount == r.FromAccount {
			return invalid(f+"to_account", "must differ from from_account")
		}
		if !e.Amount.IsPositive() {
			return invalid(f+"amount", "must be greater than 0 (got %s)", e.Amount)
		}
		if len(e.Description) > MaxJournalDescription {
			return invalid(f+"description", "at most %d characters", MaxJournalDescription)
		}
		if err := validateTransmitter(f, map[string]string{"transmitter_name": e.TransmitterName, "transmitter_account_number": e.TransmitterAccountNumber,
			"transmitter_address": e.TransmitterAddress, "transmitter_financial_institution": e.TransmitterFinancialInstitution}); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a reverse batch journal: JNLC only, to_account, at least
// one entry, each with from_account and amount > 0.
func (r *ReverseBatchJournalRequest) Validate() error {
	if r.EntryType != EntryTypeCash {
		return invalid("entry_type", "reverse batch journals must be JNLC (got %q)", r.EntryType)
	}
	if err := required("to_account", r.ToAccount); err != nil {
		return err
	}
	if len(r.Entries) == 0 {
		return invalid("entries", "at least one entry is required")
	}
	for i, e := range r.Entries {
		f := fmt.Sprintf("entries[%d].", i)
		if err := required(f+"from_account", e.FromAccount); err != nil {
			return err
		}
		if e.FromAccount == r.ToAccount {
			return invalid(f+"from_account", "must differ from to_account")
		}
		if !e.Amount.IsPositive() {
			return invalid(f+"amount", "must be greater than 0 (got %s)", e.Amount)
		}
	}
	return nil
}

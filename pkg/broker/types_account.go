package broker

import (
	"encoding/json"
	"time"
)

// AccountStatus is an account's (or its crypto side's) status. Open set:
// values not listed here decode and round-trip unchanged.
type AccountStatus string

// Account statuses documented by the current spec, plus older ones still seen.
const (
	AccountInactive         AccountStatus = "INACTIVE"
	AccountOnboarding       AccountStatus = "ONBOARDING"
	AccountSubmitted        AccountStatus = "SUBMITTED"
	AccountSubmissionFailed AccountStatus = "SUBMISSION_FAILED"
	AccountActionRequired   AccountStatus = "ACTION_REQUIRED"
	AccountUpdated          AccountStatus = "ACCOUNT_UPDATED"
	AccountApprovalPending  AccountStatus = "APPROVAL_PENDING"
	AccountApproved         AccountStatus = "APPROVED"
	AccountRejected         AccountStatus = "REJECTED"
	AccountActive           AccountStatus = "ACTIVE"
	AccountClosed           AccountStatus = "ACCOUNT_CLOSED"
	AccountDisabled         AccountStatus = "DISABLED"
	AccountEdited           AccountStatus = "EDITED"
	AccountPaperOnly        AccountStatus = "PAPER_ONLY"
)

// AccountType is the kind of brokerage account.
type AccountType string

// Account types.
const (
	AccountTypeTrading      AccountType = "trading"
	AccountTypeCustodial    AccountType = "custodial"
	AccountTypeDonorAdvised AccountType = "donor_advised"
	AccountTypeIRA          AccountType = "ira"
	AccountTypeHSA          AccountType = "hsa"
)

// AgreementType names a signed agreement.
type AgreementType string

// Agreement types.
const (
	AgreementMargin            AgreementType = "margin_agreement"
	AgreementAccount           AgreementType = "account_agreement"
	AgreementCustomer          AgreementType = "customer_agreement"
	AgreementCrypto            AgreementType = "crypto_agreement"
	AgreementOptions           AgreementType = "options_agreement"
	AgreementCustodialCustomer AgreementType = "custodial_customer_agreement"
)

// Account is the account object returned by create, get, list and update
// (Account and AccountExtended in the spec). List responses may omit the
// nested entities (contact, identity, ...).
type Account struct {
	ID                     string          `json:"id"`
	AccountNumber          *string         `json:"account_number"`
	Status                 AccountStatus   `json:"status"`
	CryptoStatus           AccountStatus   `json:"crypto_status,omitempty"`
	KYCResults             *KYCResults     `json:"kyc_results,omitempty"`
	Currency               string          `json:"currency"`
	LastEquity             Decimal         `json:"last_equity"`
	CreatedAt              time.Time       `json:"created_at"`
	Contact                *Contact        `json:"contact,omitempty"`
	Identity               *Identity       `json:"identity,omitempty"`
	Disclosures            *Disclosures    `json:"disclosures,omitempty"`
	Agreements             []Agreement     `json:"agreements,omitzero"`
	Documents              []Document      `json:"documents,omitzero"`
	TrustedContact         *TrustedContact `json:"trusted_contact,omitempty"`
	AccountType            AccountType     `json:"account_type,omitempty"`
	AccountSubType         string          `json:"account_sub_type,omitempty"`
	AccountName            string          `json:"account_name,omitempty"`
	TradingConfigurations  json.RawMessage `json:"trading_configurations,omitempty"`
	EnabledAssets          []string        `json:"enabled_assets,omitzero"`
	PrimaryAccountHolderID *string         `json:"primary_account_holder_id,omitempty"`
	AllowInstantACH        *bool           `json:"allow_instant_ach,omitempty"`
	InstantACHBlocked      *bool           `json:"instant_ach_blocked,omitempty"`
	CashInterest           json.RawMessage `json:"cash_interest,omitempty"`
	FPSL                   json.RawMessage `json:"fpsl,omitempty"`
	Beneficiaries          json.RawMessage `json:"beneficiaries,omitempty"`
	CustodialAccountType   string          `json:"custodial_account_type,omitempty"`
	MinorIdentity          json.RawMessage `json:"minor_identity,omitempty"`
	InvestmentObjective    string          `json:"investment_objective,omitempty"`
	InvestmentTimeHorizon  string          `json:"investment_time_horizon,omitempty"`
	LiquidityNeeds         string          `json:"liquidity_needs,omitempty"`
	RiskTolerance          string          `json:"risk_tolerance,omitempty"`
	USD                    json.RawMessage `json:"usd,omitempty"`
}

// KYCResults summarises the KYC checks of an account.
type KYCResults struct {
	Reject                map[string]json.RawMessage `json:"reject,omitzero"`
	Accept                map[string]json.RawMessage `json:"accept,omitzero"`
	Indeterminate         map[string]json.RawMessage `json:"indeterminate,omitzero"`
	AdditionalInformation string                     `json:"additional_information,omitempty"`
	Summary               string                     `json:"summary,omitempty"`
}

// Contact is the account holder's contact information.
type Contact struct {
	EmailAddress  string   `json:"email_address,omitempty"`
	PhoneNumber   string   `json:"phone_number,omitempty"`
	StreetAddress []string `json:"street_address,omitempty"`
	Unit          string   `json:"unit,omitempty"`
	City          string   `json:"city,omitempty"`
	State         string   `json:"state,omitempty"`
	PostalCode    string   `json:"postal_code,omitempty"`
	Country       string   `json:"country,omitempty"`
}

// Identity is the account holder's identity. TaxID is write-only: the API
// does not echo it in responses.
type Identity struct {
	GivenName                      string          `json:"given_name,omitempty"`
	FamilyName                     string          `json:"family_name,omitempty"`
	MiddleName                     string          `json:"middle_name,omitempty"`
	DateOfBirth                    Date            `json:"date_of_birth,omitzero"`
	TaxID                          string          `json:"tax_id,omitempty"`
	TaxIDType                      string          `json:"tax_id_type,omitempty"`
	CountryOfCitizenship           string          `json:"country_of_citizenship,omitempty"`
	CountryOfBirth                 string          `json:"country_of_birth,omitempty"`
	CountryOfTaxResidence          string          `json:"country_of_tax_residence,omitempty"`
	FundingSource                  []string        `json:"funding_source,omitzero"`
	VisaType                       *string         `json:"visa_type"`
	VisaExpirationDate             *Date           `json:"visa_expiration_date"`
	DateOfDepartureFromUSA         *Date           `json:"date_of_departure_from_usa"`
	PermanentResident              *bool           `json:"permanent_resident"`
	AnnualIncomeMin                *NumericDecimal `json:"annual_income_min,omitempty"`
	AnnualIncomeMax                *NumericDecimal `json:"annual_income_max,omitempty"`
	LiquidNetWorthMin              *NumericDecimal `json:"liquid_net_worth_min,omitempty"`
	LiquidNetWorthMax              *NumericDecimal `json:"liquid_net_worth_max,omitempty"`
	TotalNetWorthMin               *NumericDecimal `json:"total_net_worth_min,omitempty"`
	TotalNetWorthMax               *NumericDecimal `json:"total_net_worth_max,omitempty"`
	MaritalStatus                  string          `json:"marital_status,omitempty"`
	NumberOfDependents             *int            `json:"number_of_dependents,omitempty"`
	InvestmentExperienceWithStocks string          `json:"investment_experience_with_stocks,omitempty"`
	InvestmentExperienceWithOption string          `json:"investment_experience_with_options,omitempty"`
	InvestmentObjective            string          `json:"investment_objective,omitempty"`
	InvestmentTimeHorizon          string          `json:"investment_time_horizon,omitempty"`
	LiquidityNeeds                 string          `json:"liquidity_needs,omitempty"`
	RiskTolerance                  string          `json:"risk_tolerance,omitempty"`
}

// Disclosures are the regulatory disclosures of the account holder.
type Disclosures struct {
	IsControlPerson             bool                `json:"is_control_person"`
	IsAffiliatedExchangeOrFINRA bool                `json:"is_affiliated_exchange_or_finra"`
	IsPoliticallyExposed        bool                `json:"is_politically_exposed"`
	ImmediateFamilyExposed      bool                `json:"immediate_family_exposed"`
	IsDiscretionary             *bool               `json:"is_discretionary,omitempty"`
	Context                     []DisclosureContext `json:"context,omitzero"`
	EmploymentStatus            string              `json:"employment_status,omitempty"`
	EmployerName                string              `json:"employer_name,omitempty"`
	EmployerAddress             string              `json:"employer_address,omitempty"`
	EmploymentPosition          string              `json:"employment_position,omitempty"`
	EmploymentSector            string              `json:"employment_sector,omitempty"`
}

// DisclosureContext annotates a disclosure (controlled firm, affiliate, family).
type DisclosureContext struct {
	ContextType            string `json:"context_type"`
	CompanyName            string `json:"company_name,omitempty"`
	CompanyStreetAddress   string `json:"company_street_address,omitempty"`
	CompanyCity            string `json:"company_city,omitempty"`
	CompanyState           string `json:"company_state,omitempty"`
	CompanyCountry         string `json:"company_country,omitempty"`
	CompanyComplianceEmail string `json:"company_compliance_email,omitempty"`
	GivenName              string `json:"given_name,omitempty"`
	FamilyName             string `json:"family_name,omitempty"`
}

// Agreement is a signed agreement.
type Agreement struct {
	Agreement AgreementType `json:"agreement"`
	SignedAt  time.Time     `json:"signed_at"`
	IPAddress string        `json:"ip_address"`
	Revision  string        `json:"revision,omitempty"`
}

// Document is a KYC document: in requests it carries Content (base64) or
// ContentData (W-8BEN JSON); in responses it carries ID and CreatedAt.
type Document struct {
	ID              string          `json:"id,omitempty"`
	DocumentType    string          `json:"document_type"`
	DocumentSubType string          `json:"document_sub_type,omitempty"`
	Content         string          `json:"content,omitempty"`
	ContentData     json.RawMessage `json:"content_data,omitempty"`
	MimeType        string          `json:"mime_type,omitempty"`
	CreatedAt       *time.Time      `json:"created_at,omitempty"`
}

// TrustedContact is the optional trusted contact person.
type TrustedContact struct {
	GivenName     string   `json:"given_name,omitempty"`
	FamilyName    string   `json:"family_name,omitempty"`
	EmailAddress  string   `json:"email_address,omitempty"`
	PhoneNumber   string   `json:"phone_number,omitempty"`
	StreetAddress []string `json:"street_address,omitzero"`
	City          string   `json:"city,omitempty"`
	State         string   `json:"state,omitempty"`
	PostalCode    string   `json:"postal_code,omitempty"`
	Country       string   `json:"country,omitempty"`
}

// AccountCreateRequest is the body of POST /v1/accounts.
type AccountCreateRequest struct {
	Contact                *Contact        `json:"contact,omitempty"`
	Identity               *Identity       `json:"identity,omitempty"`
	Disclosures            *Disclosures    `json:"disclosures,omitempty"`
	Agreements             []Agreement     `json:"agreements,omitempty"`
	Documents              []Document      `json:"documents,omitempty"`
	TrustedContact         *TrustedContact `json:"trusted_contact,omitempty"`
	EnabledAssets          []string        `json:"enabled_assets,omitempty"`
	AccountType            AccountType     `json:"account_type,omitempty"`
	AccountSubType         string          `json:"account_sub_type,omitempty"`
	TradingConfigurations  json.RawMessage `json:"trading_configurations,omitempty"`
	Currency               string          `json:"currency,omitempty"`
	Beneficiaries          json.RawMessage `json:"beneficiaries,omitempty"`
	PrimaryAccountHolderID string          `json:"primary_account_holder_id,omitempty"`
	AllowInstantACH        *bool           `json:"allow_instant_ach,omitempty"`
	CashInterest           json.RawMessage `json:"cash_interest,omitempty"`
	FPSL                   json.RawMessage `json:"fpsl,omitempty"`
	InvestmentObjective    string          `json:"investment_objective,omitempty"`
	InvestmentTimeHorizon  string          `json:"investment_time_horizon,omitempty"`
	LiquidityNeeds         string          `json:"liquidity_needs,omitempty"`
	RiskTolerance          string          `json:"risk_tolerance,omitempty"`
	// AdditionalInformation carries sandbox fixtures
	// ("/fixtures/status=REJECTED/fixtures/"); not in the current spec.
	AdditionalInformation string `json:"additional_information,omitempty"`
}

// AccountUpdateRequest is the body of PATCH /v1/accounts/{id}. Only set
// fields are sent.
type AccountUpdateRequest struct {
	Contact         *Contact        `json:"contact,omitempty"`
	Identity        *Identity       `json:"identity,omitempty"`
	Disclosures     *Disclosures    `json:"disclosures,omitempty"`
	Agreements      []Agreement     `json:"agreements,omitempty"`
	TrustedContact  *TrustedContact `json:"trusted_contact,omitempty"`
	EnabledAssets   []string        `json:"enabled_assets,omitempty"`
	Beneficiaries   json.RawMessage `json:"beneficiaries,omitempty"`
	AllowInstantACH *bool           `json:"allow_instant_ach,omitempty"`
	CashInterest    json.RawMessage `json:"cash_interest,omitempty"`
	FPSL            json.RawMessage `json:"fpsl,omitempty"`
	// PrimaryAccountHolderID must equal the current one (400 otherwise).
	PrimaryAccountHolderID string `json:"primary_account_holder_id,omitempty"`
}

package broker

import (
	"encoding/json"
	"time"
)

// ACHRelationshipStatus is the status of an ACH relationship. Open set.
type ACHRelationshipStatus string

// ACH relationship statuses (REST object and funding events).
const (
	ACHQueued          ACHRelationshipStatus = "QUEUED"
	ACHApproved        ACHRelationshipStatus = "APPROVED"
	ACHRejected        ACHRelationshipStatus = "REJECTED"
	ACHPending         ACHRelationshipStatus = "PENDING"
	ACHCancelRequested ACHRelationshipStatus = "CANCEL_REQUESTED"
	ACHCanceled        ACHRelationshipStatus = "CANCELED"
)

// BankAccountType is CHECKING or SAVINGS ("" for some Plaid relationships).
type BankAccountType string

// Bank account types.
const (
	BankAccountChecking BankAccountType = "CHECKING"
	BankAccountSavings  BankAccountType = "SAVINGS"
)

// BankStatus is the status of a recipient bank (wire) relationship. Open set.
type BankStatus string

// Bank statuses.
const (
	BankQueued         BankStatus = "QUEUED"
	BankSentToClearing BankStatus = "SENT_TO_CLEARING"
	BankApproved       BankStatus = "APPROVED"
	BankRejected       BankStatus = "REJECTED"
	BankCanceled       BankStatus = "CANCELED"
)

// BankCodeType says how BankCode identifies the bank.
type BankCodeType string

// Bank code types: ABA routing number (domestic) or BIC (international).
const (
	BankCodeABA BankCodeType = "ABA"
	BankCodeBIC BankCodeType = "BIC"
)

// TransferStatus is the status of a transfer. Open set.
type TransferStatus string

// Transfer statuses.
const (
	TransferQueued          TransferStatus = "QUEUED"
	TransferApprovalPending TransferStatus = "APPROVAL_PENDING"
	TransferPending         TransferStatus = "PENDING"
	TransferSentToClearing  TransferStatus = "SENT_TO_CLEARING"
	TransferRejected        TransferStatus = "REJECTED"
	TransferCanceled        TransferStatus = "CANCELED"
	TransferApproved        TransferStatus = "APPROVED"
	TransferComplete        TransferStatus = "COMPLETE"
	TransferReturned        TransferStatus = "RETURNED"
	TransferSettled         TransferStatus = "SETTLED"
	TransferExpired         TransferStatus = "EXPIRED"
)

// TransferType is ach or wire.
type TransferType string

// Transfer types.
const (
	TransferACH  TransferType = "ach"
	TransferWire TransferType = "wire"
)

// TransferDirection is INCOMING (deposit) or OUTGOING (withdrawal).
type TransferDirection string

// Transfer directions.
const (
	TransferIncoming TransferDirection = "INCOMING"
	TransferOutgoing TransferDirection = "OUTGOING"
)

// FeePaymentMethod says who pays a transfer fee.
type FeePaymentMethod string

// Fee payment methods.
const (
	FeePaidByUser    FeePaymentMethod = "user"
	FeePaidByInvoice FeePaymentMethod = "invoice"
)

// ACHRelationship links an account to an external bank account for ACH.
type ACHRelationship struct {
	ID                      string                `json:"id"`
	AccountID               string                `json:"account_id"`
	CreatedAt               time.Time             `json:"created_at"`
	UpdatedAt               time.Time             `json:"updated_at"`
	Status                  ACHRelationshipStatus `json:"status"`
	AccountOwnerName        string                `json:"account_owner_name"`
	BankAccountType         BankAccountType       `json:"bank_account_type"`
	BankAccountNumber       string                `json:"bank_account_number,omitempty"`
	BankRoutingNumber       string                `json:"bank_routing_number,omitempty"`
	Nickname                string                `json:"nickname,omitempty"`
	ProcessorToken          *string               `json:"processor_token,omitempty"`
	ApprovalMethod          string                `json:"approval_method,omitempty"`
	PlaidInstitution        string                `json:"plaid_institution,omitempty"`
	PlaidVerificationStatus string                `json:"plaid_verification_status,omitempty"`
	AccountMask             string                `json:"account_mask,omitempty"`
	CorrespondentCode       string                `json:"correspondent_code,omitempty"`
	Reason                  *string               `json:"reason,omitempty"`
}

// ACHRelationshipCreateRequest is the body of
// POST /v1/accounts/{id}/ach_relationships: either the bank details, or only
// a Plaid processor_token.
type ACHRelationshipCreateRequest struct {
	AccountOwnerName  string          `json:"account_owner_name,omitempty"`
	BankAccountType   BankAccountType `json:"bank_account_type,omitempty"`
	BankAccountNumber string          `json:"bank_account_number,omitempty"`
	BankRoutingNumber string          `json:"bank_routing_number,omitempty"`
	Nickname          string          `json:"nickname,omitempty"`
	Instant           *bool           `json:"instant,omitempty"`
	ProcessorToken    string          `json:"processor_token,omitempty"`
}

// Bank is a recipient bank (wire) relationship. International fields are ""
// for ABA banks.
type Bank struct {
	ID            string          `json:"id"`
	AccountID     string          `json:"account_id"`
	Name          string          `json:"name"`
	Status        BankStatus      `json:"status"`
	Country       string          `json:"country"`
	StateProvince string          `json:"state_province"`
	PostalCode    string          `json:"postal_code"`
	City          string          `json:"city"`
	StreetAddress string          `json:"street_address"`
	AccountNumber string          `json:"account_number"`
	BankCode      string          `json:"bank_code"`
	BankCodeType  BankCodeType    `json:"bank_code_type"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	ExtraFields   json.RawMessage `json:"extra_fields,omitempty"`
	ErrorMessage  string          `json:"error_message,omitempty"`
}

// BankCreateRequest is the body of POST /v1/accounts/{id}/recipient_banks.
type BankCreateRequest struct {
	Name          string          `json:"name"`
	BankCodeType  BankCodeType    `json:"bank_code_type"`
	BankCode      string          `json:"bank_code"`
	AccountNumber string          `json:"account_number"`
	Country       string          `json:"country,omitempty"`
	StateProvince string          `json:"state_province,omitempty"`
	PostalCode    string          `json:"postal_code,omitempty"`
	City          string          `json:"city,omitempty"`
	StreetAddress string          `json:"street_address,omitempty"`
	ExtraFields   json.RawMessage `json:"extra_fields,omitempty"`
}

// Transfer is an ACH or wire money movement for an account. Amount is what
// the recipient receives after fees; RequestedAmount is what was asked for.
type Transfer struct {
	ID                    string            `json:"id"`
	RelationshipID        string            `json:"relationship_id,omitempty"`
	BankID                string            `json:"bank_id,omitempty"`
	AccountID             string            `json:"account_id"`
	Type                  TransferType      `json:"type"`
	Status                TransferStatus    `json:"status"`
	Currency              string            `json:"currency,omitempty"`
	Reason                *string           `json:"reason"`
	Amount                Decimal           `json:"amount"`
	InstantAmount         *Decimal          `json:"instant_amount,omitempty"`
	Direction             TransferDirection `json:"direction"`
	CreatedAt             time.Time         `json:"created_at"`
	UpdatedAt             *time.Time        `json:"updated_at,omitempty"`
	ExpiresAt             *time.Time        `json:"expires_at,omitempty"`
	HoldUntil             *time.Time        `json:"hold_until"`
	RequestedAmount       *Decimal          `json:"requested_amount,omitempty"`
	Fee                   *Decimal          `json:"fee,omitempty"`
	FeePaymentMethod      FeePaymentMethod  `json:"fee_payment_method,omitempty"`
	AdditionalInformation *string           `json:"additional_information,omitempty"`
	IRA                   json.RawMessage   `json:"ira,omitempty"`
}

// TransferCreateRequest is the body of POST /v1/accounts/{id}/transfers.
// Timing is deprecated and ignored by the API; it is accepted for old clients.
type TransferCreateRequest struct {
	TransferType          TransferType      `json:"transfer_type"`
	RelationshipID        string            `json:"relationship_id,omitempty"`
	BankID                string            `json:"bank_id,omitempty"`
	Amount                Decimal           `json:"amount"`
	Direction             TransferDirection `json:"direction"`
	Timing                string            `json:"timing,omitempty"`
	FeePaymentMethod      FeePaymentMethod  `json:"fee_payment_method,omitempty"`
	AdditionalInformation *string           `json:"additional_information,omitempty"`
	IRA                   json.RawMessage   `json:"ira,omitempty"`
}

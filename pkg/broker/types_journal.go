package broker

import (
	"encoding/json"
	"time"
)

// JournalStatus is the status of a journal. Open set. canceled, deleted and
// correct are final; executed can still be reversed.
type JournalStatus string

// Journal statuses.
const (
	JournalQueued          JournalStatus = "queued"
	JournalSentToClearing  JournalStatus = "sent_to_clearing"
	JournalPending         JournalStatus = "pending"
	JournalExecuted        JournalStatus = "executed"
	JournalRejected        JournalStatus = "rejected"
	JournalCanceled        JournalStatus = "canceled"
	JournalRefused         JournalStatus = "refused"
	JournalDeleted         JournalStatus = "deleted"
	JournalCorrect         JournalStatus = "correct"
	JournalActivityCreated JournalStatus = "activity_created"
)

// EntryType is JNLC (cash) or JNLS (securities).
type EntryType string

// Journal entry types.
const (
	EntryTypeCash       EntryType = "JNLC"
	EntryTypeSecurities EntryType = "JNLS"
)

// Journal moves cash (JNLC: NetAmount) or securities (JNLS: Symbol, Qty,
// Price) between a firm account and a customer account. SettleDate and
// SystemDate are null until settled.
type Journal struct {
	ID                              string          `json:"id"`
	EntryType                       EntryType       `json:"entry_type"`
	FromAccount                     string          `json:"from_account"`
	ToAccount                       string          `json:"to_account"`
	Symbol                          *string         `json:"symbol"`
	Qty                             *Decimal        `json:"qty"`
	Price                           *Decimal        `json:"price"`
	Status                          JournalStatus   `json:"status"`
	SettleDate                      *Date           `json:"settle_date"`
	SystemDate                      *Date           `json:"system_date"`
	NetAmount                       *Decimal        `json:"net_amount,omitempty"`
	Description                     string          `json:"description"`
	Currency                        string          `json:"currency,omitempty"`
	CreatedAt                       *time.Time      `json:"created_at,omitempty"`
	TransmitterName                 string          `json:"transmitter_name,omitempty"`
	TransmitterAccountNumber        string          `json:"transmitter_account_number,omitempty"`
	TransmitterAddress              string          `json:"transmitter_address,omitempty"`
	TransmitterFinancialInstitution string          `json:"transmitter_financial_institution,omitempty"`
	TransmitterTimestamp            *time.Time      `json:"transmitter_timestamp,omitempty"`
	TransmitterInfo                 json.RawMessage `json:"transmitter_info,omitempty"`
}

// BatchJournalResult is one item of the batch and reverse-batch responses.
// ErrorMessage is set (non-empty) when that entry failed; successful entries
// carry "" or omit the key, and both decode and re-encode unchanged.
type BatchJournalResult struct {
	ErrorMessage *string `json:"error_message,omitempty"`
	Journal
}

// Failed reports whether this entry carries a non-empty error_message.
func (r BatchJournalResult) Failed() bool { return r.ErrorMessage != nil && *r.ErrorMessage != "" }

// JournalCreateRequest is the body of POST /v1/journals. JNLC needs Amount;
// JNLS needs Symbol and Qty.
type JournalCreateRequest struct {
	FromAccount                     string     `json:"from_account"`
	ToAccount                       string     `json:"to_account"`
	EntryType                       EntryType  `json:"entry_type"`
	Amount                          *Decimal   `json:"amount,omitempty"`
	Symbol                          string     `json:"symbol,omitempty"`
	Qty                             *Decimal   `json:"qty,omitempty"`
	Description                     string     `json:"description,omitempty"`
	Currency                        string     `json:"currency,omitempty"`
	TransmitterName                 string     `json:"transmitter_name,omitempty"`
	TransmitterAccountNumber        string     `json:"transmitter_account_number,omitempty"`
	TransmitterAddress              string     `json:"transmitter_address,omitempty"`
	TransmitterFinancialInstitution string     `json:"transmitter_financial_institution,omitempty"`
	TransmitterTimestamp            *time.Time `json:"transmitter_timestamp,omitempty"`
}

// BatchJournalEntry is one recipient of a one-to-many batch journal.
type BatchJournalEntry struct {
	ToAccount                       string     `json:"to_account"`
	Amount                          Decimal    `json:"amount"`
	Description                     string     `json:"description,omitempty"`
	Currency                        string     `json:"currency,omitempty"`
	TransmitterName                 string     `json:"transmitter_name,omitempty"`
	TransmitterAccountNumber        string     `json:"transmitter_account_number,omitempty"`
	TransmitterAddress              string     `json:"transmitter_address,omitempty"`
	TransmitterFinancialInstitution string     `json:"transmitter_financial_institution,omitempty"`
	TransmitterTimestamp            *time.Time `json:"transmitter_timestamp,omitempty"`
}

// BatchJournalRequest is the body of POST /v1/journals/batch (JNLC only,
// one firm account to many).
type BatchJournalRequest struct {
	EntryType     EntryType           `json:"entry_type"`
	FromAccount   string              `json:"from_account"`
	Correspondent string              `json:"correspondent,omitempty"`
	Description   string              `json:"description,omitempty"`
	Entries       []BatchJournalEntry `json:"entries"`
}

// ReverseBatchJournalEntry is one sender of a many-to-one reverse batch.
type ReverseBatchJournalEntry struct {
	FromAccount string  `json:"from_account"`
	Amount      Decimal `json:"amount"`
	Description string  `json:"description,omitempty"`
}

// ReverseBatchJournalRequest is the body of POST /v1/journals/reverse_batch
// (JNLC only, many accounts to one). The API takes no Idempotency-Key here.
type ReverseBatchJournalRequest struct {
	EntryType EntryType                  `json:"entry_type"`
	ToAccount string                     `json:"to_account"`
	Entries   []ReverseBatchJournalEntry `json:"entries"`
}

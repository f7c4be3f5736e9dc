package broker

import (
	"encoding/json"
	"time"
)

// AccountStatusEvent is one event of GET /v1/events/accounts/status. Only
// the properties that changed are included; StatusFrom may be "" on the
// first event and AccountNumber "" before activation.
type AccountStatusEvent struct {
	AccountID           string          `json:"account_id"`
	AccountNumber       *string         `json:"account_number,omitempty"`
	At                  time.Time       `json:"at"`
	EventID             *int64          `json:"event_id,omitempty"`
	EventULID           string          `json:"event_ulid,omitempty"`
	StatusFrom          *AccountStatus  `json:"status_from,omitempty"`
	StatusTo            *AccountStatus  `json:"status_to,omitempty"`
	CryptoStatusFrom    *AccountStatus  `json:"crypto_status_from,omitempty"`
	CryptoStatusTo      *AccountStatus  `json:"crypto_status_to,omitempty"`
	Reason              *string         `json:"reason,omitempty"`
	KYCResults          *KYCResults     `json:"kyc_results"`
	AccountBlocked      *bool           `json:"account_blocked,omitempty"`
	TradingBlocked      *bool           `json:"trading_blocked,omitempty"`
	AdminConfigurations json.RawMessage `json:"admin_configurations,omitempty"`
	CashInterest        json.RawMessage `json:"cash_interest,omitempty"`
	Options             json.RawMessage `json:"options,omitempty"`
	FPSL                json.RawMessage `json:"fpsl,omitempty"`
}

// TransferStatusEvent is one event of the legacy
// GET /v1/events/transfers/status stream (410 for new partners).
type TransferStatusEvent struct {
	AccountID  string         `json:"account_id"`
	At         time.Time      `json:"at"`
	EventID    *int64         `json:"event_id,omitempty"`
	EventULID  string         `json:"event_ulid,omitempty"`
	StatusFrom TransferStatus `json:"status_from"`
	StatusTo   TransferStatus `json:"status_to"`
	TransferID string         `json:"transfer_id"`
}

// FundingEntityType says what a StatusFundingEvent is about.
type FundingEntityType string

// Funding entity types.
const (
	FundingEntityBankRelationship FundingEntityType = "BankRelationship"
	FundingEntityWireBank         FundingEntityType = "WireBank"
	FundingEntityTransfer         FundingEntityType = "Transfer"
	FundingEntityFundingWallet    FundingEntityType = "FundingWallet"
)

// StatusFundingEvent is one event of GET /v2/events/funding/status (ACH
// relationships, wire banks, transfers). StatusFrom is null on the first
// event of an entity.
type StatusFundingEvent struct {
	AccountID     string            `json:"account_id"`
	At            time.Time         `json:"at"`
	Correspondent string            `json:"correspondent"`
	EntityID      string            `json:"entity_id"`
	EntityType    FundingEntityType `json:"entity_type"`
	EventID       string            `json:"event_id"`
	Reason        string            `json:"reason,omitempty"`
	StatusFrom    *string           `json:"status_from"`
	StatusTo      string            `json:"status_to"`
}

// JournalStatusEvent is one event of the legacy v1 journal status stream
// GET /v1/events/journals/status. Its ids are not compatible with v2.
type JournalStatusEvent struct {
	At         time.Time     `json:"at"`
	EntryType  EntryType     `json:"entry_type"`
	EventID    *int64        `json:"event_id,omitempty"`
	EventULID  string        `json:"event_ulid,omitempty"`
	JournalID  string        `json:"journal_id"`
	StatusFrom JournalStatus `json:"status_from"`
	StatusTo   JournalStatus `json:"status_to"`
}

// JournalStatusEventV2 is one event of GET /v2/events/journals/status.
// EventID is a ULID.
type JournalStatusEventV2 struct {
	At                 time.Time     `json:"at"`
	BatchErrorMessage  string        `json:"batch_error_message,omitempty"`
	Description        string        `json:"description,omitempty"`
	EntryType          EntryType     `json:"entry_type"`
	EventID            string        `json:"event_id"`
	IdempotencyKey     string        `json:"idempotency_key,omitempty"`
	IdempotencyKeyType string        `json:"idempotency_key_type,omitempty"`
	JournalID          string        `json:"journal_id"`
	StatusFrom         JournalStatus `json:"status_from"`
	StatusTo           JournalStatus `json:"status_to"`
}

// TradeEventType is the kind of a trade update (new, fill, canceled, ...).
type TradeEventType string

// Trade update event types.
const (
	TradeEventNew             TradeEventType = "new"
	TradeEventFill            TradeEventType = "fill"
	TradeEventPartialFill     TradeEventType = "partial_fill"
	TradeEventCanceled        TradeEventType = "canceled"
	TradeEventExpired         TradeEventType = "expired"
	TradeEventDoneForDay      TradeEventType = "done_for_day"
	TradeEventReplaced        TradeEventType = "replaced"
	TradeEventRejected        TradeEventType = "rejected"
	TradeEventPendingNew      TradeEventType = "pending_new"
	TradeEventAccepted        TradeEventType = "accepted"
	TradeEventPendingCancel   TradeEventType = "pending_cancel"
	TradeEventPendingReplace  TradeEventType = "pending_replace"
	TradeEventCalculated      TradeEventType = "calculated"
	TradeEventSuspended       TradeEventType = "suspended"
	TradeEventStopped         TradeEventType = "stopped"
	TradeEventHeld            TradeEventType = "held"
	TradeEventReplaceRejected TradeEventType = "order_replace_rejected"
	TradeEventCancelRejected  TradeEventType = "order_cancel_rejected"
)

// TradeUpdateEventV2 is one event of GET /v2/events/trades. Fill events also
// carry Price, Qty, PositionQty and SettleDate.
type TradeUpdateEventV2 struct {
	AccountID           string          `json:"account_id"`
	At                  time.Time       `json:"at"`
	Event               TradeEventType  `json:"event"`
	EventID             string          `json:"event_id"`
	ExecutionID         string          `json:"execution_id,omitempty"`
	PreviousExecutionID string          `json:"previous_execution_id,omitempty"`
	Order               Order           `json:"order"`
	Timestamp           time.Time       `json:"timestamp"`
	Price               *Decimal        `json:"price,omitempty"`
	Qty                 *Decimal        `json:"qty,omitempty"`
	PositionQty         *Decimal        `json:"position_qty,omitempty"`
	PositionQtys        json.RawMessage `json:"position_qtys,omitempty"`
	SettleDate          *Date           `json:"settle_date,omitempty"`
	SwapRate            *Decimal        `json:"swap_rate,omitempty"`
	Legs                json.RawMessage `json:"legs,omitempty"`
}

package broker

import (
	"encoding/json"
	"net/http"
	"time"
)

// OrderStatus is the status of an order. Open set.
type OrderStatus string

// Order statuses.
const (
	OrderNew                OrderStatus = "new"
	OrderPartiallyFilled    OrderStatus = "partially_filled"
	OrderFilled             OrderStatus = "filled"
	OrderDoneForDay         OrderStatus = "done_for_day"
	OrderCanceled           OrderStatus = "canceled"
	OrderExpired            OrderStatus = "expired"
	OrderReplaced           OrderStatus = "replaced"
	OrderPendingCancel      OrderStatus = "pending_cancel"
	OrderPendingReplace     OrderStatus = "pending_replace"
	OrderAccepted           OrderStatus = "accepted"
	OrderPendingNew         OrderStatus = "pending_new"
	OrderAcceptedForBidding OrderStatus = "accepted_for_bidding"
	OrderStopped            OrderStatus = "stopped"
	OrderRejected           OrderStatus = "rejected"
	OrderSuspended          OrderStatus = "suspended"
	OrderCalculated         OrderStatus = "calculated"
	OrderHeld               OrderStatus = "held"
)

// OrderType is the order type.
type OrderType string

// Order types.
const (
	OrderTypeMarket       OrderType = "market"
	OrderTypeLimit        OrderType = "limit"
	OrderTypeStop         OrderType = "stop"
	OrderTypeStopLimit    OrderType = "stop_limit"
	OrderTypeTrailingStop OrderType = "trailing_stop"
)

// OrderSide is the side of an order.
type OrderSide string

// Order sides (buy and sell are the common ones).
const (
	SideBuy             OrderSide = "buy"
	SideSell            OrderSide = "sell"
	SideBuyMinus        OrderSide = "buy_minus"
	SideSellPlus        OrderSide = "sell_plus"
	SideSellShort       OrderSide = "sell_short"
	SideSellShortExempt OrderSide = "sell_short_exempt"
	SideUndisclosed     OrderSide = "undisclosed"
	SideCross           OrderSide = "cross"
	SideCrossShort      OrderSide = "cross_short"
)

// TimeInForce says how long an order stays working.
type TimeInForce string

// Time-in-force values.
const (
	TimeInForceDay TimeInForce = "day"
	TimeInForceGTC TimeInForce = "gtc"
	TimeInForceOPG TimeInForce = "opg"
	TimeInForceCLS TimeInForce = "cls"
	TimeInForceIOC TimeInForce = "ioc"
	TimeInForceFOK TimeInForce = "fok"
)

// OrderClass is simple (also ""), bracket, oco, oto or mleg.
type OrderClass string

// Order classes.
const (
	OrderClassSimple  OrderClass = "simple"
	OrderClassBracket OrderClass = "bracket"
	OrderClassOCO     OrderClass = "oco"
	OrderClassOTO     OrderClass = "oto"
	OrderClassMleg    OrderClass = "mleg"
)

// CommissionType says how Commission is applied.
type CommissionType string

// Commission types.
const (
	CommissionNotional CommissionType = "notional"
	CommissionQty      CommissionType = "qty"
	CommissionBps      CommissionType = "bps"
)

// PositionSide is long or short.
type PositionSide string

// Position sides.
const (
	PositionLong  PositionSide = "long"
	PositionShort PositionSide = "short"
)

// Order is an order placed on behalf of an account. Timestamps, prices and
// qty/notional that are not set are sent as explicit nulls, as the API does.
type Order struct {
	ID                string          `json:"id"`
	ClientOrderID     string          `json:"client_order_id"`
	CreatedAt         time.Time       `json:"created_at"`
	UpdatedAt         time.Time       `json:"updated_at"`
	SubmittedAt       time.Time       `json:"submitted_at"`
	FilledAt          *time.Time      `json:"filled_at"`
	ExpiredAt         *time.Time      `json:"expired_at"`
	CanceledAt        *time.Time      `json:"canceled_at"`
	FailedAt          *time.Time      `json:"failed_at"`
	ReplacedAt        *time.Time      `json:"replaced_at"`
	ReplacedBy        *string         `json:"replaced_by"`
	Replaces          *string         `json:"replaces"`
	AssetID           string          `json:"asset_id"`
	Symbol            string          `json:"symbol"`
	AssetClass        string          `json:"asset_class"`
	Notional          *Decimal        `json:"notional"`
	Qty               *Decimal        `json:"qty"`
	FilledQty         Decimal         `json:"filled_qty"`
	FilledAvgPrice    *Decimal        `json:"filled_avg_price"`
	OrderClass        OrderClass      `json:"order_class"`
	OrderType         OrderType       `json:"order_type"`
	Type              OrderType       `json:"type"`
	Side              OrderSide       `json:"side"`
	TimeInForce       TimeInForce     `json:"time_in_force"`
	LimitPrice        *Decimal        `json:"limit_price"`
	StopPrice         *Decimal        `json:"stop_price"`
	Status            OrderStatus     `json:"status"`
	ExtendedHours     bool            `json:"extended_hours"`
	Legs              []Order         `json:"legs"`
	TrailPercent      *Decimal        `json:"trail_percent"`
	TrailPrice        *Decimal        `json:"trail_price"`
	HWM               *Decimal        `json:"hwm"`
	Commission        *Decimal        `json:"commission,omitempty"`
	CommissionType    CommissionType  `json:"commission_type,omitempty"`
	CommissionBps     *Decimal        `json:"commission_bps,omitempty"`
	PositionIntent    string          `json:"position_intent,omitempty"`
	Subtag            *string         `json:"subtag"`
	Source            *string         `json:"source"`
	CancelRequestedAt *time.Time      `json:"cancel_requested_at"`
	ExpiresAt         *time.Time      `json:"expires_at,omitempty"`
	SwapRate          *Decimal        `json:"swap_rate,omitempty"`
	SwapFeeBps        *Decimal        `json:"swap_fee_bps,omitempty"`
	USD               json.RawMessage `json:"usd,omitempty"`
}

// TakeProfit is the take-profit leg of a bracket/oco/oto order.
type TakeProfit struct {
	LimitPrice *Decimal `json:"limit_price,omitempty"`
}

// StopLoss is the stop-loss leg of a bracket/oco/oto order.
type StopLoss struct {
	StopPrice  *Decimal `json:"stop_price,omitempty"`
	LimitPrice *Decimal `json:"limit_price,omitempty"`
}

// OrderLegRequest is one leg of a multi-leg (mleg) options order.
type OrderLegRequest struct {
	Symbol         string    `json:"symbol"`
	Side           OrderSide `json:"side,omitempty"`
	RatioQty       Decimal   `json:"ratio_qty"`
	PositionIntent string    `json:"position_intent,omitempty"`
}

// OrderCreateRequest is the body of POST /v1/trading/accounts/{id}/orders.
// Exactly one of Qty and Notional is set. ClientOrderID makes the request
// safe to replay (the API rejects a reused id).
type OrderCreateRequest struct {
	Symbol         string            `json:"symbol,omitempty"`
	Qty            *Decimal          `json:"qty,omitempty"`
	Notional       *Decimal          `json:"notional,omitempty"`
	Side           OrderSide         `json:"side,omitempty"`
	Type           OrderType         `json:"type"`
	TimeInForce    TimeInForce       `json:"time_in_force"`
	LimitPrice     *Decimal          `json:"limit_price,omitempty"`
	StopPrice      *Decimal          `json:"stop_price,omitempty"`
	TrailPrice     *Decimal          `json:"trail_price,omitempty"`
	TrailPercent   *Decimal          `json:"trail_percent,omitempty"`
	ExtendedHours  bool              `json:"extended_hours,omitempty"`
	ClientOrderID  string            `json:"client_order_id,omitempty"`
	OrderClass     OrderClass        `json:"order_class,omitempty"`
	TakeProfit     *TakeProfit       `json:"take_profit,omitempty"`
	StopLoss       *StopLoss         `json:"stop_loss,omitempty"`
	Legs           []OrderLegRequest `json:"legs,omitempty"`
	Commission     *Decimal          `json:"commission,omitempty"`
	CommissionType CommissionType    `json:"commission_type,omitempty"`
	// CommissionBps is deprecated in favour of CommissionType bps.
	CommissionBps        *Decimal        `json:"commission_bps,omitempty"`
	AdvancedInstructions json.RawMessage `json:"advanced_instructions,omitempty"`
	PositionIntent       string          `json:"position_intent,omitempty"`
	Subtag               string          `json:"subtag,omitempty"`
	Source               string          `json:"source,omitempty"`
	Instructions         string          `json:"instructions,omitempty"`
	Currency             string          `json:"currency,omitempty"`
	SwapFeeBps           *Decimal        `json:"swap_fee_bps,omitempty"`
}

// Position is an open position of an account. All numbers are decimals.
type Position struct {
	AssetID                string          `json:"asset_id"`
	Symbol                 string          `json:"symbol"`
	Exchange               string          `json:"exchange"`
	AssetClass             string          `json:"asset_class"`
	AssetMarginable        *bool           `json:"asset_marginable,omitempty"`
	AvgEntryPrice          Decimal         `json:"avg_entry_price"`
	Qty                    Decimal         `json:"qty"`
	QtyAvailable           *Decimal        `json:"qty_available,omitempty"`
	Side                   PositionSide    `json:"side"`
	MarketValue            Decimal         `json:"market_value"`
	CostBasis              Decimal         `json:"cost_basis"`
	UnrealizedPL           Decimal         `json:"unrealized_pl"`
	UnrealizedPLPC         Decimal         `json:"unrealized_plpc"`
	UnrealizedIntradayPL   Decimal         `json:"unrealized_intraday_pl"`
	UnrealizedIntradayPLPC Decimal         `json:"unrealized_intraday_plpc"`
	CurrentPrice           Decimal         `json:"current_price"`
	LastdayPrice           Decimal         `json:"lastday_price"`
	ChangeToday            Decimal         `json:"change_today"`
	SwapRate               *Decimal        `json:"swap_rate,omitempty"`
	AvgEntrySwapRate       *Decimal        `json:"avg_entry_swap_rate,omitempty"`
	USD                    json.RawMessage `json:"usd,omitempty"`
}

// CancelOrderResult is one item of the 207 body of DELETE .../orders.
type CancelOrderResult struct {
	ID     string          `json:"id"`
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body,omitempty"`
}

// Err returns nil for a 2xx item, otherwise the item's error as *APIError.
func (r CancelOrderResult) Err() error { return multiStatusErr(r.Status, r.Body) }

// ClosePositionResult is one item of the 207 body of DELETE .../positions.
// For a 2xx item Body is the liquidating Order.
type ClosePositionResult struct {
	Symbol string          `json:"symbol"`
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body,omitempty"`
}

// Err returns nil for a 2xx item, otherwise the item's error as *APIError
// (Body keeps extra keys such as available and existing_qty).
func (r ClosePositionResult) Err() error { return multiStatusErr(r.Status, r.Body) }

// Order decodes Body as the liquidating order; ok is false for error items.
func (r ClosePositionResult) Order() (o Order, ok bool, err error) {
	if r.Status < 200 || r.Status > 299 || len(r.Body) == 0 {
		return Order{}, false, nil
	}
	if err := json.Unmarshal(r.Body, &o); err != nil {
		return Order{}, false, err
	}
	return o, true, nil
}

func multiStatusErr(status int, body json.RawMessage) error {
	if status >= 200 && status <= 299 {
		return nil
	}
	return NewAPIError("", "", status, http.Header{}, body)
}

// TradeAccount is the trading (balances) view of an account:
// GET /v1/trading/accounts/{id}/account.
type TradeAccount struct {
	ID                        string          `json:"id"`
	AccountNumber             *string         `json:"account_number"`
	Status                    AccountStatus   `json:"status"`
	CryptoStatus              AccountStatus   `json:"crypto_status,omitempty"`
	Currency                  string          `json:"currency"`
	BuyingPower               Decimal         `json:"buying_power"`
	RegTBuyingPower           Decimal         `json:"regt_buying_power"`
	DaytradingBuyingPower     *Decimal        `json:"daytrading_buying_power,omitempty"`
	EffectiveBuyingPower      *Decimal        `json:"effective_buying_power,omitempty"`
	NonMarginableBuyingPower  *Decimal        `json:"non_marginable_buying_power,omitempty"`
	OptionsBuyingPower        *Decimal        `json:"options_buying_power,omitempty"`
	Cash                      Decimal         `json:"cash"`
	CashWithdrawable          *Decimal        `json:"cash_withdrawable,omitempty"`
	CashTransferable          *Decimal        `json:"cash_transferable,omitempty"`
	AccruedFees               Decimal         `json:"accrued_fees"`
	PendingTransferOut        *Decimal        `json:"pending_transfer_out,omitempty"`
	PendingTransferIn         *Decimal        `json:"pending_transfer_in,omitempty"`
	PortfolioValue            Decimal         `json:"portfolio_value"`
	PatternDayTrader          bool            `json:"pattern_day_trader"`
	TradingBlocked            bool            `json:"trading_blocked"`
	TransfersBlocked          bool            `json:"transfers_blocked"`
	AccountBlocked            bool            `json:"account_blocked"`
	CreatedAt                 time.Time       `json:"created_at"`
	TradeSuspendedByUser      bool            `json:"trade_suspended_by_user"`
	Multiplier                Decimal         `json:"multiplier"`
	ShortingEnabled           bool            `json:"shorting_enabled"`
	Equity                    Decimal         `json:"equity"`
	LastEquity                Decimal         `json:"last_equity"`
	LongMarketValue           Decimal         `json:"long_market_value"`
	ShortMarketValue          Decimal         `json:"short_market_value"`
	PositionMarketValue       *Decimal        `json:"position_market_value,omitempty"`
	InitialMargin             Decimal         `json:"initial_margin"`
	MaintenanceMargin         Decimal         `json:"maintenance_margin"`
	LastMaintenanceMargin     Decimal         `json:"last_maintenance_margin"`
	SMA                       Decimal         `json:"sma"`
	DaytradeCount             int             `json:"daytrade_count"`
	BalanceAsOf               string          `json:"balance_asof,omitempty"`
	PreviousClose             *time.Time      `json:"previous_close,omitempty"`
	LastLongMarketValue       *Decimal        `json:"last_long_market_value,omitempty"`
	LastShortMarketValue      *Decimal        `json:"last_short_market_value,omitempty"`
	LastCash                  *Decimal        `json:"last_cash,omitempty"`
	LastInitialMargin         *Decimal        `json:"last_initial_margin,omitempty"`
	LastRegTBuyingPower       *Decimal        `json:"last_regt_buying_power,omitempty"`
	LastDaytradingBuyingPower *Decimal        `json:"last_daytrading_buying_power,omitempty"`
	LastBuyingPower           *Decimal        `json:"last_buying_power,omitempty"`
	LastOptionsBuyingPower    *Decimal        `json:"last_options_buying_power,omitempty"`
	LastDaytradeCount         *int            `json:"last_daytrade_count,omitempty"`
	OptionsApprovedLevel      *int            `json:"options_approved_level,omitempty"`
	OptionsTradingLevel       *int            `json:"options_trading_level,omitempty"`
	IntradayAdjustments       *Decimal        `json:"intraday_adjustments,omitempty"`
	PendingRegTAFFees         *Decimal        `json:"pending_reg_taf_fees,omitempty"`
	Memoposts                 *Decimal        `json:"memoposts,omitempty"`
	ClearingBroker            string          `json:"clearing_broker,omitempty"`
	AdminConfigurations       json.RawMessage `json:"admin_configurations,omitempty"`
	UserConfigurations        json.RawMessage `json:"user_configurations,omitempty"`
}

package broker

// Validate checks the documented order rules: symbol and side (except mleg),
// exactly one of qty/notional, limit_price for limit/stop_limit, stop_price
// for stop/stop_limit, exactly one of trail_price/trail_percent for
// trailing_stop, extended_hours only for limit day/gtc, notional only for
// market/limit with day, client_order_id ≤ 128 characters, and the legs of
// bracket/oco/oto orders.
func (r *OrderCreateRequest) Validate() error {
	switch r.Type {
	case OrderTypeMarket, OrderTypeLimit, OrderTypeStop, OrderTypeStopLimit, OrderTypeTrailingStop:
	case "":
		if r.OrderClass != OrderClassMleg {
			return invalid("type", "required")
		}
	default:
		return invalid("type", "must be market, limit, stop, stop_limit or trailing_stop (got %q)", r.Type)
	}
	switch r.TimeInForce {
	case TimeInForceDay, TimeInForceGTC, TimeInForceOPG, TimeInForceCLS, TimeInForceIOC, TimeInForceFOK:
	case "":
		return invalid("time_in_force", "required")
	default:
		return invalid("time_in_force", "must be day, gtc, opg, cls, ioc or fok (got %q)", r.TimeInForce)
	}
	if r.OrderClass == OrderClassMleg {
		if len(r.Legs) == 0 {
			return invalid("legs", "required for mleg orders")
		}
		if len(r.Legs) > 4 {
			return invalid("legs", "at most 4 legs (got %d)", len(r.Legs))
		}
		if r.Qty == nil {
			return invalid("qty", "required for mleg orders")
		}
	} else {
		if err := required("symbol", r.Symbol); err != nil {
			return err
		}
		if err := required("side", string(r.Side)); err != nil {
			return err
		}
	}
	switch {
	case r.Qty != nil && r.Notional != nil:
		return invalid("notional", "qty and notional cannot both be set")
	case r.Qty == nil && r.Notional == nil:
		return invalid("qty", "one of qty or notional is required")
	case r.Qty != nil:
		if err := positive("qty", r.Qty); err != nil {
			return err
		}
	default:
		if err := positive("notional", r.Notional); err != nil {
			return err
		}
		if r.Type != OrderTypeMarket && r.Type != OrderTypeLimit {
			return invalid("notional", "only allowed for market and limit orders (got type %s)", r.Type)
		}
		if r.TimeInForce != TimeInForceDay {
			return invalid("notional", "requires time_in_force day (got %s)", r.TimeInForce)
		}
	}
	needLimit := r.Type == OrderTypeLimit || r.Type == OrderTypeStopLimit
	needStop := r.Type == OrderTypeStop || r.Type == OrderTypeStopLimit
	// An OCO order's prices live in its legs: the API's own example sends no
	// top-level limit_price (take_profit.limit_price is the limit leg).
	if needLimit && !(r.OrderClass == OrderClassOCO && r.LimitPrice == nil) {
		if err := positive("limit_price", r.LimitPrice); err != nil {
			if r.LimitPrice == nil {
				return invalid("limit_price", "required for %s orders", r.Type)
			}
			return err
		}
	}
	if needStop {
		if err := positive("stop_price", r.StopPrice); err != nil {
			if r.StopPrice == nil {
				return invalid("stop_price", "required for %s orders", r.Type)
			}
			return err
		}
	}
	if r.Type == OrderTypeTrailingStop {
		switch {
		case r.TrailPrice != nil && r.TrailPercent != nil:
			return invalid("trail_percent", "trail_price and trail_percent cannot both be set")
		case r.TrailPrice == nil && r.TrailPercent == nil:
			return invalid("trail_price", "one of trail_price or trail_percent is required for trailing_stop orders")
		case r.TrailPrice != nil:
			if err := positive("trail_price", r.TrailPrice); err != nil {
				return err
			}
		default:
			if err := positive("trail_percent", r.TrailPercent); err != nil {
				return err
			}
			if r.TrailPercent.Cmp(MustDecimal("100")) > 0 {
				return invalid("trail_percent", "must be at most 100 (got %s)", r.TrailPercent)
			}
		}
	} else if r.TrailPrice != nil || r.TrailPercent != nil {
		return invalid("trail_price", "only allowed for trailing_stop orders")
	}
	if r.ExtendedHours {
		if r.Type != OrderTypeLimit {
			return invalid("extended_hours", "only limit orders can be extended-hours orders (got type %s)", r.Type)
		}
		if r.TimeInForce != TimeInForceDay && r.TimeInForce != TimeInForceGTC {
			return invalid("extended_hours", "requires time_in_force day or gtc (got %s)", r.TimeInForce)
		}
	}
	if len(r.ClientOrderID) > MaxClientOrderIDLen {
		return invalid("client_order_id", "at most %d characters (got %d)", MaxClientOrderIDLen, len(r.ClientOrderID))
	}
	if r.Commission != nil && r.Commission.IsNegative() {
		return invalid("commission", "must not be negative (got %s)", r.Commission)
	}
	switch r.CommissionType {
	case "", CommissionNotional, CommissionQty, CommissionBps:
	default:
		return invalid("commission_type", "must be notional, qty or bps (got %q)", r.CommissionType)
	}
	return r.validateClass()
}

func (r *OrderCreateRequest) validateClass() error {
	tp := r.TakeProfit != nil && r.TakeProfit.LimitPrice != nil
	sl := r.StopLoss != nil && r.StopLoss.StopPrice != nil
	switch r.OrderClass {
	case "", OrderClassSimple, OrderClassMleg:
		if r.TakeProfit != nil || r.StopLoss != nil {
			return invalid("order_class", "take_profit/stop_loss need order_class bracket, oco or oto")
		}
	case OrderClassBracket:
		if !tp {
			return invalid("take_profit.limit_price", "required for bracket orders")
		}
		if !sl {
			return invalid("stop_loss.stop_price", "required for bracket orders")
		}
		if r.TimeInForce != TimeInForceDay && r.TimeInForce != TimeInForceGTC {
			return invalid("time_in_force", "bracket orders need day or gtc (got %s)", r.TimeInForce)
		}
	case OrderClassOCO:
		if r.Type != OrderTypeLimit {
			return invalid("type", "oco orders must be limit orders (got %s)", r.Type)
		}
		if !tp {
			return invalid("take_profit.limit_price", "required for oco orders")
		}
		if !sl {
			return invalid("stop_loss.stop_price", "required for oco orders")
		}
	case OrderClassOTO:
		if tp == sl {
			return invalid("take_profit", "oto orders need exactly one of take_profit or stop_loss")
		}
	default:
		return invalid("order_class", "must be simple, bracket, oco, oto or mleg (got %q)", r.OrderClass)
	}
	for _, p := range []struct {
		field string
		d     *Decimal
	}{{"take_profit.limit_price", takeProfitLimit(r.TakeProfit)}, {"stop_loss.stop_price", stopLossField(r.StopLoss, true)}, {"stop_loss.limit_price", stopLossField(r.StopLoss, false)}} {
		if p.d != nil && !p.d.IsPositive() {
			return invalid(p.field, "must be greater than 0 (got %s)", p.d)
		}
	}
	return nil
}

func takeProfitLimit(t *TakeProfit) *Decimal {
	if t == nil {
		return nil
	}
	return t.LimitPrice
}

func stopLossField(s *StopLoss, stop bool) *Decimal {
	if s == nil {
		return nil
	}
	if stop {
		return s.StopPrice
	}
	return s.LimitPrice
}

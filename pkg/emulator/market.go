package emulator

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// SetPrice moves a symbol's price in the emulator's table. It is a Go API
// for tests and embedders (the Broker API has no such endpoint): open
// orders in the symbol are re-evaluated at once, so trailing stops follow
// the price and limit, stop and trailing-stop orders (and the legs of
// bracket, oco and oto orders) fill when the new price allows.
func (e *Emulator) SetPrice(symbol, price string) error {
	p, err := decimal.NewFromString(price)
	if err != nil || !p.IsPositive() {
		return fmt.Errorf("emulator: set price of %s: %q is not a positive decimal", symbol, price)
	}
	as, ok := e.prices.lookup(symbol)
	if !ok {
		return fmt.Errorf("emulator: set price: unknown symbol %q", symbol)
	}
	next := *as
	next.Price = p
	e.prices.add(&next)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runDueLocked()
	now := e.now()
	for _, o := range e.st.Orders {
		if o.Symbol == next.Symbol && e.working(o) {
			e.tryFillLocked(o, now)
		}
	}
	e.runDueLocked()
	return nil
}

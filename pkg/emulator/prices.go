package emulator

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// asset is one tradable symbol with the fixed price orders fill at.
type asset struct {
	ID        string
	Symbol    string
	Exchange  string
	Class     string
	Price     decimal.Decimal
	LastClose decimal.Decimal
}

// builtinPrices is the deterministic price table: symbol, exchange, price,
// previous close. The values are plausible, not live.
var builtinPrices = []struct{ sym, exch, price, last string }{
	{"AAPL", "NASDAQ", "189.50", "187.25"}, {"MSFT", "NASDAQ", "415.20", "411.80"},
	{"GOOGL", "NASDAQ", "142.30", "141.10"}, {"GOOG", "NASDAQ", "143.60", "142.40"},
	{"AMZN", "NASDAQ", "178.25", "176.90"}, {"META", "NASDAQ", "485.10", "480.00"},
	{"NVDA", "NASDAQ", "880.40", "872.15"}, {"TSLA", "NASDAQ", "175.80", "179.20"},
	{"NFLX", "NASDAQ", "610.00", "605.50"}, {"AMD", "NASDAQ", "165.40", "162.80"},
	{"INTC", "NASDAQ", "43.10", "43.55"}, {"CSCO", "NASDAQ", "49.20", "49.05"},
	{"ADBE", "NASDAQ", "520.75", "518.30"}, {"PYPL", "NASDAQ", "63.40", "62.90"},
	{"QQQ", "NASDAQ", "440.60", "437.90"}, {"SQQQ", "NASDAQ", "11.25", "11.40"},
	{"SPY", "ARCA", "512.30", "509.80"}, {"VOO", "ARCA", "470.90", "468.60"},
	{"VTI", "ARCA", "253.10", "251.95"}, {"IWM", "ARCA", "205.70", "204.10"},
	{"GLD", "ARCA", "198.40", "197.70"}, {"TLT", "NASDAQ", "93.80", "94.20"},
	{"JPM", "NYSE", "195.60", "194.10"}, {"BAC", "NYSE", "36.20", "35.95"},
	{"WMT", "NYSE", "60.15", "59.90"}, {"KO", "NYSE", "60.40", "60.10"},
	{"PEP", "NASDAQ", "168.70", "169.20"}, {"DIS", "NYSE", "112.30", "110.85"},
	{"V", "NYSE", "280.50", "279.10"}, {"MA", "NYSE", "470.20", "468.40"},
	{"JNJ", "NYSE", "157.90", "158.30"}, {"PG", "NYSE", "161.40", "160.90"},
	{"XOM", "NYSE", "113.50", "112.70"}, {"CVX", "NYSE", "154.20", "153.60"},
	{"T", "NYSE", "17.05", "17.10"}, {"VZ", "NYSE", "40.30", "40.15"},
	{"NKE", "NYSE", "94.10", "95.30"}, {"BA", "NYSE", "182.60", "185.10"},
	{"UBER", "NYSE", "75.40", "74.20"}, {"F", "NYSE", "12.70", "12.55"},
	{"BRK.B", "NYSE", "408.90", "406.20"}, {"COST", "NASDAQ", "725.30", "720.80"},
}

// assetNamespace makes asset ids stable across runs.
var assetNamespace = uuid.MustParse("6f1d3b8e-3c1a-4f4e-9a57-1c8b2f0d9e21")

func newAsset(sym, exch string, price, last decimal.Decimal) *asset {
	return &asset{
		ID: uuid.NewSHA1(assetNamespace, []byte(sym)).String(), Symbol: sym, Exchange: exch,
		Class: "us_equity", Price: price, LastClose: last,
	}
}

// priceTable maps symbols and asset ids to assets.
type priceTable struct {
	mu       sync.RWMutex
	bySymbol map[string]*asset
	byID     map[string]*asset
}

func (p *priceTable) add(a *asset) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bySymbol[a.Symbol] = a
	p.byID[a.ID] = a
}

// lookup finds an asset by symbol (case-insensitive) or asset id.
func (p *priceTable) lookup(symOrID string) (*asset, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if a, ok := p.bySymbol[strings.ToUpper(symOrID)]; ok {
		return a, true
	}
	a, ok := p.byID[strings.ToLower(symOrID)]
	return a, ok
}

// heldAsset returns the asset for a symbol the emulator already holds or
// trades. A symbol missing from the table (a data file saved with another
// --prices) is priced at its average cost so it can still be shown and sold.
func (p *priceTable) heldAsset(sym string, pos *position) *asset {
	if a, ok := p.lookup(sym); ok {
		return a
	}
	price := decimal.NewFromInt(1)
	if pos != nil && pos.Qty.IsPositive() {
		price = pos.CostBase.DivRound(pos.Qty, 9)
	}
	a := newAsset(strings.ToUpper(sym), "NASDAQ", price, price)
	p.add(a)
	return a
}

// loadPrices returns the built-in table, overridden and extended by file
// when it is not empty.
func loadPrices(file string) (*priceTable, error) {
	p := &priceTable{bySymbol: map[string]*asset{}, byID: map[string]*asset{}}
	for _, b := range builtinPrices {
		p.add(newAsset(b.sym, b.exch, decimal.RequireFromString(b.price), decimal.RequireFromString(b.last)))
	}
	if file == "" {
		return p, nil
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read price file: %w", err)
	}
	rows, err := parsePriceFile(file, raw)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		sym := strings.ToUpper(strings.TrimSpace(r.Symbol))
		price, err := decimal.NewFromString(strings.TrimSpace(string(r.Price)))
		if err != nil || !price.IsPositive() || sym == "" {
			return nil, fmt.Errorf("price file %s: %s: want a symbol and a positive price, got %q", file, r.where, r.Price)
		}
		exch := r.Exchange
		if exch == "" {
			exch = "NASDAQ"
			if old, ok := p.bySymbol[sym]; ok {
				exch = old.Exchange
			}
		}
		p.add(newAsset(sym, exch, price, price))
	}
	return p, nil
}

type priceRow struct {
	Symbol   string      `json:"symbol"`
	Price    json.Number `json:"price"`
	Exchange string      `json:"exchange"`
	where    string
}

// parsePriceFile reads either JSON ({"AAPL": "190.1"} or
// [{"symbol":"AAPL","price":"190.1","exchange":"NASDAQ"}]) or CSV with the
// columns symbol,price[,exchange] and an optional header line.
func parsePriceFile(name string, raw []byte) ([]priceRow, error) {
	trimmed := bytes.TrimSpace(raw)
	if strings.EqualFold(filepath.Ext(name), ".json") || bytes.HasPrefix(trimmed, []byte("{")) || bytes.HasPrefix(trimmed, []byte("[")) {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if bytes.HasPrefix(trimmed, []byte("{")) {
			var m map[string]json.Number
			if err := dec.Decode(&m); err != nil {
				return nil, fmt.Errorf("price file %s: %w", name, err)
			}
			rows := make([]priceRow, 0, len(m))
			for k, v := range m {
				rows = append(rows, priceRow{Symbol: k, Price: v, where: "key " + k})
			}
			return rows, nil
		}
		var rows []priceRow
		if err := dec.Decode(&rows); err != nil {
			return nil, fmt.Errorf("price file %s: %w", name, err)
		}
		for i := range rows {
			rows[i].where = fmt.Sprintf("item %d", i)
		}
		return rows, nil
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var rows []priceRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("price file %s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) < 2 {
			return nil, fmt.Errorf("price file %s:%d: want symbol,price[,exchange]", name, line)
		}
		if len(rows) == 0 && strings.EqualFold(rec[0], "symbol") {
			continue
		}
		row := priceRow{Symbol: rec[0], Price: json.Number(rec[1]), where: fmt.Sprintf("line %d", line)}
		if len(rec) > 2 {
			row.Exchange = rec[2]
		}
		rows = append(rows, row)
	}
	return rows, nil
}

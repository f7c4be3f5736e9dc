package manifest

import (
	"fmt"
	"strconv"
	"strings"
)

// Address names a resource instance or data source:
//
//	accounts.alice                       a resource
//	accounts.customer["jane@example.com"] an instance of a for_each resource
//	orders.buy[0]                        an instance of a count resource
//	data.accounts.firm                   a data source
type Address struct {
	Data  bool
	Kind  Kind
	Name  string
	Key   string
	Keyed bool
}

// String returns the canonical form. Keys that are non-negative integers
// print bare (orders.buy[0]); others print as quoted strings.
func (a Address) String() string {
	var b strings.Builder
	b.Grow(len(a.Name) + len(a.Kind) + len(a.Key) + 8)
	if a.Data {
		b.WriteString("data.")
	}
	b.WriteString(string(a.Kind))
	b.WriteByte('.')
	b.WriteString(a.Name)
	if a.Keyed {
		b.WriteString(formatKey(a.Key))
	}
	return b.String()
}

// Block returns the address of the block an instance belongs to (the
// address without its key).
func (a Address) Block() Address {
	a.Key, a.Keyed = "", false
	return a
}

// WithKey returns a with an instance key.
func (a Address) WithKey(key string) Address {
	a.Key, a.Keyed = key, true
	return a
}

func formatKey(k string) string {
	if isIndex(k) {
		return "[" + k + "]"
	}
	return "[" + strconv.Quote(k) + "]"
}

func isIndex(k string) bool {
	if k == "" || len(k) > 9 || (len(k) > 1 && k[0] == '0') {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return false
		}
	}
	return true
}

// ParseAddress parses the canonical form produced by String. A bracketed
// key may be a quoted string or a non-negative integer.
func ParseAddress(s string) (Address, error) {
	var a Address
	rest := s
	if strings.HasPrefix(rest, "data.") {
		a.Data = true
		rest = rest[len("data."):]
	}
	dot := strings.IndexByte(rest, '.')
	if dot < 0 {
		return Address{}, fmt.Errorf("invalid address %q: want kind.name, e.g. accounts.alice", s)
	}
	a.Kind = Kind(rest[:dot])
	if !a.Kind.Valid() {
		return Address{}, fmt.Errorf("invalid address %q: unknown kind %q", s, a.Kind)
	}
	rest = rest[dot+1:]
	end := strings.IndexByte(rest, '[')
	if end < 0 {
		end = len(rest)
	}
	a.Name = rest[:end]
	if !validName(a.Name) {
		return Address{}, fmt.Errorf("invalid address %q: invalid name %q", s, a.Name)
	}
	rest = rest[end:]
	if rest == "" {
		return a, nil
	}
	if !strings.HasSuffix(rest, "]") || len(rest) < 3 {
		return Address{}, fmt.Errorf("invalid address %q: want name[key]", s)
	}
	inner := rest[1 : len(rest)-1]
	if inner[0] == '"' {
		k, err := strconv.Unquote(inner)
		if err != nil {
			return Address{}, fmt.Errorf("invalid address %q: bad key: %v", s, err)
		}
		return a.WithKey(k), nil
	}
	if !isIndex(inner) {
		return Address{}, fmt.Errorf("invalid address %q: key must be a quoted string or an index", s)
	}
	return a.WithKey(inner), nil
}

// validName reports whether s is a valid resource, variable or output name:
// a letter or underscore followed by letters, digits, '_' or '-'.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
		case i > 0 && (c == '-' || (c >= '0' && c <= '9')):
		default:
			return false
		}
	}
	return true
}

package manifest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/brokerctl/brokerctl/schemas"
)

// fieldTree is the shape of an object the API returns, generated from the
// OpenAPI response schemas into schemas/fields.json.
type fieldTree struct {
	Type   string                `json:"type"` // object, array, scalar, any
	Fields map[string]*fieldTree `json:"fields"`
	Items  *fieldTree            `json:"items"`
}

// kindInfo is what the manifest package knows about one kind.
type kindInfo struct {
	Request       string     `json:"request"`
	Response      string     `json:"response"`
	AccountScoped bool       `json:"account_scoped"`
	Statuses      []string   `json:"statuses"`
	Fields        *fieldTree `json:"fields"`
}

var (
	kindsOnce sync.Once
	kindTable map[Kind]*kindInfo
)

func kindInfoOf(k Kind) *kindInfo {
	kindsOnce.Do(func() {
		var f struct {
			Kinds map[Kind]*kindInfo `json:"kinds"`
		}
		if err := json.Unmarshal(schemas.Fields, &f); err != nil {
			panic(fmt.Sprintf("manifest: embedded schemas/fields.json is invalid: %v", err))
		}
		kindTable = f.Kinds
	})
	return kindTable[k]
}

// Statuses returns the statuses a resource of kind k can have (the spec's
// enum plus values the API is documented to return), for wait_for.
func Statuses(k Kind) []string {
	if ki := kindInfoOf(k); ki != nil {
		return slices.Clone(ki.Statuses)
	}
	return nil
}

// ResponseFields returns the top-level field names of the object the API
// returns for kind k, sorted.
func ResponseFields(k Kind) []string {
	ki := kindInfoOf(k)
	if ki == nil || ki.Fields == nil {
		return nil
	}
	return sortedFieldNames(ki.Fields)
}

func sortedFieldNames(t *fieldTree) []string {
	out := make([]string, 0, len(t.Fields))
	for k := range t.Fields {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// checkFieldPath checks a reference's field path against kind k's response
// shape. It returns a summary and a suggestion on error.
func checkFieldPath(k Kind, addr string, path []string) (summary, suggestion string, ok bool) {
	ki := kindInfoOf(k)
	if ki == nil {
		return fmt.Sprintf("unknown kind %q", k), "", false
	}
	if len(path) == 0 {
		return fmt.Sprintf("reference to %s must name a field, e.g. ${%s.id}", addr, addr), "", false
	}
	t := ki.Fields
	for i, p := range path {
		where := addr + formatPath(path[:i])
		switch t.Type {
		case "any":
			return "", "", true
		case "object":
			next, found := t.Fields[p]
			if !found {
				if isIndex(p) {
					return fmt.Sprintf("type error: %s is an object, not a list; [%s] cannot index it", where, p), "", false
				}
				names := sortedFieldNames(t)
				return fmt.Sprintf("type error: %s (%s) has no field %q; fields: %s", where, kindNoun(k, i), p, strings.Join(names, ", ")), suggest(p, names), false
			}
			t = next
		case "array":
			if !isIndex(p) {
				return fmt.Sprintf("type error: %s is a list; index it with [0], not .%s", where, p), "", false
			}
			t = t.Items
		default:
			return fmt.Sprintf("type error: %s is a scalar value; it has no field %q", where, p), "", false
		}
	}
	return "", "", true
}

// fieldType returns the shape ("object", "array", "scalar" or "any") of the
// field a valid reference path names on kind k; "" when it is unknown.
func fieldType(k Kind, path []string) string {
	ki := kindInfoOf(k)
	if ki == nil || ki.Fields == nil {
		return ""
	}
	t := ki.Fields
	for _, p := range path {
		switch t.Type {
		case "object":
			t = t.Fields[p]
		case "array":
			t = t.Items
		default:
			return t.Type
		}
		if t == nil {
			return ""
		}
	}
	return t.Type
}

func kindNoun(k Kind, depth int) string {
	if depth > 0 {
		return "object"
	}
	if ki := kindInfoOf(k); ki != nil {
		return ki.Response + " object"
	}
	return string(k)
}

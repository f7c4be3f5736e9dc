package manifest

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// conditionalFormat is a field whose format depends on a sibling field's
// value. The schema's if/then checks values written in the manifest; a
// value substituted from a CSV cell, a variable or env passes the schema's
// template branch and is checked here, against the sibling as written.
type conditionalFormat struct {
	kind    Kind
	field   []string // below the resource
	sibling string   // in the same object as the field
	when    []string // sibling values the rule applies to
	format  string   // one of ownFormats
}

var conditionalFormats = []conditionalFormat{
	{KindAccounts, []string{"identity", "tax_id"}, "tax_id_type", []string{"USA_SSN", "USA_ITIN"}, "us-tin"},
	{KindBankRelationships, []string{"bank_code"}, "bank_code_type", []string{"ABA"}, "aba-routing"},
	{KindBankRelationships, []string{"bank_code"}, "bank_code_type", []string{"BIC"}, "bic"},
}

type sibKey struct {
	b       *block
	sibling string
}

type sibVal struct {
	value string
	ok    bool
}

// hasConditional reports whether a conditionalFormat rule names the field
// at ptr of a block of a.
func hasConditional(a Address, ptr []string) bool {
	if a.Data {
		return false
	}
	for _, r := range conditionalFormats {
		if r.kind == a.Kind && slices.Equal(r.field, ptr) {
			return true
		}
	}
	return false
}

// checkConditional checks a substituted string value v of the field of c
// against the rules whose sibling, as written in block b, selects them.
func (l *loader) checkConditional(b *block, c *cnode, v string, where func() (Pos, string)) {
	for _, r := range conditionalFormats {
		if r.kind != b.addr.Kind || !slices.Equal(r.field, c.ptr) {
			continue
		}
		key := sibKey{b, r.sibling}
		sv, cached := l.siblings[key]
		if !cached {
			sv.value, sv.ok = siblingLiteral(b, r.field, r.sibling)
			if l.siblings == nil {
				l.siblings = map[sibKey]sibVal{}
			}
			l.siblings[key] = sv
		}
		sib, ok := sv.value, sv.ok
		if !ok || !slices.Contains(r.when, sib) {
			continue
		}
		for _, f := range ownFormats {
			if f.Name != r.format {
				continue
			}
			err := f.Validate(v)
			fe, isOwn := err.(*formatError)
			if !isOwn {
				continue
			}
			what := "the value"
			if !sensitiveField(c.ptr) {
				what = `"` + v + `"`
			}
			pos, path := where()
			l.diags = append(l.diags, Diagnostic{Pos: pos, Path: path, Summary: what + " " + fe.msg})
		}
	}
}

// siblingLiteral returns the literal string written for the sibling of the
// field at ptr in block b, when it is one (not a template).
func siblingLiteral(b *block, ptr []string, sibling string) (string, bool) {
	if len(ptr) == 0 {
		return "", false
	}
	var obj *yaml.Node
	if len(ptr) == 1 {
		obj = &yaml.Node{Kind: yaml.MappingNode}
		for i, k := range b.fields {
			obj.Content = append(obj.Content, k, b.vals[i])
		}
	} else {
		_, top := b.field(ptr[0])
		if top == nil {
			return "", false
		}
		_, obj = nodeAt(top, ptr[1:len(ptr)-1])
		if len(ptr) > 2 {
			if k, _ := nodeAt(top, ptr[1:len(ptr)-1]); k == nil || resolveAlias(k).Value != ptr[len(ptr)-2] {
				return "", false
			}
		}
	}
	obj = resolveAlias(obj)
	if obj == nil || obj.Kind != yaml.MappingNode {
		return "", false
	}
	for i := 0; i+1 < len(obj.Content); i += 2 {
		if resolveAlias(obj.Content[i]).Value != sibling {
			continue
		}
		v := resolveAlias(obj.Content[i+1])
		if v.Kind != yaml.ScalarNode || strings.Contains(v.Value, "${") {
			return "", false
		}
		return v.Value, true
	}
	return "", false
}

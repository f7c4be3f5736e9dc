package manifest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Template is a string value that may hold ${...} expressions. After Load,
// the templates in a Config hold only literal text and references to
// resources or data sources: variables, env, each and count are already
// substituted.
type Template struct {
	// Raw is the template source in canonical form.
	Raw   string
	Pos   Pos
	parts []part
	lit   any // the value of a non-string constant (isLit)
	isLit bool
	// quoted: the source was a quoted YAML scalar, whose text starts one
	// column after Pos (for the column of each expression).
	quoted bool
}

// Reference is a reference to a field of a resource or data source, e.g.
// ${accounts.alice.id} is {Addr: accounts.alice, Path: [id]}. Numeric path
// elements index arrays.
type Reference struct {
	Addr Address
	Path []string
}

// String returns the reference in ${...} form.
func (r Reference) String() string { return "${" + r.Addr.String() + formatPath(r.Path) + "}" }

type part struct {
	text string // literal text when e == nil
	e    *expr
	off  int // byte offset of the expression's "${" in Raw
}

type exprKind int

const (
	exprRef exprKind = iota
	exprVar
	exprEnv
	exprEach
	exprCount
)

// expr is one ${...} expression.
type expr struct {
	kind exprKind
	// exprRef
	addr    Address
	keyExpr *expr // dynamic instance key, e.g. each.key
	// exprRef: field path; exprEach: path after each (key | value ...)
	path []string
	// exprVar, exprEnv
	name       string
	def        string
	hasDefault bool
}

// dynamic reports whether the expression depends on each or count.
func (e *expr) dynamic() bool {
	return e.kind == exprEach || e.kind == exprCount || (e.keyExpr != nil && e.keyExpr.dynamic())
}

// templateError is a syntax error at a byte offset of the source string.
type templateError struct {
	off int
	msg string
}

func (e *templateError) Error() string { return e.msg }

// ParseTemplate parses s. "$${" is a literal "${".
func ParseTemplate(s string, pos Pos) (*Template, error) {
	t := &Template{Raw: s, Pos: pos}
	var lit strings.Builder
	i := 0
	for i < len(s) {
		j := strings.IndexByte(s[i:], '$')
		if j < 0 {
			lit.WriteString(s[i:])
			break
		}
		lit.WriteString(s[i : i+j])
		i += j
		if strings.HasPrefix(s[i:], "$${") {
			lit.WriteString("${")
			i += 3
			continue
		}
		if !strings.HasPrefix(s[i:], "${") {
			lit.WriteByte('$')
			i++
			continue
		}
		end := exprEnd(s, i+2)
		if end < 0 {
			return nil, &templateError{i, "unterminated ${ (missing })"}
		}
		e, err := parseExpr(s[i+2 : end])
		if err != nil {
			if te, ok := err.(*templateError); ok {
				te.off += i + 2
				return nil, te
			}
			return nil, err
		}
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{text: lit.String()})
			lit.Reset()
		}
		t.parts = append(t.parts, part{e: e, off: i})
		i = end + 1
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, part{text: lit.String()})
	}
	return t, nil
}

// posOfPart returns where expression part p starts: the template's
// position moved along its line, or the template's position when the
// expression is on a later line of a multi-line string.
func (t *Template) posOfPart(p part) Pos {
	pos := t.Pos
	if pos.Line == 0 || p.off <= 0 || p.off > len(t.Raw) || strings.Contains(t.Raw[:p.off], "\n") {
		return pos
	}
	pos.Col += utf8.RuneCountInString(t.Raw[:p.off])
	if t.quoted {
		pos.Col++
	}
	return pos
}

// exprEnd finds the } closing an expression that starts at i, skipping
// quoted keys.
func exprEnd(s string, i int) int {
	inQuote := false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '}':
			return i
		}
	}
	return -1
}

// Refs returns the references in the template, in order.
func (t *Template) Refs() []Reference {
	var out []Reference
	for _, p := range t.parts {
		if p.e != nil && p.e.kind == exprRef {
			out = append(out, Reference{Addr: p.e.addr, Path: p.e.path})
		}
	}
	return out
}

// String returns the canonical source.
func (t *Template) String() string { return t.Raw }

// seg is one element of a dotted/bracketed path inside ${...}.
type seg struct {
	name   string // identifier or literal key
	quoted bool   // ["..."]
	index  bool   // [123]
	key    *expr  // [each.key]
	brack  bool
}

func parseExpr(src string) (*expr, error) {
	if strings.HasPrefix(src, "env.") {
		rest := src[4:]
		n := 0
		for n < len(rest) && (isIdentChar(rest[n]) && rest[n] != '-') {
			n++
		}
		if n == 0 {
			return nil, &templateError{4, "${env.NAME}: missing variable name"}
		}
		e := &expr{kind: exprEnv, name: rest[:n]}
		rest = rest[n:]
		switch {
		case rest == "":
		case strings.HasPrefix(rest, ":-"):
			e.def, e.hasDefault = rest[2:], true
		default:
			return nil, &templateError{4 + n, fmt.Sprintf("${env.%s}: unexpected %q (write ${env.%s:-default} for a default)", e.name, rest, e.name)}
		}
		return e, nil
	}
	segs, err := parsePath(src, 0)
	if err != nil {
		return nil, err
	}
	return segsToExpr(src, segs)
}

func segsToExpr(src string, segs []seg) (*expr, error) {
	if len(segs) == 0 || segs[0].brack {
		return nil, &templateError{0, fmt.Sprintf("invalid expression ${%s}", src)}
	}
	root := segs[0].name
	fieldPath := func(ss []seg) ([]string, error) {
		out := make([]string, 0, len(ss))
		for _, s := range ss {
			if s.key != nil {
				return nil, &templateError{0, fmt.Sprintf("${%s}: only an instance key may be an expression", src)}
			}
			out = append(out, s.name)
		}
		return out, nil
	}
	switch root {
	case "var":
		if len(segs) != 2 || segs[1].brack {
			return nil, &templateError{0, fmt.Sprintf("${%s}: want ${var.NAME}", src)}
		}
		return &expr{kind: exprVar, name: segs[1].name}, nil
	case "count":
		if len(segs) != 2 || segs[1].name != "index" || segs[1].brack {
			return nil, &templateError{0, fmt.Sprintf("${%s}: want ${count.index}", src)}
		}
		return &expr{kind: exprCount}, nil
	case "each":
		if len(segs) < 2 || segs[1].brack || (segs[1].name != "key" && segs[1].name != "value") || (segs[1].name == "key" && len(segs) > 2) {
			return nil, &templateError{0, fmt.Sprintf("${%s}: want ${each.key}, ${each.value} or ${each.value.FIELD}", src)}
		}
		p, err := fieldPath(segs[1:])
		if err != nil {
			return nil, err
		}
		return &expr{kind: exprEach, path: p}, nil
	}
	e := &expr{kind: exprRef}
	rest := segs
	if root == "data" {
		e.addr.Data = true
		rest = rest[1:]
	}
	if len(rest) < 2 || rest[0].brack || rest[1].brack {
		return nil, &templateError{0, fmt.Sprintf("${%s}: a reference needs kind.name, e.g. ${accounts.alice.id}", src)}
	}
	e.addr.Kind = Kind(rest[0].name)
	e.addr.Name = rest[1].name
	rest = rest[2:]
	if len(rest) > 0 && rest[0].brack {
		switch {
		case rest[0].key != nil:
			e.keyExpr = rest[0].key
		default:
			e.addr = e.addr.WithKey(rest[0].name)
		}
		rest = rest[1:]
	}
	p, err := fieldPath(rest)
	if err != nil {
		return nil, err
	}
	e.path = p
	return e, nil
}

func isIdentChar(c byte) bool {
	return c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// parsePath parses ident(.ident | [key])* starting at off.
func parsePath(src string, off int) ([]seg, error) {
	var segs []seg
	i := 0
	readIdent := func() (string, error) {
		j := i
		for i < len(src) && isIdentChar(src[i]) {
			i++
		}
		if j == i {
			if i < len(src) {
				return "", &templateError{off + i, fmt.Sprintf("unexpected %q in ${%s}", src[i], src)}
			}
			return "", &templateError{off + i, fmt.Sprintf("incomplete expression ${%s}", src)}
		}
		return src[j:i], nil
	}
	name, err := readIdent()
	if err != nil {
		return nil, err
	}
	segs = append(segs, seg{name: name})
	for i < len(src) {
		switch src[i] {
		case '.':
			i++
			name, err := readIdent()
			if err != nil {
				return nil, err
			}
			segs = append(segs, seg{name: name})
		case '[':
			i++
			end := strings.IndexByte(src[i:], ']')
			if src[i:] != "" && src[i] == '"' {
				end = exprEndQuote(src, i)
			}
			if end < 0 {
				return nil, &templateError{off + i, fmt.Sprintf("missing ] in ${%s}", src)}
			}
			inner := src[i : i+end]
			s := seg{brack: true}
			switch {
			case strings.HasPrefix(inner, `"`):
				k, err := strconv.Unquote(inner)
				if err != nil {
					return nil, &templateError{off + i, fmt.Sprintf("bad quoted key %s in ${%s}", inner, src)}
				}
				s.name, s.quoted = k, true
			case inner != "" && inner[0] >= '0' && inner[0] <= '9':
				if !isIndex(inner) {
					return nil, &templateError{off + i, fmt.Sprintf("bad index [%s] in ${%s}", inner, src)}
				}
				s.name, s.index = inner, true
			default:
				sub, err := parsePath(inner, off+i)
				if err != nil {
					return nil, err
				}
				k, err := segsToExpr(inner, sub)
				if err != nil {
					return nil, err
				}
				if k.kind == exprRef || k.kind == exprEnv {
					return nil, &templateError{off + i, fmt.Sprintf("key [%s] in ${%s}: use a quoted key, an index, each.key, each.value.FIELD, count.index or var.NAME", inner, src)}
				}
				s.key = k
			}
			segs = append(segs, s)
			i += end + 1
		default:
			return nil, &templateError{off + i, fmt.Sprintf("unexpected %q in ${%s}", src[i], src)}
		}
	}
	return segs, nil
}

// exprEndQuote returns the offset from i of the ] after a quoted key at i.
func exprEndQuote(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			if j+1 < len(s) && s[j+1] == ']' {
				return j + 1 - i
			}
			return -1
		}
	}
	return -1
}

// formatPath renders a field path: .name for identifiers, [0] for indexes,
// ["x y"] for other keys.
func formatPath(p []string) string {
	var b strings.Builder
	for _, s := range p {
		switch {
		case isIndex(s):
			b.WriteString("[" + s + "]")
		case validName(s):
			b.WriteString("." + s)
		default:
			b.WriteString("[" + strconv.Quote(s) + "]")
		}
	}
	return b.String()
}

// escapeLiteral makes text safe to embed in a template.
func escapeLiteral(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return strings.ReplaceAll(s, "${", "$${")
}

package manifest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// compileMode says what a value may contain.
type compileMode int

const (
	compileStatic compileMode = iota // variables and env only
	compileBody                      // also references, each and count
)

// posRef is a reference found in a value, with where it was written.
type posRef struct {
	Reference
	pos   Pos
	field string // top-level body field ("account_id" for the account ref)
}

// cnode is a compiled value. A static node (dyn false) has its final value
// in val, shared by every instance; a dynamic node depends on each or count
// and is evaluated per instance.
type cnode struct {
	pos  Pos
	path string   // diagnostic path
	ptr  []string // path below the resource, for leaf schema checks
	val  any
	refs []posRef
	dyn  bool
	tmpl *Template
	keys []string
	kids []*cnode
	list bool
	lc   *leafCheck // how checkValue checks this field, once looked up
}

// instCtx is the for_each/count instance being evaluated.
type instCtx struct {
	b  *block
	in *instance
}

// compile converts a YAML value, parsing templates and evaluating every
// part that does not depend on each or count.
func (l *loader) compile(file string, n *yaml.Node, path string, ptr []string, mode compileMode) *cnode {
	return l.compileDepth(file, n, path, ptr, mode, 0)
}

func (l *loader) compileDepth(file string, n *yaml.Node, path string, ptr []string, mode compileMode, depth int) *cnode {
	n = resolveAlias(n)
	c := &cnode{pos: posOf(file, n), path: path, ptr: ptr}
	if n == nil || depth > 100 {
		return c
	}
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		var keys []string
		var vals []*yaml.Node
		if n.Kind == yaml.MappingNode {
			ks, vs := l.mapEntries(file, n, path)
			for _, k := range ks {
				keys = append(keys, k.Value)
			}
			vals = vs
		} else {
			vals = n.Content
			c.list = true
			for i := range vals {
				keys = append(keys, strconv.Itoa(i))
			}
		}
		c.keys = keys
		c.kids = make([]*cnode, len(vals))
		for i, v := range vals {
			kp := append(slices.Clone(ptr), keys[i])
			c.kids[i] = l.compileDepth(file, v, joinPath(path, keys[i]), kp, mode, depth+1)
			c.dyn = c.dyn || c.kids[i].dyn
		}
		if !c.dyn {
			c.val, c.refs = assemble(c, func(k *cnode) (any, []posRef) { return k.val, k.refs })
			c.kids = nil
		}
		return c
	}
	if n.Tag != "!!str" || !strings.Contains(n.Value, "$") {
		c.val = scalarValue(n)
		return c
	}
	t, err := ParseTemplate(n.Value, c.pos)
	if err != nil {
		p := c.pos
		if te, ok := err.(*templateError); ok && !strings.Contains(n.Value[:min(te.off, len(n.Value))], "\n") {
			p.Col += te.off
			if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
				p.Col++
			}
		}
		l.errorf(p, path, "%v", err)
		c.val = escapeLiteral(n.Value)
		return c
	}
	t.quoted = n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	if mode == compileStatic {
		for _, p := range t.parts {
			if p.e != nil && (p.e.kind == exprRef || p.e.dynamic()) {
				c.dyn = true // reported by the caller
				return c
			}
		}
	}
	for _, p := range t.parts {
		if p.e != nil && p.e.dynamic() {
			c.dyn, c.tmpl = true, t
			return c
		}
	}
	var refs []posRef
	var ok bool
	c.val, refs, ok = l.evalTemplate(t, path, nil)
	if ok && len(refs) == 0 && mode == compileBody {
		c.val = l.checkStatic(c, t, c.val)
	}
	c.refs = withField(refs, ptr)
	return c
}

// assemble builds a map or list from a node's children.
func assemble(c *cnode, get func(*cnode) (any, []posRef)) (any, []posRef) {
	var refs []posRef
	if c.list {
		out := make([]any, len(c.kids))
		for i, k := range c.kids {
			v, r := get(k)
			out[i] = v
			refs = append(refs, r...)
		}
		return out, refs
	}
	out := make(map[string]any, len(c.kids))
	for i, k := range c.kids {
		v, r := get(k)
		out[c.keys[i]] = v
		refs = append(refs, r...)
	}
	return out, refs
}

// instantiate evaluates a compiled node for one instance. Static subtrees
// are shared, not copied.
func (l *loader) instantiate(c *cnode, ctx *instCtx) (any, []posRef) {
	if !c.dyn {
		return c.val, c.refs
	}
	if c.tmpl != nil {
		v, refs, ok := l.evalTemplate(c.tmpl, c.path, ctx)
		if ok && len(refs) == 0 && ctx != nil {
			v = l.checkLeaf(c, v, ctx)
		}
		return v, withField(refs, c.ptr)
	}
	return assemble(c, func(k *cnode) (any, []posRef) { return l.instantiate(k, ctx) })
}

// evalTemplate evaluates variables, env, each and count in t. References
// stay as ${...} in the result (and are returned); a template that is one
// expression yields the value with its type.
func (l *loader) evalTemplate(t *Template, path string, ctx *instCtx) (any, []posRef, bool) {
	var refs []posRef
	ok := true
	if len(t.parts) == 1 && t.parts[0].e != nil {
		e := t.parts[0].e
		if e.kind == exprRef {
			r, good := l.resolveRef(e, t.Pos, path, ctx)
			if !good {
				return nil, nil, false
			}
			refs = append(refs, r)
			return r.String(), refs, true
		}
		v, good := l.evalValue(e, t.Pos, path, ctx)
		if s, isStr := v.(string); isStr {
			v = escapeLiteral(s)
		}
		return v, nil, good
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.e == nil {
			b.WriteString(escapeLiteral(p.text))
			continue
		}
		pp := t.posOfPart(p)
		if p.e.kind == exprRef {
			r, good := l.resolveRef(p.e, pp, path, ctx)
			if !good {
				ok = false
				continue
			}
			if ft := fieldType(r.Addr.Kind, r.Path); ft == "object" || ft == "array" {
				l.errorf(pp, path, "type error: cannot insert %s (%s) into a string: name one of its fields", r.Reference, map[string]string{"object": "an object", "array": "a list"}[ft])
				ok = false
				continue
			}
			refs = append(refs, r)
			b.WriteString(r.String())
			continue
		}
		v, good := l.evalValue(p.e, pp, path, ctx)
		if !good {
			ok = false
			continue
		}
		s, isScalar := interpolate(v)
		if !isScalar {
			l.errorf(pp, path, "cannot insert %s into a string", valueKindAt(v, exprPath(p.e)))
			ok = false
			continue
		}
		b.WriteString(escapeLiteral(s))
	}
	return b.String(), refs, ok
}

// interpolate formats a scalar for insertion into a string.
func interpolate(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case json.Number:
		return string(x), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// evalValue evaluates a var, env, each or count expression.
func (l *loader) evalValue(e *expr, pos Pos, path string, ctx *instCtx) (any, bool) {
	switch e.kind {
	case exprVar:
		vr, found := l.vars[e.name]
		if !found {
			l.diags = append(l.diags, Diagnostic{Pos: pos, Path: path, Summary: fmt.Sprintf("reference to undeclared variable var.%s", e.name),
				Suggestion: prefixed("var.", suggest(e.name, l.varNames))})
			return nil, false
		}
		return vr.value, vr.set
	case exprEnv:
		v, set := l.opts.Getenv(e.name)
		if e.hasDefault && (!set || v == "") {
			return e.def, true
		}
		if !set {
			l.errorf(pos, path, "environment variable %s is not set (write ${env.%s:-default} to give a default)", e.name, e.name)
			return nil, false
		}
		return v, true
	case exprCount:
		if ctx == nil || !ctx.b.isCount {
			l.errorf(pos, path, "count.index is only available in a resource with count")
			return nil, false
		}
		return json.Number(ctx.in.key), true
	case exprEach:
		if ctx == nil || !ctx.b.multi || ctx.b.isCount {
			l.errorf(pos, path, "each.%s is only available in a resource with for_each", strings.Join(e.path, "."))
			return nil, false
		}
		if e.path[0] == "key" {
			return ctx.in.key, true
		}
		v := ctx.in.value
		for i, f := range e.path[1:] {
			switch x := v.(type) {
			case map[string]any:
				next, found := x[f]
				if !found {
					names := sortedKeys(x)
					where := "each.value" + formatPath(e.path[1:i+1])
					l.diags = append(l.diags, Diagnostic{Pos: pos, Path: path,
						Summary:    fmt.Sprintf("%s has no field %q (fields: %s)", where, f, strings.Join(names, ", ")),
						Suggestion: suggest(f, names)})
					return nil, false
				}
				v = next
			case []any:
				idx, err := strconv.Atoi(f)
				if err != nil || idx < 0 || idx >= len(x) {
					l.errorf(pos, path, "each.value%s: index %s out of range", formatPath(e.path[1:i+1]), f)
					return nil, false
				}
				v = x[idx]
			default:
				l.errorf(pos, path, "each.value%s is %s; it has no field %q", formatPath(e.path[1:i+1]), valueKindAt(v, e.path[1:i+1]), f)
				return nil, false
			}
		}
		return v, true
	}
	return nil, false
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// resolveRef fixes a reference's instance key and checks the target.
func (l *loader) resolveRef(e *expr, pos Pos, path string, ctx *instCtx) (posRef, bool) {
	addr := e.addr
	if e.keyExpr != nil {
		v, ok := l.evalValue(e.keyExpr, pos, path, ctx)
		if !ok {
			return posRef{}, false
		}
		k, isScalar := scalarString(v)
		if !isScalar {
			l.errorf(pos, path, "an instance key must be a string or number, got %s", valueKind(v))
			return posRef{}, false
		}
		addr = addr.WithKey(k)
	}
	r := posRef{Reference: Reference{Addr: addr, Path: e.path}, pos: pos}
	if !l.checkRef(r.Reference, pos, path, true) {
		return posRef{}, false
	}
	return r, true
}

// checkRef reports a reference to something that does not exist: an
// unknown kind, resource, instance key or field.
func (l *loader) checkRef(r Reference, pos Pos, path string, needField bool) bool {
	a := r.Addr
	fail := func(sugg, format string, args ...any) bool {
		l.diags = append(l.diags, Diagnostic{Pos: pos, Path: path, Summary: fmt.Sprintf(format, args...), Suggestion: sugg})
		return false
	}
	prefix := ""
	if a.Data {
		prefix = "data."
	}
	if !a.Kind.Valid() {
		kinds := make([]string, len(Kinds))
		for i, k := range Kinds {
			kinds[i] = string(k)
		}
		roots := append(slices.Clone(kinds), "var", "env", "each", "count", "data")
		if a.Data {
			roots = kinds
		}
		return fail(prefixed(prefix, suggest(string(a.Kind), roots)), "unknown resource kind %q in reference %s%s.%s", a.Kind, prefix, a.Kind, a.Name)
	}
	b := l.blocks[a.Block().String()]
	if b == nil {
		names := l.names[a.Kind]
		if a.Data {
			names = l.dataNames[a.Kind]
		}
		s := suggest(a.Name, names)
		if s != "" {
			s = prefix + string(a.Kind) + "." + s
		}
		what := "resource"
		if a.Data {
			what = "data source"
		}
		return fail(s, "reference to undeclared %s %s", what, a.Block())
	}
	switch {
	case b.multi && !a.Keyed:
		how := `[each.key] or ["KEY"]`
		if b.isCount {
			how = "[count.index] or [0]"
		}
		return fail("", "%s has %s: reference one instance, e.g. %s%s", a, map[bool]string{true: "count", false: "for_each"}[b.isCount], a, how)
	case !b.multi && a.Keyed:
		return fail(a.Block().String(), "%s has no for_each or count: it has no instance %s", a.Block(), formatKey(a.Key))
	case b.multi && a.Keyed:
		if _, ok := b.keyIdx[a.Key]; !ok {
			cands := b.keyList
			if len(cands) > 10000 {
				cands = cands[:10000]
			}
			s := suggest(a.Key, cands)
			if s != "" {
				s = a.WithKey(s).String()
			}
			return fail(s, "%s has no instance %s", a.Block(), formatKey(a.Key))
		}
	}
	if !needField {
		return true
	}
	if a.Kind == KindBatchJournals && len(r.Path) > 0 {
		// Known issue (docs/manifest.md): apply records a batch as one
		// object without entries, so such a reference would fail at apply.
		return fail("", "references to batch journal fields (%s%s) are not supported yet: apply cannot render them; order after the batch with depends_on: [%s] instead", a, formatPath(r.Path), a)
	}
	ck := string(a.Kind) + formatPath(r.Path)
	fc, cached := l.fieldOK[ck]
	if !cached {
		fc.summary, fc.suggestion, fc.ok = checkFieldPath(a.Kind, a.String(), r.Path)
		if len(r.Path) > 0 {
			l.fieldOK[ck] = fc
		}
	}
	if !fc.ok {
		// The cached summary names the address it was first found on.
		summary, sugg, _ := checkFieldPath(a.Kind, a.String(), r.Path)
		return fail(sugg, "%s", summary)
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// exprPath is what names the value of a var or each expression: the
// variable's name or each.value's field path.
func exprPath(e *expr) []string {
	if e.kind == exprVar {
		return []string{e.name}
	}
	return e.path
}

package manifest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/brokerctl/brokerctl/pkg/dag"
)

// buildGraph adds every resource to the dependency graph and reports each
// cycle with its full path.
func (l *loader) buildGraph(cfg *Config) {
	g := dag.New()
	for _, r := range cfg.Resources {
		g.AddVertex(r.Addr.String())
	}
	for _, r := range cfg.Resources {
		from := r.Addr.String()
		for _, d := range r.DependsOn {
			to := d.String()
			if g.HasVertex(to) {
				g.Connect(from, to)
			}
		}
	}
	for _, c := range g.Cycles() {
		pos := Pos{}
		if r, ok := cfg.byAddr[c[0]]; ok {
			pos = r.Pos
		}
		l.diags = append(l.diags, Diagnostic{Pos: pos, Path: c[0], Summary: "dependency cycle: " + strings.Join(c, " -> ")})
	}
	cfg.Graph = g
}

// buildOutputs resolves the outputs section.
func (l *loader) buildOutputs(cfg *Config) {
	slices.SortFunc(l.outputs, func(a, b outputDecl) int { return strings.Compare(a.name, b.name) })
	seen := map[string]Pos{}
	for _, o := range l.outputs {
		path := "outputs." + o.name
		if first, dup := seen[o.name]; dup {
			l.errorf(o.pos, path, "output %q is declared twice (first at %s)", o.name, posString(first))
			continue
		}
		seen[o.name] = o.pos
		out := Output{Name: o.name, Pos: o.pos}
		keys, vals := l.mapEntries(o.file, o.node, path)
		var valueNode *yaml.Node
		for i, k := range keys {
			switch k.Value {
			case "value":
				valueNode = vals[i]
			case "sensitive":
				out.Sensitive, _ = nodeValue(vals[i]).(bool)
			case "description":
				out.Description, _ = nodeValue(vals[i]).(string)
			}
		}
		if valueNode == nil {
			continue // the schema reports it
		}
		c := l.compile(o.file, valueNode, path+".value", nil, compileBody)
		if c.dyn {
			l.errorf(c.pos, path+".value", "each and count are not available in outputs")
			continue
		}
		if s, ok := c.val.(string); ok {
			t, err := ParseTemplate(s, c.pos)
			if err == nil {
				out.Value = t
			}
		} else {
			out.Value = &Template{Pos: c.pos, Raw: fmt.Sprint(c.val), lit: c.val, isLit: true}
		}
		cfg.Outputs = append(cfg.Outputs, out)
	}
}

var leafCache sync.Map // kind + pointer path -> *leafCheck

// leafCheck is how a body field's values are checked.
type leafCheck struct {
	sch       *jsonschema.Schema // nil when unconstrained
	anyString bool               // sch accepts every string
	// wantBool, wantNumber: the field takes a boolean or a number, not a
	// string, so a whole-string each.value "true" or "12" is converted.
	wantBool, wantNumber bool
	// cond: a conditionalFormat rule applies to the field (checkConditional).
	cond bool
	// fast checks a string when the schema is a string of one of ownFormats
	// and nothing else: a CSV cell is then checked without the validator's
	// allocations (nil otherwise).
	fast func(string) error
	// required: the field is required in its object (or is an item of a
	// required list), so an empty substituted string is refused as the
	// API refuses it.
	required bool
}

// ownFormatOnly returns the check of a raw schema that is {"type":
// "string", "format": F} with F one of ownFormats, plus annotations.
func ownFormatOnly(m map[string]any) func(string) error {
	if branches, ok := m["anyOf"].([]any); ok && len(m) == 1 && len(branches) == 2 {
		// {anyOf: [schema, template]}: checkValue never sees a template.
		if t, _ := branches[1].(map[string]any); t["$ref"] != "#/$defs/template" {
			return nil
		}
		m, _ = branches[0].(map[string]any)
	}
	f, _ := m["format"].(string)
	if m["type"] != "string" {
		return nil
	}
	for k := range m {
		switch k {
		case "type", "format", "description", "title", "deprecated", "examples", "x-brokerctl-sensitive":
		default:
			return nil
		}
	}
	for _, of := range ownFormats {
		if of.Name == f {
			return func(s string) error { return of.Validate(s) }
		}
	}
	return nil
}

// plainStringSchema reports whether a raw schema is {"type": "string"}
// with annotations only (no format, pattern, enum or length).
func plainStringSchema(m map[string]any) bool {
	if m == nil || m["type"] != "string" {
		return false
	}
	for k := range m {
		switch k {
		case "type", "description", "title", "deprecated", "examples", "x-brokerctl-sensitive":
		default:
			return false
		}
	}
	return true
}

// checkLeaf validates a value that came from each or count (a CSV cell,
// say) against the schema of the field it lands in, and reports the error
// at the cell when the value is exactly ${each.value.FIELD}, with the
// instance's address. It returns the value to use (see checkValue).
func (l *loader) checkLeaf(c *cnode, v any, ctx *instCtx) any {
	if len(c.ptr) == 0 || ctx.b.addr.Data {
		return v
	}
	// Where to report is worked out only on error: building the instance
	// address for each of 100,000s of valid cells would double the time.
	where := func() (Pos, string) {
		pos := c.pos
		if len(c.tmpl.parts) == 1 && c.tmpl.parts[0].e != nil && c.tmpl.parts[0].e.kind == exprEach {
			if p, ok := ctx.in.posOfEach(ctx.b, c.tmpl.parts[0].e.path); ok {
				pos = p
			}
		}
		path := c.path
		if base := ctx.b.addr.String(); ctx.b.multi && strings.HasPrefix(path, base) {
			path = ctx.b.addr.WithKey(ctx.in.key).String() + path[len(base):]
		}
		return pos, path
	}
	return l.checkValue(ctx.b, c, c.tmpl, v, where)
}

// checkStatic validates a value substituted from variables or env (no
// each, count or reference) in a body field of the block being built,
// reported at the template.
func (l *loader) checkStatic(c *cnode, t *Template, v any) any {
	if l.cur == nil || len(c.ptr) == 0 {
		return v
	}
	return l.checkValue(l.cur, c, t, v, func() (Pos, string) { return c.pos, c.path })
}

// checkValue validates a substituted value v of template t against the
// schema of the body field at ptr of kind k: type, enum, pattern, format
// (decimal, > 0, date...), and adds a diagnostic for each problem at the
// position and path where() gives.
//
// A CSV cell or a --var is always a string: when the field takes a boolean
// or a number and not a string, a whole-string template of "true"/"false"
// or a number is converted, so disclosures can come from a CSV. It returns
// the value to use.
func (l *loader) checkValue(b *block, c *cnode, t *Template, v any, where func() (Pos, string)) any {
	if s, ok := v.(string); ok && strings.Contains(s, "${") {
		return v // a reference to another resource: known only at apply
	}
	base := blockSchema(b.addr)
	ptr := c.ptr
	lc := c.lc
	if lc == nil {
		key := base + "\x00" + normalizedPtr(ptr)
		if cached, ok := leafCache.Load(key); ok {
			lc = cached.(*leafCheck)
		} else {
			lc = &leafCheck{}
			if sp := leafPointer(base, ptr); sp != "" {
				lc.sch, _ = subschema(sp)
				raw := rawSchemaAt(SchemaURL + "#" + sp)
				lc.anyString = plainStringSchema(raw)
				lc.wantBool, lc.wantNumber = scalarWants(raw)
			}
			lc.cond = hasConditional(b.addr, ptr)
			lc.fast = ownFormatOnly(rawSchemaAt(SchemaURL + "#" + leafPointer(base, ptr)))
			lc.anyString = lc.anyString && !lc.cond
			lc.required = fieldRequired(base, ptr)
			leafCache.Store(key, lc)
		}
		c.lc = lc // a block's instances share the node: look it up once
	}
	if s, isStr := v.(string); isStr && lc.required && strings.TrimSpace(s) == "" {
		pos, path := where()
		l.diags = append(l.diags, Diagnostic{Pos: pos, Path: path, Summary: "must not be empty (required)"})
		return v
	}
	if lc.sch == nil {
		return v
	}
	if s, isStr := v.(string); isStr {
		if lc.anyString {
			return v // every string is valid: skip the validator's allocations
		}

		if len(t.parts) == 1 && t.parts[0].e != nil {
			switch {
			case lc.wantBool && strings.EqualFold(s, "true"):
				v = true
			case lc.wantBool && strings.EqualFold(s, "false"):
				v = false
			case lc.wantNumber && isJSONNumber(s):
				v = json.Number(s)
			}
		}
	}
	var err error
	if s, isStr := v.(string); !isStr || lc.fast == nil || lc.fast(s) != nil {
		err = lc.sch.Validate(v) // the validator words the error
	}
	if err == nil {
		if s, isStr := v.(string); isStr && lc.cond {
			l.checkConditional(b, c, s, where)
		}
		return v
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return v
	}
	pos, path := where()
	for _, leaf := range schemaLeaves(ve) {
		summary, sugg := schemaMessage(leaf, v, ptr)
		l.diags = append(l.diags, Diagnostic{Pos: pos, Path: path, Summary: summary, Suggestion: sugg})
	}
	return v
}

// scalarWants reports whether a raw field schema takes a boolean or a
// number, and not a string.
func scalarWants(m map[string]any) (wantBool, wantNumber bool) {
	var types []string
	add := func(m map[string]any) {
		switch t := m["type"].(type) {
		case string:
			types = append(types, t)
		case []any:
			for _, x := range t {
				if s, ok := x.(string); ok {
					types = append(types, s)
				}
			}
		}
	}
	add(m)
	if branches, ok := m["anyOf"].([]any); ok { // the value or a ${...} template
		for _, br := range branches {
			if b, ok := br.(map[string]any); ok && b["$ref"] != "#/$defs/template" {
				add(b)
			}
		}
	}
	if slices.Contains(types, "string") {
		return false, false
	}
	return slices.Contains(types, "boolean"), slices.Contains(types, "number") || slices.Contains(types, "integer")
}

// normalizedPtr replaces list indexes so entries.0.x and entries.1.x share
// one schema.
func normalizedPtr(p []string) string {
	out := make([]string, len(p))
	for i, s := range p {
		if isIndex(s) {
			s = "#"
		}
		out[i] = s
	}
	return strings.Join(out, "/")
}

// blockSchema is the JSON pointer of the schema of a resource or data
// source block.
func blockSchema(a Address) string {
	if a.Data {
		return "/properties/data/properties/" + string(a.Kind) + "/additionalProperties"
	}
	return "/$defs/resource." + string(a.Kind)
}

// leafPointer finds the JSON pointer of the schema of a field at path
// below the block schema at base.
func leafPointer(base string, path []string) string {
	ptr := base
	cur := rawSchemaAt(SchemaURL + "#" + ptr)
	for _, p := range path {
		if cur == nil {
			return ""
		}
		// Follow $ref and the non-template anyOf branch, tracking the pointer.
		for i := 0; i < 20; i++ {
			if ref, ok := cur["$ref"].(string); ok {
				ptr = strings.TrimPrefix(ref, "#")
				cur = rawSchemaAt(SchemaURL + ref)
				continue
			}
			if branches, ok := cur["anyOf"].([]any); ok && cur["properties"] == nil && cur["items"] == nil {
				moved := false
				for j, br := range branches {
					m, _ := br.(map[string]any)
					if ref, _ := m["$ref"].(string); ref == "#/$defs/template" {
						continue
					}
					ptr = fmt.Sprintf("%s/anyOf/%d", ptr, j)
					cur, moved = m, true
					break
				}
				if moved {
					continue
				}
			}
			break
		}
		if props, ok := cur["properties"].(map[string]any); ok {
			next, found := props[p].(map[string]any)
			if !found {
				return ""
			}
			ptr += "/properties/" + strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1")
			cur = next
			continue
		}
		if items, ok := cur["items"].(map[string]any); ok && isIndex(p) {
			ptr += "/items"
			cur = items
			continue
		}
		return ""
	}
	return ptr
}

// fieldRequired reports whether the body field at ptr below the block
// schema at base is required by its object's schema; an item of a list is
// required when the list is.
func fieldRequired(base string, ptr []string) bool {
	if len(ptr) == 0 {
		return false
	}
	last, parent := ptr[len(ptr)-1], ptr[:len(ptr)-1]
	if isIndex(last) {
		return fieldRequired(base, parent)
	}
	pp := leafPointer(base, parent)
	if pp == "" {
		return false
	}
	obj := schemaObject(rawSchemaAt(SchemaURL + "#" + pp))
	req, _ := obj["required"].([]any)
	for _, r := range req {
		if r == last {
			return true
		}
	}
	return false
}

package manifest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// metaArgs are the resource keys that are not part of the request body.
var metaArgs = map[string]bool{"depends_on": true, "wait_for": true, "for_each": true, "count": true, "lifecycle": true}

// needRule is a readiness requirement the API implies: a dependent's field
// referencing a resource of kind Target needs it in one of Statuses.
type needRule struct {
	field    func(string) bool
	target   Kind
	statuses []string
}

func fieldIs(names ...string) func(string) bool {
	return func(f string) bool { return slices.Contains(names, f) }
}

var impliedNeeds = map[Kind][]needRule{
	KindTransfers: {
		{fieldIs("relationship_id"), KindACHRelationships, []string{"APPROVED"}},
		{fieldIs("bank_id"), KindBankRelationships, []string{"APPROVED"}},
	},
	KindJournals: {{fieldIs("from_account", "to_account"), KindAccounts, []string{"ACTIVE"}}},
	KindBatchJournals: {{func(f string) bool {
		return f == "from_account" || (strings.HasPrefix(f, "entries.") && strings.HasSuffix(f, ".to_account"))
	}, KindAccounts, []string{"ACTIVE"}}},
	KindOrders: {{fieldIs("account_id"), KindAccounts, []string{"ACTIVE"}}},
}

func kindIndex(k Kind) int { return slices.Index(Kinds, k) }

// build expands every block into resources.
func (l *loader) build(cfg *Config) {
	slices.SortStableFunc(l.blockList, func(a, b *block) int {
		if a.addr.Data != b.addr.Data {
			if a.addr.Data {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(kindIndex(a.addr.Kind), kindIndex(b.addr.Kind)), cmp.Compare(a.addr.Name, b.addr.Name))
	})
	for _, b := range l.blockList {
		if b.bad {
			continue
		}
		l.buildBlock(cfg, b)
	}
	// Implied waits: a resource that a dependent needs in some status waits
	// for it even without wait_for.
	needed := map[string][]string{}
	for _, r := range cfg.Resources {
		for _, n := range r.Needs {
			k := n.Addr.String()
			for _, s := range n.Statuses {
				if !slices.Contains(needed[k], s) {
					needed[k] = append(needed[k], s)
				}
			}
		}
	}
	for _, r := range cfg.Resources {
		if st, ok := needed[r.Addr.String()]; ok && r.Wait == nil && !r.IsData() {
			r.Wait = &Wait{Statuses: st, Timeout: DefaultWaitTimeout, Implied: true, Pos: r.Pos}
		}
	}
}

// withField records which body field a reference was written in.
func withField(refs []posRef, ptr []string) []posRef {
	if len(refs) == 0 {
		return refs
	}
	f := strings.Join(ptr, ".")
	out := make([]posRef, len(refs))
	for i, r := range refs {
		r.field = f
		out[i] = r
	}
	return out
}

type dependsExpr struct {
	e    *expr
	pos  Pos
	path string // e.g. journals.j.depends_on[1]
}

func (l *loader) buildBlock(cfg *Config, b *block) {
	base := b.addr.String()
	kind := b.addr.Kind
	body := &cnode{pos: b.pos, path: base}
	var accNode *cnode
	var lookupID, lookupEmail *cnode
	var deps []dependsExpr
	var wait *Wait
	var lc Lifecycle
	var importNode *cnode
	l.cur = b
	defer func() { l.cur = nil }()
	for i, k := range b.fields {
		name, v := k.Value, b.vals[i]
		path := joinPath(base, name)
		switch {
		case b.addr.Data:
			c := l.compile(b.file, v, path, []string{name}, compileBody)
			switch name {
			case "id":
				lookupID = c
			case "email":
				lookupEmail = c
			case "account_id":
				accNode = c
			}
		case name == "account_id" && kind.AccountScoped():
			accNode = l.compile(b.file, v, path, []string{name}, compileBody)
		case name == "depends_on":
			deps = l.parseDependsOn(b.file, v, path)
		case name == "wait_for":
			wait = l.parseWait(b.file, kind, v, path)
		case name == "lifecycle":
			lc, importNode = l.parseLifecycle(b, v, path)
		case metaArgs[name]:
		default:
			c := l.compile(b.file, v, path, []string{name}, compileBody)
			body.keys = append(body.keys, name)
			body.kids = append(body.kids, c)
			body.dyn = body.dyn || c.dyn
		}
	}
	if !body.dyn {
		body.val, body.refs = assemble(body, func(k *cnode) (any, []posRef) { return k.val, k.refs })
	}
	if b.addr.Data && lookupID == nil && lookupEmail == nil {
		return // the schema reports the missing id
	}
	for i := range b.insts {
		in := &b.insts[i]
		ctx := &instCtx{b: b, in: in}
		r := &Resource{Addr: b.addr, Pos: b.pos, Lifecycle: lc}
		if b.multi {
			r.Addr = b.addr.WithKey(in.key)
			r.Pos = in.pos
		}
		var refs []posRef
		bv, brefs := l.instantiate(body, ctx)
		r.Body, _ = bv.(map[string]any)
		refs = append(refs, brefs...)
		if accNode != nil {
			r.AccountRef, refs = l.templateOf(accNode, ctx, refs)
		}
		if b.addr.Data {
			r.Body = nil
			r.Lookup = &Lookup{}
			if lookupID != nil {
				r.Lookup.ID, refs = l.templateOf(lookupID, ctx, refs)
			}
			if lookupEmail != nil {
				r.Lookup.Email, refs = l.templateOf(lookupEmail, ctx, refs)
			}
		}
		if importNode != nil {
			v, irefs := l.instantiate(importNode, ctx)
			s, _ := v.(string)
			if len(irefs) > 0 {
				l.errorf(importNode.pos, importNode.path, "import must be a known id: it cannot reference other resources")
			}
			r.Lifecycle.ImportID = unescapeValue(s).(string)
		}
		if wait != nil {
			w := *wait
			r.Wait = &w
		}
		var addrs []Address
		for _, ref := range refs {
			addrs = append(addrs, ref.Addr)
		}
		for _, d := range deps {
			addrs = append(addrs, l.dependsTargets(d, ctx)...)
		}
		r.DependsOn = dedupeAddrs(addrs, r.Addr)
		r.Needs = needsOf(kind, refs)
		if lc.IgnoreChanges != nil {
			r.ignorePaths = make([][]string, len(lc.IgnoreChanges))
			for j, p := range lc.IgnoreChanges {
				r.ignorePaths[j] = strings.Split(p, ".")
			}
		}
		cfg.Resources = append(cfg.Resources, r)
		cfg.byAddr[r.Addr.String()] = r
	}
}

// templateOf instantiates a node that must be a string (an id) and returns
// it as a Template.
func (l *loader) templateOf(c *cnode, ctx *instCtx, refs []posRef) (*Template, []posRef) {
	v, r := l.instantiate(c, ctx)
	refs = append(refs, withField(r, c.ptr)...)
	s, ok := v.(string)
	if !ok {
		if v != nil {
			l.errorf(c.pos, c.path, "must be a string id, got %s", valueKind(v))
		}
		return nil, refs
	}
	t, err := ParseTemplate(s, c.pos)
	if err != nil {
		return nil, refs
	}
	return t, refs
}

func needsOf(kind Kind, refs []posRef) []Need {
	rules := impliedNeeds[kind]
	if len(rules) == 0 {
		return nil
	}
	var out []Need
	for _, ref := range refs {
		if ref.Addr.Data {
			continue
		}
		for _, rule := range rules {
			if rule.target == ref.Addr.Kind && rule.field(ref.field) &&
				!slices.ContainsFunc(out, func(n Need) bool { return n.Addr == ref.Addr }) {
				out = append(out, Need{Addr: ref.Addr, Statuses: rule.statuses})
			}
		}
	}
	slices.SortFunc(out, func(a, b Need) int { return cmp.Compare(a.Addr.String(), b.Addr.String()) })
	return out
}

func dedupeAddrs(addrs []Address, self Address) []Address {
	if len(addrs) == 0 {
		return nil
	}
	slices.SortFunc(addrs, func(a, b Address) int { return cmp.Compare(a.String(), b.String()) })
	return slices.Compact(addrs)
}

func (l *loader) parseDependsOn(file string, n *yaml.Node, path string) []dependsExpr {
	n = resolveAlias(n)
	if n.Kind != yaml.SequenceNode {
		return nil // the schema reports it
	}
	var out []dependsExpr
	for i, item := range n.Content {
		item = resolveAlias(item)
		if item.Kind != yaml.ScalarNode {
			continue
		}
		s := strings.TrimSpace(item.Value)
		if strings.HasPrefix(s, "${") && strings.HasSuffix(s, "}") {
			s = s[2 : len(s)-1]
		}
		p := joinPath(path, fmt.Sprint(i))
		e, err := parseExpr(s)
		if err != nil || e.kind != exprRef {
			l.errorf(posOf(file, item), p, "depends_on entries are addresses such as accounts.alice or accounts.customer[each.key], got %q", item.Value)
			continue
		}
		if len(e.path) > 0 {
			l.errorf(posOf(file, item), p, "depends_on names a resource, not a field: write %s", strings.TrimSuffix(s, formatPath(e.path)))
			continue
		}
		out = append(out, dependsExpr{e: e, pos: posOf(file, item), path: p})
	}
	return out
}

// dependsTargets resolves one depends_on entry; naming a whole for_each or
// count resource depends on all its instances.
func (l *loader) dependsTargets(d dependsExpr, ctx *instCtx) []Address {
	e := d.e
	if e.keyExpr == nil && !e.addr.Keyed {
		if b := l.blocks[e.addr.String()]; b != nil && b.multi {
			out := make([]Address, len(b.insts))
			for i, in := range b.insts {
				out[i] = e.addr.WithKey(in.key)
			}
			return out
		}
	}
	r, ok := l.resolveRefNoField(e, d.pos, d.path, ctx)
	if !ok {
		return nil
	}
	return []Address{r}
}

func (l *loader) resolveRefNoField(e *expr, pos Pos, path string, ctx *instCtx) (Address, bool) {
	addr := e.addr
	if e.keyExpr != nil {
		v, ok := l.evalValue(e.keyExpr, pos, path, ctx)
		if !ok {
			return Address{}, false
		}
		k, _ := scalarString(v)
		addr = addr.WithKey(k)
	}
	if !l.checkRef(Reference{Addr: addr}, pos, path, false) {
		return Address{}, false
	}
	return addr, true
}

// parseWait reads wait_for: STATUS, [STATUS...], or {status: ..., timeout: 10m}.
func (l *loader) parseWait(file string, kind Kind, n *yaml.Node, path string) *Wait {
	n = resolveAlias(n)
	w := &Wait{Timeout: DefaultWaitTimeout, Pos: posOf(file, n)}
	statusNode := n
	if n.Kind == yaml.MappingNode {
		statusNode = nil
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch n.Content[i].Value {
			case "status":
				statusNode = resolveAlias(n.Content[i+1])
			case "timeout":
				tn := resolveAlias(n.Content[i+1])
				v, ok := l.staticValue(file, tn, path+".timeout")
				s, isStr := v.(string)
				if !ok || !isStr {
					break
				}
				d, err := time.ParseDuration(s)
				if err != nil || d <= 0 {
					l.errorf(posOf(file, tn), path+".timeout", "invalid timeout %q: want a duration such as 30s, 10m or 1h", s)
					break
				}
				w.Timeout = d
			}
		}
	}
	if statusNode == nil {
		return nil
	}
	items := []*yaml.Node{statusNode}
	if statusNode.Kind == yaml.SequenceNode {
		items = statusNode.Content
	}
	valid := Statuses(kind)
	for _, it := range items {
		v, ok := l.staticValue(file, it, path)
		s, isStr := v.(string)
		if !ok || !isStr {
			continue
		}
		if !slices.Contains(valid, s) {
			if strings.Contains(it.Value, "$") { // a variable: the schema could not check it
				l.diags = append(l.diags, Diagnostic{Pos: posOf(file, it), Path: path,
					Summary: fmt.Sprintf("%q is not a %s status", s, kind), Suggestion: suggest(s, valid)})
			}
			continue
		}
		w.Statuses = append(w.Statuses, s)
	}
	if len(w.Statuses) == 0 {
		return nil
	}
	return w
}

func (l *loader) parseLifecycle(b *block, n *yaml.Node, path string) (Lifecycle, *cnode) {
	var lc Lifecycle
	var imp *cnode
	keys, vals := l.mapEntries(b.file, n, path)
	for i, k := range keys {
		v := resolveAlias(vals[i])
		switch k.Value {
		case "protect":
			lc.Protect, _ = nodeValue(v).(bool)
		case "retain_on_destroy":
			lc.RetainOnDestroy, _ = nodeValue(v).(bool)
		case "ignore_changes":
			if v.Kind != yaml.SequenceNode {
				continue
			}
			lc.IgnoreChanges = []string{}
			for _, it := range v.Content {
				it = resolveAlias(it)
				if it.Kind == yaml.ScalarNode {
					l.checkIgnorePath(b, it)
					lc.IgnoreChanges = append(lc.IgnoreChanges, it.Value)
				}
			}
		case "import":
			imp = l.compile(b.file, v, joinPath(path, "import"), nil, compileBody)
		}
	}
	return lc, imp
}

// checkIgnorePath checks that an ignore_changes path names a body field.
func (l *loader) checkIgnorePath(b *block, it *yaml.Node) {
	parts := strings.Split(it.Value, ".")
	cur := rawSchemaAt(SchemaURL + "#/$defs/resource." + string(b.addr.Kind))
	for _, p := range parts {
		cur = schemaObject(cur)
		if cur == nil {
			return
		}
		if items, ok := cur["items"].(map[string]any); ok && isIndex(p) {
			cur = items
			continue
		}
		props := propertyNames(cur)
		if len(props) == 0 {
			return // free-form object
		}
		if !slices.Contains(props, p) || metaArgs[p] {
			l.diags = append(l.diags, Diagnostic{Pos: posOf(b.file, it), Path: b.addr.String() + ".lifecycle.ignore_changes",
				Summary: fmt.Sprintf("ignore_changes: %q is not a field of %s", it.Value, b.addr.Kind), Suggestion: suggest(p, props)})
			return
		}
		cur, _ = cur["properties"].(map[string]any)[p].(map[string]any)
	}
}

// schemaObject follows $ref and picks the non-template branch of anyOf.
func schemaObject(s map[string]any) map[string]any {
	for i := 0; s != nil && i < 20; i++ {
		if ref, ok := s["$ref"].(string); ok {
			s = rawSchemaAt(SchemaURL + ref)
			continue
		}
		if branches, ok := s["anyOf"].([]any); ok && s["properties"] == nil && s["items"] == nil {
			var next map[string]any
			for _, br := range branches {
				m, _ := br.(map[string]any)
				if ref, _ := m["$ref"].(string); ref == "#/$defs/template" {
					continue
				}
				next = m
				break
			}
			s = next
			continue
		}
		return s
	}
	return s
}

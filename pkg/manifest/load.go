package manifest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// loader holds the state of one Load.
type loader struct {
	opts  Options
	diags Diagnostics
	files []string
	docs  []document

	vars      map[string]*variable
	varNames  []string
	blocks    map[string]*block // by block address
	blockList []*block
	names     map[Kind][]string // resource block names per kind, for suggestions
	dataNames map[Kind][]string
	outputs   []outputDecl

	fieldOK map[string]fieldCheck // cache of reference field path checks

	csvCache map[string]*block // blocks by CSV file and key column, to share parsed rows

	cur      *block            // the block whose body buildBlock is compiling, for checkStatic
	siblings map[sibKey]sibVal // sibling literals of conditional formats, by block
}

type fieldCheck struct {
	summary, suggestion string
	ok                  bool
}

// variable is a declared input variable.
type variable struct {
	name   string
	pos    Pos
	def    any
	hasDef bool
	typ    string
	value  any
	set    bool
}

type outputDecl struct {
	name string
	file string
	pos  Pos
	node *yaml.Node
}

// Load reads manifests (files or directories), validates them against the
// JSON Schema, resolves variables, env, for_each/count and references, and
// builds the dependency graph. It returns every problem found at once; the
// Config is nil when there is any error.
func Load(paths []string, opts Options) (*Config, Diagnostics) {
	if opts.Getenv == nil {
		opts.Getenv = os.LookupEnv
	}
	l := &loader{
		opts:      opts,
		vars:      map[string]*variable{},
		blocks:    map[string]*block{},
		names:     map[Kind][]string{},
		dataNames: map[Kind][]string{},
		fieldOK:   map[string]fieldCheck{},
	}
	if len(paths) == 0 {
		l.errorf(Pos{}, "", "no manifest given: use -f FILE or -f DIR")
		return nil, l.diags
	}
	l.files = l.expandPaths(paths)
	for _, f := range l.files {
		data, err := l.readFile(f)
		if err != nil {
			l.errorf(Pos{File: f}, "", "cannot read manifest: %v", unwrapPathErr(err))
			continue
		}
		for _, d := range l.parseFile(f, data) {
			l.validateSchema(d)
			l.docs = append(l.docs, d)
		}
	}
	for _, d := range l.docs {
		l.collect(d)
	}
	l.resolveVars()
	for _, b := range l.blockList {
		l.expandBlock(b)
	}
	cfg := &Config{Files: l.files, byAddr: map[string]*Resource{}}
	l.build(cfg)
	l.checkRequests(cfg)
	l.buildOutputs(cfg)
	l.buildGraph(cfg)
	l.warnNoResources(cfg)
	l.diags = l.diags.sortDedupe()
	if l.diags.HasErrors() {
		return nil, l.diags
	}
	return cfg, l.diags
}

// collect registers the variables, outputs, data sources and resource
// blocks of one document.
func (l *loader) collect(d document) {
	keys, vals := l.mapEntries(d.file, d.root, "")
	for i, k := range keys {
		section, v := k.Value, vals[i]
		switch {
		case section == "variables":
			nk, nv := l.mapEntries(d.file, v, "variables")
			for j, n := range nk {
				l.addVariable(d.file, n, nv[j])
			}
		case section == "outputs":
			nk, nv := l.mapEntries(d.file, v, "outputs")
			for j, n := range nk {
				l.outputs = append(l.outputs, outputDecl{name: n.Value, file: d.file, pos: posOf(d.file, n), node: nv[j]})
			}
		case section == "data":
			dk, dv := l.mapEntries(d.file, v, "data")
			for j, kn := range dk {
				kind := Kind(kn.Value)
				if !kind.Valid() || kind == KindBatchJournals {
					continue // reported by the schema
				}
				nk, nv := l.mapEntries(d.file, dv[j], "data."+kn.Value)
				for x, n := range nk {
					l.addBlock(d.file, Address{Data: true, Kind: kind, Name: n.Value}, n, nv[x])
				}
			}
		case Kind(section).Valid():
			nk, nv := l.mapEntries(d.file, v, section)
			for j, n := range nk {
				l.addBlock(d.file, Address{Kind: Kind(section), Name: n.Value}, n, nv[j])
			}
		}
	}
}

func (l *loader) addVariable(file string, n, v *yaml.Node) {
	pos := posOf(file, n)
	if !validName(n.Value) {
		l.errorf(pos, "variables."+n.Value, "invalid variable name %q: use letters, digits, '_' and '-'", n.Value)
		return
	}
	if prev, dup := l.vars[n.Value]; dup {
		l.errorf(pos, "variables."+n.Value, "variable %q is declared twice (first at %s)", n.Value, posString(prev.pos))
		return
	}
	vr := &variable{name: n.Value, pos: pos}
	keys, vals := l.mapEntries(file, v, "variables."+n.Value)
	for i, k := range keys {
		switch k.Value {
		case "default":
			vr.def, vr.hasDef = nodeValue(vals[i]), true
		case "type":
			vr.typ = vals[i].Value
		}
	}
	if vr.hasDef && vr.typ != "" {
		if _, err := convertVar(vr.typ, vr.def); err != nil {
			l.errorf(posOf(file, v), "variables."+n.Value+".default", "%v", err)
		}
	}
	l.vars[n.Value] = vr
	l.varNames = append(l.varNames, n.Value)
}

func posString(p Pos) string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// convertVar converts a variable value to its declared type.
func convertVar(typ string, v any) (any, error) {
	switch typ {
	case "", "string":
		switch x := v.(type) {
		case string:
			return x, nil
		case json.Number:
			return string(x), nil
		case bool:
			return fmt.Sprint(x), nil
		}
		if typ == "" {
			return v, nil
		}
		return nil, fmt.Errorf("want a string, got %s", valueKind(v))
	case "number":
		switch x := v.(type) {
		case json.Number:
			return x, nil
		case string:
			if isJSONNumber(x) {
				return json.Number(x), nil
			}
		}
		return nil, fmt.Errorf("want a number, got %s", valueKind(v))
	case "bool":
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(x) {
			case "true":
				return true, nil
			case "false":
				return false, nil
			}
		}
		return nil, fmt.Errorf("want true or false, got %s", valueKind(v))
	}
	return v, nil
}

func valueKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("%q", x)
	case json.Number:
		return "number " + string(x)
	case bool:
		return fmt.Sprint(x)
	case map[string]any:
		return "a map"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

// resolveVars gives every variable its value: --var, then --var-file (later
// files win), then the default.
func (l *loader) resolveVars() {
	for _, vf := range l.opts.VarFiles {
		data, err := l.readFile(vf)
		if err != nil {
			l.errorf(Pos{File: vf}, "", "cannot read var file: %v", unwrapPathErr(err))
			continue
		}
		if strings.EqualFold(filepath.Ext(vf), ".json") {
			if d, ok := jsonSyntax(vf, data); !ok {
				l.diags = append(l.diags, d)
				continue
			}
		}
		var root yaml.Node
		if err := yaml.Unmarshal(data, &root); err != nil {
			l.diags = append(l.diags, yamlDiag(vf, data, err))
			continue
		}
		if len(root.Content) == 0 {
			continue
		}
		m := resolveAlias(root.Content[0])
		if m.Kind != yaml.MappingNode {
			l.errorf(posOf(vf, m), "", "a var file must be a mapping of name: value")
			continue
		}
		keys, vals := l.mapEntries(vf, m, "")
		for i, k := range keys {
			l.setVar(posOf(vf, k), k.Value, nodeValue(vals[i]))
		}
	}
	names := make([]string, 0, len(l.opts.Vars))
	for k := range l.opts.Vars {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		l.setVar(Pos{File: "--var " + k}, k, l.opts.Vars[k])
	}
	for _, name := range l.varNames {
		vr := l.vars[name]
		if !vr.set {
			if !vr.hasDef {
				l.errorf(vr.pos, "variables."+name, "variable %q has no value: set it with --var %s=VALUE or --var-file, or give it a default", name, name)
				continue
			}
			vr.value, vr.set = vr.def, true
		}
	}
}

func (l *loader) setVar(pos Pos, name string, v any) {
	vr, ok := l.vars[name]
	if !ok {
		l.diags = append(l.diags, Diagnostic{Pos: pos, Path: "variables." + name,
			Summary: fmt.Sprintf("no variable %q is declared in the manifests", name), Suggestion: suggest(name, l.varNames)})
		return
	}
	cv, err := convertVar(vr.typ, v)
	if err != nil {
		if sensitiveField([]string{name}) {
			err = fmt.Errorf("want a %s value", vr.typ)
		}
		l.errorf(pos, "variables."+name, "%v", err)
		return
	}
	vr.value, vr.set = cv, true
}

// warnNoResources warns about manifests that declare no resource (an empty
// file, or only variables and data sources): valid, but rarely meant, and
// apply would only report what the workspace's state holds.
func (l *loader) warnNoResources(cfg *Config) {
	if l.diags.HasErrors() || len(l.files) == 0 {
		return
	}
	for _, r := range cfg.Resources {
		if !r.IsData() {
			return
		}
	}
	summary := "no resources declared"
	if len(l.files) > 1 {
		summary += " in " + strings.Join(l.files, ", ")
	}
	l.diags = append(l.diags, Diagnostic{Severity: SeverityWarning, Pos: Pos{File: l.files[0]}, Summary: summary})
}

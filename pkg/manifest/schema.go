package manifest

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"

	"github.com/brokerctl/brokerctl/schemas"
)

// SchemaURL is the $id of the embedded manifest schema.
const SchemaURL = "https://brokerctl.dev/schemas/manifest.schema.json"

var (
	schemaOnce   sync.Once
	schemaErr    error
	schemaRaw    any
	schemaMain   *jsonschema.Schema
	schemaComp   *jsonschema.Compiler
	schemaMu     sync.Mutex
	leafSchemas  = map[string]*jsonschema.Schema{}
	schemaPrintr = message.NewPrinter(language.English)
)

func compiledSchema() (*jsonschema.Schema, error) {
	schemaOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemas.Manifest))
		if err != nil {
			schemaErr = fmt.Errorf("embedded manifest schema: %w", err)
			return
		}
		schemaRaw = doc
		c := jsonschema.NewCompiler()
		// Formats are assertions, not annotations: a date, timestamp,
		// e-mail, IP address, UUID, decimal or routing number in the wrong
		// shape fails validate instead of the first API request. A ${...}
		// template passes through the schema's template branch and is
		// checked once rendered (checkLeaf, checkStatic).
		c.AssertFormat()
		for _, f := range ownFormats {
			c.RegisterFormat(f)
		}
		if err := c.AddResource(SchemaURL, doc); err != nil {
			schemaErr = fmt.Errorf("embedded manifest schema: %w", err)
			return
		}
		schemaMain, schemaErr = c.Compile(SchemaURL)
		schemaComp = c
	})
	return schemaMain, schemaErr
}

// subschema compiles (once) the schema at a JSON pointer of the manifest
// schema, e.g. "/$defs/Identity/properties/tax_id_type".
func subschema(ptr string) (*jsonschema.Schema, error) {
	if _, err := compiledSchema(); err != nil {
		return nil, err
	}
	schemaMu.Lock()
	defer schemaMu.Unlock()
	if s, ok := leafSchemas[ptr]; ok {
		return s, nil
	}
	s, err := schemaComp.Compile(SchemaURL + "#" + ptr)
	if err != nil {
		return nil, err
	}
	leafSchemas[ptr] = s
	return s, nil
}

// rawSchemaAt resolves the fragment of a schema URL in the raw schema.
func rawSchemaAt(url string) map[string]any {
	_, frag, _ := strings.Cut(url, "#")
	var cur any = schemaRaw
	if frag == "" {
		m, _ := cur.(map[string]any)
		return m
	}
	for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			cur = c[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	m, _ := cur.(map[string]any)
	return m
}

// validateSchema checks one document against the manifest schema and adds
// a located diagnostic per problem.
func (l *loader) validateSchema(doc document) {
	sch, err := compiledSchema()
	if err != nil {
		l.errorf(Pos{File: doc.file}, "", "%v", err)
		return
	}
	err = sch.Validate(nodeValue(doc.root))
	if err == nil {
		return
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		l.errorf(Pos{File: doc.file}, "", "schema validation: %v", err)
		return
	}
	for _, leaf := range schemaLeaves(ve) {
		l.schemaDiag(doc.file, doc.root, nil, leaf)
	}
}

// fieldAliases are names users bring from other tools (Terraform) for a
// field brokerctl calls differently: "did you mean" names ours.
var fieldAliases = map[string]string{
	"prevent_destroy": "protect",
	"depends-on":      "depends_on",
	"dependsOn":       "depends_on",
	"forEach":         "for_each",
	"for-each":        "for_each",
}

func isTemplateBranch(e *jsonschema.ValidationError) bool {
	if strings.HasSuffix(e.SchemaURL, "/$defs/template") {
		return true
	}
	if r, ok := e.ErrorKind.(*kind.Reference); ok && strings.HasSuffix(r.URL, "/$defs/template") {
		return true
	}
	return false
}

// schemaLeaves reduces a validation error tree to the errors worth showing:
// the failure of a ${...} template alternative is dropped, and when every
// alternative of an anyOf fails on the value's type, one merged type error
// is kept instead of one per alternative.
func schemaLeaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	switch k := e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		if o, ok := k.(*kind.OneOf); ok && o.Subschemas != nil {
			return []*jsonschema.ValidationError{e}
		}
		var branches []*jsonschema.ValidationError
		for _, c := range e.Causes {
			if !isTemplateBranch(c) {
				branches = append(branches, c)
			}
		}
		var deep, level []*jsonschema.ValidationError
		var want []string
		got := ""
		for _, b := range branches {
			for _, leaf := range schemaLeaves(b) {
				switch t, isType := leaf.ErrorKind.(*kind.Type); {
				case len(leaf.InstanceLocation) > len(e.InstanceLocation):
					deep = append(deep, leaf)
				case isType:
					want = append(want, t.Want...)
					got = t.Got
				default:
					level = append(level, leaf)
				}
			}
		}
		switch {
		case len(deep) > 0:
			return deep
		case len(level) > 1 && allRequired(level):
			// Every alternative misses a different field (a data source's
			// id or email): one error naming the choice.
			var names []string
			for _, lv := range level {
				names = append(names, lv.ErrorKind.(*kind.Required).Missing...)
			}
			return []*jsonschema.ValidationError{{SchemaURL: e.SchemaURL, InstanceLocation: e.InstanceLocation,
				ErrorKind: &requiredOneOf{names: slices.Compact(names)}}}
		case len(level) > 0:
			return level
		case len(want) > 0:
			slices.Sort(want)
			return []*jsonschema.ValidationError{{SchemaURL: e.SchemaURL, InstanceLocation: e.InstanceLocation,
				ErrorKind: &kind.Type{Got: got, Want: slices.Compact(want)}}}
		}
		return nil
	}
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, schemaLeaves(c)...)
	}
	return out
}

func allRequired(es []*jsonschema.ValidationError) bool {
	for _, e := range es {
		if _, ok := e.ErrorKind.(*kind.Required); !ok {
			return false
		}
	}
	return true
}

// requiredOneOf is the error of an object that needs one of several fields.
type requiredOneOf struct{ names []string }

func (r *requiredOneOf) KeywordPath() []string { return []string{"oneOf"} }

func (r *requiredOneOf) LocalizedString(*message.Printer) string {
	q := make([]string, len(r.names))
	for i, n := range r.names {
		q[i] = strconv.Quote(n)
	}
	return "needs one of the fields " + strings.Join(q, " or ")
}

// schemaDiag turns one schema error into a diagnostic located in root
// (prefix is prepended to the instance location for the path).
func (l *loader) schemaDiag(file string, root *yaml.Node, prefix []string, e *jsonschema.ValidationError) {
	loc := e.InstanceLocation
	keyNode, valNode := nodeAt(root, loc)
	full := append(slices.Clone(prefix), loc...)
	path := pointerPath(full)
	pos := posOf(file, valNode)
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		allowed := propertyNames(rawSchemaAt(e.SchemaURL))
		for _, p := range k.Properties {
			kn, _ := nodeAt(root, append(slices.Clone(loc), p))
			what := "field"
			switch {
			case len(full) == 0:
				what = "section"
			case len(full) == 1 && full[0] == "data":
				what = "data kind"
			}
			sugg := suggest(p, allowed)
			if a, ok := fieldAliases[p]; ok && slices.Contains(allowed, a) {
				sugg = a
			}
			l.diags = append(l.diags, Diagnostic{Pos: posOf(file, kn), Path: joinPath(path, p),
				Summary: fmt.Sprintf("unknown %s %q", what, p), Suggestion: sugg})
		}
	case *requiredOneOf:
		if keyNode != nil {
			pos = posOf(file, keyNode)
		}
		l.diags = append(l.diags, Diagnostic{Pos: pos, Path: path, Summary: k.LocalizedString(schemaPrintr)})
	case *kind.Required:
		if keyNode != nil {
			pos = posOf(file, keyNode)
		}
		known := propertyNames(rawSchemaAt(e.SchemaURL))
		for _, m := range k.Missing {
			if typoOf(valNode, m, known) {
				continue // the unknown-field diagnostic says "did you mean m?"
			}
			l.diags = append(l.diags, Diagnostic{Pos: pos, Path: path, Summary: fmt.Sprintf("missing required field %q", m)})
		}
	default:
		if len(loc) > 0 && duplicatesSemanticCheck(e, loc[len(loc)-1]) {
			return
		}
		var v any
		if valNode != nil {
			v = nodeValue(valNode)
		}
		summary, sugg := schemaMessage(e, v, full)
		l.diags = append(l.diags, Diagnostic{Pos: pos, Path: path, Summary: summary, Suggestion: sugg})
	}
}

// typoOf reports whether the mapping n has an unknown key (not in known)
// that is likely a typo of the field name want, so that a "missing required
// field" would only repeat the unknown field's "did you mean".
func typoOf(n *yaml.Node, want string, known []string) bool {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if !slices.Contains(known, k) && suggest(k, []string{want}) == want {
			return true
		}
	}
	return false
}

// duplicatesSemanticCheck reports schema errors that the loader reports
// itself with a clearer message: a timeout's duration pattern and count's
// minimum.
func duplicatesSemanticCheck(e *jsonschema.ValidationError, field string) bool {
	switch e.ErrorKind.(type) {
	case *kind.Pattern:
		return field == "timeout"
	case *kind.Minimum:
		return field == "count"
	}
	return false
}

func propertyNames(s map[string]any) []string {
	props, _ := s["properties"].(map[string]any)
	out := make([]string, 0, len(props))
	for k := range props {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

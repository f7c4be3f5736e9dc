package manifest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxInstances bounds for_each and count so a typo cannot exhaust memory.
const maxInstances = 1_000_000

// instanceLimit is maxInstances, or the lower limit tests set.
func (l *loader) instanceLimit() int {
	if l.opts.maxInstances > 0 {
		return l.opts.maxInstances
	}
	return maxInstances
}

// block is one resource or data source block as written, before expansion.
type block struct {
	addr   Address
	file   string
	pos    Pos
	fields []*yaml.Node // key nodes, in file order
	vals   []*yaml.Node // value nodes
	bad    bool         // the block is not a mapping; skip it

	multi   bool // has for_each or count
	isCount bool
	insts   []instance
	keyIdx  map[string]int
	keyList []string // instance keys in order, for suggestions

	csvFile   string         // the CSV file of for_each, if any
	keyCol    string         // the key column/field of for_each over a file
	csvHeader map[string]int // its columns by name
}

// instance is one element of for_each or count.
type instance struct {
	key      string
	value    any
	pos      Pos            // where the element is declared (CSV row, list item)
	fieldPos map[string]Pos // position of each.value fields (map entries)
	// cells holds, for a CSV row, the line and column of each cell in
	// header order (line, col, line, col...): cheaper than a fieldPos map
	// per row at 100,000s of rows.
	cells []int32
}

// posOfField returns where field name of the instance's each.value is
// declared: a map entry or a CSV cell.
func (in *instance) posOfField(b *block, name string) (Pos, bool) {
	if in.fieldPos != nil {
		p, ok := in.fieldPos[name]
		return p, ok
	}
	i, ok := b.csvHeader[name]
	if !ok || 2*i+1 >= len(in.cells) {
		return Pos{}, false
	}
	return Pos{File: b.csvFile, Line: int(in.cells[2*i]), Col: int(in.cells[2*i+1])}, true
}

// posOfEach returns where the value of each.key or each.value.FIELD of
// the instance is declared, when it is a CSV cell or map entry.
func (in *instance) posOfEach(b *block, path []string) (Pos, bool) {
	switch {
	case len(path) == 1 && path[0] == "key" && b.keyCol != "":
		return in.posOfField(b, b.keyCol)
	case len(path) == 2 && path[0] == "value":
		return in.posOfField(b, path[1])
	}
	return Pos{}, false
}

func (b *block) field(name string) (*yaml.Node, *yaml.Node) {
	for i, k := range b.fields {
		if k.Value == name {
			return k, b.vals[i]
		}
	}
	return nil, nil
}

func (l *loader) addBlock(file string, addr Address, n, v *yaml.Node) {
	pos := posOf(file, n)
	if !validName(addr.Name) {
		l.errorf(pos, addr.String(), "invalid name %q: use letters, digits, '_' and '-', starting with a letter", addr.Name)
		return
	}
	key := addr.String()
	if prev, dup := l.blocks[key]; dup {
		l.errorf(pos, key, "%s is declared twice (first at %s)", key, posString(prev.pos))
		return
	}
	b := &block{addr: addr, file: file, pos: pos}
	v = resolveAlias(v)
	if v.Kind != yaml.MappingNode {
		b.bad = true // the schema reports the type
	} else {
		b.fields, b.vals = l.mapEntries(file, v, key)
	}
	l.blocks[key] = b
	l.blockList = append(l.blockList, b)
	if addr.Data {
		l.dataNames[addr.Kind] = append(l.dataNames[addr.Kind], addr.Name)
	} else {
		l.names[addr.Kind] = append(l.names[addr.Kind], addr.Name)
	}
}

// expandBlock evaluates for_each or count: they may use variables and env,
// never references, so every instance is known before anything is sent.
func (l *loader) expandBlock(b *block) {
	fk, fe := b.field("for_each")
	ck, ce := b.field("count")
	path := b.addr.String()
	switch {
	case fe != nil && ce != nil:
		l.errorf(posOf(b.file, ck), path+".count", "a resource takes for_each or count, not both")
		return
	case fe != nil:
		b.multi = true
		l.forEach(b, fk, fe)
	case ce != nil:
		b.multi, b.isCount = true, true
		l.count(b, ce)
	default:
		b.insts = []instance{{pos: b.pos}}
		return
	}
	if b.addr.Data {
		l.errorf(b.pos, path, "data sources take no for_each or count")
	}
	b.keyIdx = make(map[string]int, len(b.insts))
	b.keyList = make([]string, 0, len(b.insts))
	kept := b.insts[:0]
	for _, in := range b.insts {
		if first, dup := b.keyIdx[in.key]; dup {
			l.errorf(in.pos, path+formatKey(in.key), "duplicate for_each key %q (first at %s)", in.key, posString(kept[first].pos))
			continue
		}
		b.keyIdx[in.key] = len(kept)
		b.keyList = append(b.keyList, in.key)
		kept = append(kept, in)
	}
	b.insts = kept
}

func (l *loader) count(b *block, n *yaml.Node) {
	path := b.addr.String() + ".count"
	v, ok := l.staticValue(b.file, n, path)
	if !ok {
		return
	}
	num, isNum := v.(json.Number)
	if s, isStr := v.(string); isStr && isJSONNumber(s) {
		num, isNum = json.Number(s), true
	}
	c, err := strconv.Atoi(string(num))
	if !isNum || err != nil || c < 0 {
		l.errorf(posOf(b.file, n), path, "count must be a whole number >= 0, got %s", valueKind(v))
		return
	}
	if c > l.instanceLimit() {
		l.errorf(posOf(b.file, n), path, "count %d is above the limit of %d", c, l.instanceLimit())
		return
	}
	b.insts = make([]instance, c)
	for i := range b.insts {
		b.insts[i] = instance{key: strconv.Itoa(i), value: json.Number(strconv.Itoa(i)), pos: posOf(b.file, n)}
	}
}

// staticValue evaluates a node that may be a ${var...}/${env...} template
// but may not reference resources, each or count.
func (l *loader) staticValue(file string, n *yaml.Node, path string) (any, bool) {
	n = resolveAlias(n)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" || !strings.Contains(n.Value, "$") {
		return nodeValue(n), true
	}
	c := l.compile(file, n, path, nil, compileStatic)
	if c == nil || c.dyn || len(c.refs) > 0 {
		if c != nil && (c.dyn || len(c.refs) > 0) {
			l.errorf(posOf(file, n), path, "only variables and env may be used here: for_each and count must be known before anything is created")
		}
		return nil, false
	}
	return unescapeValue(c.val), true
}

func unescapeValue(v any) any {
	if s, ok := v.(string); ok && strings.Contains(s, "$${") {
		return strings.ReplaceAll(s, "$${", "${")
	}
	return v
}

func (l *loader) forEach(b *block, k, n *yaml.Node) {
	path := b.addr.String() + ".for_each"
	n = resolveAlias(n)
	if n.Kind == yaml.MappingNode {
		if _, fileNode := (&block{fields: mustKeys(n), vals: mustVals(n)}).field("file"); fileNode != nil {
			l.forEachFile(b, n, path)
			return
		}
		keys, vals := l.mapEntries(b.file, n, path)
		for i, kn := range keys {
			in := instance{key: kn.Value, value: nodeValue(vals[i]), pos: posOf(b.file, kn)}
			in.fieldPos = l.fieldPositions(b.file, vals[i])
			b.insts = append(b.insts, in)
		}
		return
	}
	if n.Kind == yaml.SequenceNode {
		for _, item := range n.Content {
			item = resolveAlias(item)
			if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
				l.errorf(posOf(b.file, item), path, "for_each over a list needs strings or numbers (the keys); for objects use a map of key: object, or a file with key:")
				continue
			}
			b.insts = append(b.insts, instance{key: item.Value, value: nodeValue(item), pos: posOf(b.file, item)})
		}
		return
	}
	v, ok := l.staticValue(b.file, n, path)
	if !ok {
		return
	}
	pos := posOf(b.file, n)
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			s, ok := scalarString(e)
			if !ok {
				l.errorf(pos, path, "for_each element %d is %s: a list must hold strings or numbers", i, valueKind(e))
				continue
			}
			b.insts = append(b.insts, instance{key: s, value: e, pos: pos})
		}
	case map[string]any:
		for _, key := range sortedKeys(x) {
			b.insts = append(b.insts, instance{key: key, value: x[key], pos: pos})
		}
	default:
		l.errorf(pos, path, "for_each must be a list, a map or {file: ..., key: ...}, got %s", valueKind(v))
	}
}

func mustKeys(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, n.Content[i])
	}
	return out
}

func mustVals(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, n.Content[i+1])
	}
	return out
}

func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return string(x), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// fieldPositions records where each field of an inline for_each value is.
func (l *loader) fieldPositions(file string, n *yaml.Node) map[string]Pos {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	m := make(map[string]Pos, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = posOf(file, n.Content[i+1])
	}
	return m
}

// forEachFile reads for_each: {file: x.csv|x.json, key: column, format: csv|json}.
func (l *loader) forEachFile(b *block, n *yaml.Node, path string) {
	spec := &block{}
	spec.fields, spec.vals = l.mapEntries(b.file, n, path)
	_, fileNode := spec.field("file")
	keyKey, keyNode := spec.field("key")
	_, fmtNode := spec.field("format")
	name, ok := l.staticValue(b.file, fileNode, path+".file")
	nameStr, isStr := name.(string)
	if !ok || !isStr || nameStr == "" {
		if ok {
			l.errorf(posOf(b.file, fileNode), path+".file", "file must be a path to a CSV or JSON file")
		}
		return
	}
	keyCol := ""
	if keyNode != nil {
		keyCol = resolveAlias(keyNode).Value
	}
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(nameStr)), ".")
	if fmtNode != nil {
		format = resolveAlias(fmtNode).Value
	}
	full := l.joinRel(b.file, nameStr)
	data, err := l.readFile(full)
	if err != nil {
		l.errorf(posOf(b.file, fileNode), path+".file", "cannot read %s: %v", full, unwrapPathErr(err))
		return
	}
	b.keyCol = keyCol
	switch format {
	case "csv":
		if keyCol == "" {
			l.errorf(posOf(b.file, n), path, "for_each over a CSV file needs key: COLUMN (the column that names each instance)")
			return
		}
		ck := full + "\x00" + keyCol
		if c, ok := l.csvCache[ck]; ok {
			// Another block iterates over the same file and key: share its
			// rows (read-only) instead of parsing the file again; problems
			// in the file were reported once already.
			b.insts = append(b.insts, c.insts...)
			b.csvFile, b.csvHeader = c.csvFile, c.csvHeader
			return
		}
		errs := len(l.diags.Errors())
		l.readCSV(b, full, data, keyCol, posOf(b.file, keyKey), path)
		if len(b.insts) == 0 && len(l.diags.Errors()) == errs {
			l.warnNoRows(b, full, "a header and no data rows")
		}
		if l.csvCache == nil {
			l.csvCache = map[string]*block{}
		}
		l.csvCache[ck] = b
	case "json":
		errs := len(l.diags.Errors())
		l.readJSON(b, full, data, keyCol, posOf(b.file, keyKey), path)
		if len(b.insts) == 0 && len(l.diags.Errors()) == errs {
			l.warnNoRows(b, full, "no elements")
		}
	default:
		l.errorf(posOf(b.file, fileNode), path+".file", "cannot tell the format of %q: name it .csv or .json, or set format: csv|json", nameStr)
	}
}

func (l *loader) readCSV(b *block, file string, data []byte, keyCol string, keyPos Pos, path string) {
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		if err == io.EOF {
			l.errorf(Pos{File: file, Line: 1, Col: 1}, "", "CSV file is empty: it needs a header row")
		} else {
			l.diags = append(l.diags, csvDiag(file, err))
		}
		return
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	keyAt := -1
	b.csvFile, b.csvHeader = file, make(map[string]int, len(header))
	for i, h := range header {
		if h == keyCol {
			keyAt = i
		}
		b.csvHeader[h] = i
	}
	if keyAt < 0 {
		l.diags = append(l.diags, Diagnostic{Pos: keyPos, Path: path + ".key",
			Summary:    fmt.Sprintf("column %q is not in the header of %s (columns: %s)", keyCol, file, strings.Join(header, ", ")),
			Suggestion: suggest(keyCol, header)})
		return
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			l.diags = append(l.diags, csvDiag(file, err))
			if len(b.insts) >= l.instanceLimit() {
				return
			}
			continue
		}
		if len(b.insts) >= l.instanceLimit() {
			l.errorf(Pos{File: file}, path, "more than %d rows", l.instanceLimit())
			return
		}
		line, col := r.FieldPos(keyAt)
		row := make(map[string]any, len(header))
		cells := make([]int32, 2*len(header))
		for i, h := range header {
			row[h] = rec[i]
			fl, fc := r.FieldPos(i)
			cells[2*i], cells[2*i+1] = int32(fl), int32(fc)
		}
		key := rec[keyAt]
		if key == "" {
			l.errorf(Pos{File: file, Line: line, Col: col}, path, "empty key in column %q", keyCol)
			continue
		}
		b.insts = append(b.insts, instance{key: key, value: row, pos: Pos{File: file, Line: line, Col: col}, cells: cells})
	}
}

func csvDiag(file string, err error) Diagnostic {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return Diagnostic{Pos: Pos{File: file, Line: pe.Line, Col: max(pe.Column, 1)}, Summary: "invalid CSV: " + pe.Err.Error()}
	}
	return Diagnostic{Pos: Pos{File: file}, Summary: "invalid CSV: " + err.Error()}
}

// readJSON reads a JSON (or YAML) file: an array of objects with a key
// field, or an object whose keys are the instance keys.
func (l *loader) readJSON(b *block, file string, data []byte, keyCol string, keyPos Pos, path string) {
	if strings.EqualFold(filepath.Ext(file), ".json") {
		if d, ok := jsonSyntax(file, data); !ok {
			l.diags = append(l.diags, d)
			return
		}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		l.diags = append(l.diags, yamlDiag(file, data, err))
		return
	}
	if len(root.Content) == 0 {
		return
	}
	n := resolveAlias(root.Content[0])
	switch n.Kind {
	case yaml.MappingNode:
		keys, vals := l.mapEntries(file, n, "")
		for i, k := range keys {
			b.insts = append(b.insts, instance{key: k.Value, value: nodeValue(vals[i]), pos: posOf(file, k), fieldPos: l.fieldPositions(file, vals[i])})
		}
	case yaml.SequenceNode:
		if keyCol == "" {
			l.errorf(keyPos, path, "for_each over a JSON array needs key: FIELD (the field that names each instance)")
			if keyPos.Line == 0 {
				l.diags[len(l.diags)-1].Pos = b.pos
			}
			return
		}
		for _, item := range n.Content {
			item = resolveAlias(item)
			v, _ := nodeValue(item).(map[string]any)
			if v == nil {
				l.errorf(posOf(file, item), "", "each element must be an object with a %q field", keyCol)
				continue
			}
			k, ok := scalarString(v[keyCol])
			if !ok || k == "" {
				l.errorf(posOf(file, item), "", "element has no %q field (the for_each key)", keyCol)
				continue
			}
			_, kn := nodeAt(item, []string{keyCol})
			b.insts = append(b.insts, instance{key: k, value: v, pos: posOf(file, kn), fieldPos: l.fieldPositions(file, item)})
		}
	default:
		l.errorf(posOf(file, n), "", "a for_each JSON file must hold an array of objects or an object")
	}
}

// warnNoRows warns about a for_each file without instances: valid, but an
// export that came out empty would make apply --prune destroy every
// instance recorded for the block.
func (l *loader) warnNoRows(b *block, file, what string) {
	l.diags = append(l.diags, Diagnostic{Severity: SeverityWarning, Pos: Pos{File: file, Line: 1, Col: 1},
		Path:    b.addr.String() + ".for_each",
		Summary: fmt.Sprintf("%s has %s: 0 instances of %s (apply --prune would destroy every instance recorded for it)", file, what, b.addr)})
}

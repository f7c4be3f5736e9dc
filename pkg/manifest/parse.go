package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// document is one YAML document of a manifest file.
type document struct {
	file string
	root *yaml.Node // the mapping node
}

// manifestExt reports whether a file in a directory is read as a manifest.
func manifestExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// readFile reads name from opts.FS or the OS.
func (l *loader) readFile(name string) ([]byte, error) {
	if l.opts.FS != nil {
		return fs.ReadFile(l.opts.FS, path.Clean(filepath.ToSlash(name)))
	}
	return os.ReadFile(name)
}

func (l *loader) stat(name string) (fs.FileInfo, error) {
	if l.opts.FS != nil {
		return fs.Stat(l.opts.FS, path.Clean(filepath.ToSlash(name)))
	}
	return os.Stat(name)
}

func (l *loader) readDir(name string) ([]fs.DirEntry, error) {
	if l.opts.FS != nil {
		return fs.ReadDir(l.opts.FS, path.Clean(filepath.ToSlash(name)))
	}
	return os.ReadDir(name)
}

// joinRel resolves a data file named in a manifest relative to the
// manifest's directory.
func (l *loader) joinRel(manifest, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	if l.opts.FS != nil {
		return path.Join(path.Dir(filepath.ToSlash(manifest)), filepath.ToSlash(name))
	}
	return filepath.Join(filepath.Dir(manifest), name)
}

// expandPaths turns files and directories into manifest files: a directory
// contributes its *.yaml, *.yml and *.json files, sorted, not recursively.
func (l *loader) expandPaths(paths []string) []string {
	var files []string
	seen := map[string]bool{}
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}
	for _, p := range paths {
		st, err := l.stat(p)
		if err != nil {
			l.errorf(Pos{File: p}, "", "cannot read manifest: %v", unwrapPathErr(err))
			continue
		}
		if !st.IsDir() {
			add(p)
			continue
		}
		ents, err := l.readDir(p)
		if err != nil {
			l.errorf(Pos{File: p}, "", "cannot read directory: %v", unwrapPathErr(err))
			continue
		}
		var names, subdirs []string
		for _, e := range ents {
			switch {
			case strings.HasPrefix(e.Name(), "."):
			case e.IsDir():
				subdirs = append(subdirs, e.Name())
			case manifestExt(e.Name()):
				names = append(names, e.Name())
			}
		}
		slices.Sort(names)
		if len(names) == 0 {
			l.noManifestInDir(p, subdirs)
		}
		for _, n := range names {
			if l.opts.FS != nil {
				add(path.Join(filepath.ToSlash(p), n))
			} else {
				add(filepath.Join(p, n))
			}
		}
	}
	return files
}

// noManifestInDir reports a directory without manifests, naming its
// subdirectories that have some: each is a configuration of its own
// (examples/manifests/quickstart), not part of the parent's.
func (l *loader) noManifestInDir(dir string, subdirs []string) {
	var mods []string
	for _, sd := range subdirs {
		sub := filepath.Join(dir, sd)
		if l.opts.FS != nil {
			sub = path.Join(filepath.ToSlash(dir), sd)
		}
		ents, err := l.readDir(sub)
		if err != nil {
			continue
		}
		if slices.ContainsFunc(ents, func(e fs.DirEntry) bool { return !e.IsDir() && manifestExt(e.Name()) }) {
			mods = append(mods, sd+"/")
		}
	}
	if len(mods) == 0 {
		l.errorf(Pos{File: dir}, "", "directory has no .yaml, .yml or .json manifest")
		return
	}
	slices.Sort(mods)
	list := mods
	if len(list) > 6 {
		list = append(slices.Clone(list[:6]), "...")
	}
	l.errorf(Pos{File: dir}, "", "directory has no .yaml, .yml or .json manifest of its own; its subdirectories (%s) are each a configuration: give one with -f %s, or loop over them",
		strings.Join(list, ", "), filepath.Join(dir, strings.TrimSuffix(mods[0], "/")))
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseFile decodes every YAML (or JSON) document in a file.
func (l *loader) parseFile(file string, data []byte) []document {
	var docs []document
	if strings.EqualFold(filepath.Ext(file), ".json") {
		if d, ok := jsonSyntax(file, data); !ok {
			l.diags = append(l.diags, d)
			return nil
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			break
		}
		if err != nil {
			l.diags = append(l.diags, yamlDiag(file, data, err))
			break
		}
		root := &n
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				continue
			}
			root = root.Content[0]
		}
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue
		}
		if root.Kind != yaml.MappingNode {
			l.errorf(posOf(file, root), "", "a manifest must be a mapping of sections (accounts:, transfers:, ...), not %s", nodeKindName(root))
			continue
		}
		if lit, expanded := aliasExpansion(root); expanded > maxExpandedNodes(lit) {
			l.errorf(posOf(file, root), "", "YAML aliases expand this document to more than %d values (from %d written): use fewer nested aliases", maxExpandedNodes(lit), lit)
			continue
		}
		docs = append(docs, document{file: file, root: root})
	}
	return docs
}

// maxExpandedNodes bounds what aliases may expand a document of lit nodes
// to (a "billion laughs" of nested aliases would otherwise take minutes
// and gigabytes to validate).
func maxExpandedNodes(lit int64) int64 { return 1_000_000 + 10*lit }

// aliasExpansion counts the nodes of a document as written and as
// expanded with every alias replaced by its anchor's value.
func aliasExpansion(root *yaml.Node) (lit, expanded int64) {
	const saturate = 1 << 40
	memo := map[*yaml.Node]int64{}
	seen := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node, depth int) int64
	walk = func(n *yaml.Node, depth int) int64 {
		if n == nil || depth > 10_000 {
			return 1
		}
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return 1
			}
			return walk(n.Alias, depth+1)
		}
		if v, ok := memo[n]; ok {
			return v
		}
		if seen[n] { // an anchor inside itself
			return saturate
		}
		seen[n] = true
		lit++
		total := int64(1)
		for _, c := range n.Content {
			total += walk(c, depth+1)
			if total > saturate {
				total = saturate
			}
		}
		memo[n] = total
		return total
	}
	expanded = walk(root, 0)
	return lit, expanded
}

func posOf(file string, n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: file}
	}
	return Pos{File: file, Line: n.Line, Col: n.Column}
}

func nodeKindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return "a string"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "null"
		}
		return "a scalar"
	}
	return "a value"
}

// resolveAlias follows YAML aliases.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// nodeValue converts a node to a JSON-like value: map[string]any, []any,
// string, json.Number, bool or nil. Unquoted dates and times stay strings.
func nodeValue(n *yaml.Node) any {
	return nodeValueDepth(n, 0)
}

func nodeValueDepth(n *yaml.Node, depth int) any {
	n = resolveAlias(n)
	if n == nil || depth > 200 {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[resolveAlias(n.Content[i]).Value] = nodeValueDepth(n.Content[i+1], depth+1)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = nodeValueDepth(c, depth+1)
		}
		return s
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			return nodeValueDepth(n.Content[0], depth+1)
		}
		return nil
	}
	return scalarValue(n)
}

func scalarValue(n *yaml.Node) any {
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b
		}
	case "!!int", "!!float":
		if isJSONNumber(n.Value) {
			return json.Number(n.Value)
		}
		var f any
		if err := n.Decode(&f); err == nil {
			switch v := f.(type) {
			case int:
				return json.Number(strconv.Itoa(v))
			case int64:
				return json.Number(strconv.FormatInt(v, 10))
			case uint64:
				return json.Number(strconv.FormatUint(v, 10))
			case float64:
				s := strconv.FormatFloat(v, 'f', -1, 64)
				if isJSONNumber(s) {
					return json.Number(s)
				}
			}
		}
	}
	return n.Value
}

// isJSONNumber reports whether s is a number in JSON syntax.
func isJSONNumber(s string) bool {
	if s == "" {
		return false
	}
	var n json.Number
	return json.Unmarshal([]byte(s), &n) == nil && !strings.HasPrefix(s, "\"")
}

// mapEntries returns the key/value pairs of a mapping node, reporting
// duplicate keys and non-string keys.
func (l *loader) mapEntries(file string, n *yaml.Node, path string) (keys []*yaml.Node, vals []*yaml.Node) {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolveAlias(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			l.errorf(posOf(file, k), path, "keys must be strings, not %s", nodeKindName(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			l.errorf(posOf(file, k), joinPath(path, k.Value), "duplicate key %q (first at line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		keys = append(keys, k)
		vals = append(vals, v)
	}
	return keys, vals
}

// nodeAt finds the node at a JSON-pointer-like path below n, returning the
// key node (for object members) and the value node. It stops at the deepest
// existing node.
func nodeAt(n *yaml.Node, p []string) (key, val *yaml.Node) {
	val = resolveAlias(n)
	for _, s := range p {
		switch {
		case val == nil:
			return key, val
		case val.Kind == yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(val.Content); i += 2 {
				if resolveAlias(val.Content[i]).Value == s {
					key, val = val.Content[i], resolveAlias(val.Content[i+1])
					found = true
					break
				}
			}
			if !found {
				return key, val
			}
		case val.Kind == yaml.SequenceNode:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(val.Content) {
				return key, val
			}
			key, val = nil, resolveAlias(val.Content[i])
		default:
			return key, val
		}
	}
	return key, val
}

// joinPath appends a field to a diagnostic path: a.b, a[0], a["x y"].
func joinPath(base, field string) string {
	switch {
	case base == "":
		return field
	case isIndex(field):
		return base + "[" + field + "]"
	case validName(field):
		return base + "." + field
	}
	return base + "[" + strconv.Quote(field) + "]"
}

// pointerPath renders a JSON pointer's tokens as a diagnostic path.
func pointerPath(tokens []string) string {
	out := ""
	for _, t := range tokens {
		out = joinPath(out, t)
	}
	return out
}

func (l *loader) errorf(p Pos, path, format string, args ...any) {
	l.diags = append(l.diags, Diagnostic{Pos: p, Path: path, Summary: fmt.Sprintf(format, args...)})
}

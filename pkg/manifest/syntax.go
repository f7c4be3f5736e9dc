package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// yamlParserProblems are the problems yaml.v3's parser (not its scanner)
// reports. For them the "line N" of the error is a 0-based line: the line
// of the collection being parsed (or of the problem) is N+1.
var yamlParserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// yamlDiag turns a yaml.v3 syntax error ("yaml: line 3: ...") into a
// located diagnostic. yaml.v3 gives a line only: the column is found in the
// source line where the kind of problem says what to look for (the { or [
// that is not closed, the quote that is not closed, a tab).
func yamlDiag(file string, src []byte, err error) Diagnostic {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, e := strconv.Atoi(rest[:i]); e == nil {
				line = n
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	if line > 0 && yamlParserProblems[msg] {
		line++
	}
	p := Pos{File: file, Line: line}
	hint := ""
	if line > 0 {
		p.Col = 1
		if open, close, isFlow := flowBrackets(msg); isFlow {
			// The { or [ that is not closed: on the reported line, or above
			// it when yaml.v3 reports where it gave up (a collection on
			// line 1 has no context line).
			for l := line; l >= max(1, line-50); l-- {
				if text, ok := sourceLine(src, l); ok {
					if i := unclosed(text, open, close); i >= 0 {
						p.Line, p.Col, hint = l, col(text, i), " (this "+string(open)+" is not closed)"
						break
					}
				}
			}
		} else if text, ok := sourceLine(src, line); ok {
			p.Col, hint = yamlErrorColumn(msg, text)
		}
	}
	what := "invalid YAML: "
	if strings.EqualFold(filepath.Ext(file), ".json") {
		what = "invalid JSON: "
	}
	return Diagnostic{Pos: p, Summary: what + msg + hint}
}

// sourceLine returns line n (1-based) of src.
func sourceLine(src []byte, n int) (string, bool) {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(src, '\n')
		if j < 0 {
			return "", false
		}
		src = src[j+1:]
	}
	if j := bytes.IndexByte(src, '\n'); j >= 0 {
		src = src[:j]
	}
	return strings.TrimSuffix(string(src), "\r"), true
}

// flowBrackets returns the brackets of a "did not find expected ',' or
// '}'" (or ']') error.
func flowBrackets(msg string) (open, close byte, ok bool) {
	switch {
	case strings.HasSuffix(msg, "',' or '}'"):
		return '{', '}', true
	case strings.HasSuffix(msg, "',' or ']'"):
		return '[', ']', true
	}
	return 0, 0, false
}

// col is the 1-based column (in characters) of byte offset i of line.
func col(line string, i int) int { return utf8.RuneCountInString(line[:i]) + 1 }

// yamlErrorColumn finds where on the reported line the problem is.
func yamlErrorColumn(msg, line string) (int, string) {
	switch {
	case msg == "found unexpected end of stream":
		if i := unclosedQuote(line); i >= 0 {
			return col(line, i), " (this quoted string is not closed)"
		}
	case strings.Contains(msg, "tab"), msg == "found character that cannot start any token":
		if i := strings.IndexByte(line, '\t'); i >= 0 {
			return col(line, i), " (a tab: indent with spaces)"
		}
	}
	return col(line, len(line)-len(strings.TrimLeft(line, " "))), ""
}

// unclosed returns the offset of the innermost open bracket of line that
// is not closed on it, outside quoted strings and comments, or -1.
func unclosed(line string, open, close byte) int {
	var stack []int
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (i == 0 || line[i-1] == ' '):
			i = len(line)
		case c == open:
			stack = append(stack, i)
		case c == close && len(stack) > 0:
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) == 0 {
		return -1
	}
	return stack[len(stack)-1]
}

// unclosedQuote returns the offset of a quote that opens a string not
// closed on line, or -1.
func unclosedQuote(line string) int {
	start := -1
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				if quote == '\'' && i+1 < len(line) && line[i+1] == '\'' {
					i++ // '' is a quote inside a single-quoted string
					continue
				}
				quote, start = 0, -1
			}
		case (c == '"' || c == '\'') && (i == 0 || strings.IndexByte(" \t:[{,-", line[i-1]) >= 0):
			quote, start = c, i
		case c == '#' && (i == 0 || line[i-1] == ' '):
			return -1
		}
	}
	return start
}

// jsonSyntax checks that a .json file is JSON (not merely YAML, which
// would accept a trailing comma or a comment) and locates the first error.
func jsonSyntax(file string, src []byte) (Diagnostic, bool) {
	if len(bytes.TrimSpace(src)) == 0 {
		return Diagnostic{}, true // empty, like an empty YAML file
	}
	var v any
	err := json.Unmarshal(src, &v)
	if err == nil {
		return Diagnostic{}, true
	}
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return Diagnostic{Pos: Pos{File: file}, Summary: "invalid JSON: " + err.Error()}, false
	}
	off := int(se.Offset) - 1 // the offending byte
	msg := se.Error()
	if trimmed := len(bytes.TrimRight(src, " \t\r\n")); strings.HasPrefix(msg, "unexpected end") { // point at the last character
		off = trimmed - 1
		msg += " (a { or [ is not closed)"
	}
	off = max(0, min(off, len(src)-1))
	if prev := bytes.TrimRight(src[:off], " \t\r\n"); len(prev) > 0 && prev[len(prev)-1] == ',' && (src[off] == '}' || src[off] == ']') {
		msg += " (JSON allows no comma before a closing " + string(src[off]) + ")"
	}
	line := 1 + bytes.Count(src[:off], []byte("\n"))
	ls := bytes.LastIndexByte(src[:off], '\n') + 1
	return Diagnostic{Pos: Pos{File: file, Line: line, Col: utf8.RuneCount(src[ls:off]) + 1}, Summary: "invalid JSON: " + msg}, false
}

package manifest

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func TestJSONSyntax(t *testing.T) {
	tests := []struct {
		src  string
		want string // "" = valid
	}{
		{"", ""},
		{" \n\t", ""},
		{`{"accounts": {}}`, ""},
		{"{\n  \"a\": 1,\n}", `m.json:3:1: invalid JSON: invalid character '}' looking for beginning of object key string (JSON allows no comma before a closing })`},
		{"[1, 2,]", `m.json:1:7: invalid JSON: invalid character ']' looking for beginning of value (JSON allows no comma before a closing ])`},
		{"{\"a\": {", `m.json:1:7: invalid JSON: unexpected end of JSON input (a { or [ is not closed)`},
		{"# comment\n{}", `m.json:1:1: invalid JSON: invalid character '#' looking for beginning of value`},
		{"{\"é\": x}", `m.json:1:7: invalid JSON: invalid character 'x' looking for beginning of value`},
	}
	for _, tt := range tests {
		d, ok := jsonSyntax("m.json", []byte(tt.src))
		got := ""
		if !ok {
			got = d.Error()
		}
		if got != tt.want {
			t.Errorf("jsonSyntax(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestYAMLDiagColumns(t *testing.T) {
	tests := []struct {
		src, want string
	}{
		{"a:\n  b: {c: 1\n  d:\n", `m.yaml:2:6: invalid YAML: did not find expected ',' or '}' (this { is not closed)`},
		{"a: [1, {b: 2}\n", `m.yaml:1:4: invalid YAML: did not find expected ',' or ']' (this [ is not closed)`},
		{"a:\n  b: \"x\n", `m.yaml:2:6: invalid YAML: found unexpected end of stream (this quoted string is not closed)`},
		{"a:\n\tb: 1\n", `m.yaml:2:1: invalid YAML: found character that cannot start any token (a tab: indent with spaces)`},
		{"a: 1\n  b: 2\n", `m.yaml:2:3: invalid YAML: mapping values are not allowed in this context`},
	}
	for _, tt := range tests {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(tt.src), &n)
		if err == nil {
			t.Fatalf("%q parsed", tt.src)
		}
		if got := yamlDiag("m.yaml", []byte(tt.src), err).Error(); got != tt.want {
			t.Errorf("yamlDiag(%q) [%v] = %q, want %q", tt.src, err, got, tt.want)
		}
	}
}

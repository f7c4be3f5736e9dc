package dag

import "testing"

func TestDOT(t *testing.T) {
	tests := []struct {
		g    *Graph
		want string
	}{
		{New(), "digraph {\n\trankdir = \"RL\";\n}\n"},
		{build("accounts.b>accounts.a"), "digraph {\n\trankdir = \"RL\";\n\t\"accounts.a\";\n\t\"accounts.b\";\n\t\"accounts.b\" -> \"accounts.a\";\n}\n"},
	}
	for _, tt := range tests {
		if got := tt.g.DOT(); got != tt.want {
			t.Errorf("got\n%s\nwant\n%s", got, tt.want)
		}
	}
}

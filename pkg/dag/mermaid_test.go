package dag

import "testing"

func TestMermaid(t *testing.T) {
	tests := []struct {
		g    *Graph
		want string
	}{
		{New(), "flowchart LR\n"},
		{func() *Graph { g := build("b>a"); g.AddVertex(`q"<x>`); return g }(), "flowchart LR\n    n0[\"a\"]\n    n1[\"b\"]\n    n2[\"q#quot;#lt;x#gt;\"]\n    n0 --> n1\n"},
	}
	for _, tt := range tests {
		if got := tt.g.Mermaid(); got != tt.want {
			t.Errorf("got\n%s\nwant\n%s", got, tt.want)
		}
	}
}

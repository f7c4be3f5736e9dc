package dag

import (
	"fmt"
	"strings"
)

// DOT renders g in Graphviz DOT. Edges point from dependent to dependency;
// vertices and edges are sorted so the output is stable.
func (g *Graph) DOT() string {
	var b strings.Builder
	b.WriteString("digraph {\n\trankdir = \"RL\";\n")
	for _, v := range g.Vertices() {
		fmt.Fprintf(&b, "\t%q;\n", v)
	}
	for _, e := range g.Edges() {
		fmt.Fprintf(&b, "\t%q -> %q;\n", e.From, e.To)
	}
	b.WriteString("}\n")
	return b.String()
}

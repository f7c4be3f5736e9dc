package dag

import (
	"fmt"
	"strings"
)

// Mermaid renders g as a Mermaid flowchart. Dependencies are drawn first
// (arrows point from a dependency to what needs it, the order things run).
// Node ids are n0, n1... in sorted vertex order; labels are the vertex names.
func (g *Graph) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[string]string{}
	for i, v := range g.Vertices() {
		ids[v] = fmt.Sprintf("n%d", i)
		fmt.Fprintf(&b, "    %s[\"%s\"]\n", ids[v], mermaidEscape(v))
	}
	for _, e := range g.Edges() {
		fmt.Fprintf(&b, "    %s --> %s\n", ids[e.To], ids[e.From])
	}
	return b.String()
}

func mermaidEscape(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;").Replace(s)
}

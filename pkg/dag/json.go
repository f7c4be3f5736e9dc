package dag

import (
	"encoding/json"
	"fmt"
)

// jsonGraph is the JSON form of a graph: sorted vertices and edges, where an
// edge {"from": a, "to": b} means a needs b.
type jsonGraph struct {
	Vertices []string `json:"vertices"`
	Edges    []Edge   `json:"edges"`
}

// MarshalJSON encodes g as {"vertices": [...], "edges": [{"from","to"}]}.
func (g *Graph) MarshalJSON() ([]byte, error) {
	edges := g.Edges()
	if edges == nil {
		edges = []Edge{}
	}
	return json.Marshal(jsonGraph{Vertices: g.Vertices(), Edges: edges})
}

// UnmarshalJSON replaces g with the graph encoded by MarshalJSON. Edges may
// name vertices missing from the vertex list; they are added.
func (g *Graph) UnmarshalJSON(data []byte) error {
	var jg jsonGraph
	if err := json.Unmarshal(data, &jg); err != nil {
		return fmt.Errorf("decode graph: %w", err)
	}
	*g = *New()
	for _, v := range jg.Vertices {
		g.AddVertex(v)
	}
	for i, e := range jg.Edges {
		if e.From == "" || e.To == "" {
			return fmt.Errorf("decode graph: edges[%d]: from and to are required", i)
		}
		g.Connect(e.From, e.To)
	}
	return nil
}

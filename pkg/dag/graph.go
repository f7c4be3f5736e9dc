// Package dag is a small directed-graph library used to order and run work
// that has dependencies between its parts.
//
// Vertices are strings (in brokerctl, resource addresses such as
// "accounts.alice"); an edge is added with Connect(dependent, dependency) and
// means "dependent needs dependency to finish first". The package knows
// nothing about the Broker API, manifests or state: it only orders, checks
// and walks vertices.
//
// A Graph is not safe for concurrent mutation. Walk only reads the graph, so
// several walks of a graph that is no longer changed may run at once.
package dag

import (
	"slices"
	"sort"
)

// Graph is a directed graph of string vertices where an edge points from a
// dependent to one of its dependencies. The zero value is not usable; call New.
type Graph struct {
	vertices     map[string]struct{}
	dependencies map[string]map[string]struct{} // v -> what v needs
	dependents   map[string]map[string]struct{} // v -> what needs v
}

// Edge is one dependency: From needs To.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// New returns an empty graph.
func New() *Graph {
	return &Graph{
		vertices:     map[string]struct{}{},
		dependencies: map[string]map[string]struct{}{},
		dependents:   map[string]map[string]struct{}{},
	}
}

// AddVertex adds v; adding a vertex twice is a no-op.
func (g *Graph) AddVertex(v string) {
	g.vertices[v] = struct{}{}
}

// HasVertex reports whether v is in the graph.
func (g *Graph) HasVertex(v string) bool {
	_, ok := g.vertices[v]
	return ok
}

// RemoveVertex removes v and every edge touching it.
func (g *Graph) RemoveVertex(v string) {
	for d := range g.dependencies[v] {
		delete(g.dependents[d], v)
	}
	for d := range g.dependents[v] {
		delete(g.dependencies[d], v)
	}
	delete(g.dependencies, v)
	delete(g.dependents, v)
	delete(g.vertices, v)
}

// Connect records that dependent needs dependency. Both vertices are added
// if missing. A self-edge (dependent == dependency) is kept and reported by
// Cycles, because it is always a mistake in the input.
func (g *Graph) Connect(dependent, dependency string) {
	g.AddVertex(dependent)
	g.AddVertex(dependency)
	if g.dependencies[dependent] == nil {
		g.dependencies[dependent] = map[string]struct{}{}
	}
	if g.dependents[dependency] == nil {
		g.dependents[dependency] = map[string]struct{}{}
	}
	g.dependencies[dependent][dependency] = struct{}{}
	g.dependents[dependency][dependent] = struct{}{}
}

// Disconnect removes the edge dependent -> dependency if present.
func (g *Graph) Disconnect(dependent, dependency string) {
	delete(g.dependencies[dependent], dependency)
	delete(g.dependents[dependency], dependent)
}

// HasEdge reports whether dependent directly needs dependency.
func (g *Graph) HasEdge(dependent, dependency string) bool {
	_, ok := g.dependencies[dependent][dependency]
	return ok
}

// Len is the number of vertices.
func (g *Graph) Len() int { return len(g.vertices) }

// Vertices returns every vertex, sorted.
func (g *Graph) Vertices() []string { return sortedKeys(g.vertices) }

// Dependencies returns what v directly needs, sorted.
func (g *Graph) Dependencies(v string) []string { return sortedKeys(g.dependencies[v]) }

// Dependents returns what directly needs v, sorted.
func (g *Graph) Dependents(v string) []string { return sortedKeys(g.dependents[v]) }

// Edges returns every edge sorted by From then To.
func (g *Graph) Edges() []Edge {
	var out []Edge
	for _, from := range g.Vertices() {
		for _, to := range g.Dependencies(from) {
			out = append(out, Edge{From: from, To: to})
		}
	}
	return out
}

// Ancestors returns every vertex v needs directly or transitively, sorted.
func (g *Graph) Ancestors(v string) []string { return g.reach(v, g.dependencies) }

// Descendants returns every vertex that needs v directly or transitively,
// sorted: the vertices that cannot run if v fails.
func (g *Graph) Descendants(v string) []string { return g.reach(v, g.dependents) }

func (g *Graph) reach(v string, next map[string]map[string]struct{}) []string {
	seen := map[string]struct{}{}
	stack := []string{v}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for n := range next[cur] {
			if _, ok := seen[n]; !ok {
				seen[n] = struct{}{}
				stack = append(stack, n)
			}
		}
	}
	delete(seen, v)
	return sortedKeys(seen)
}

// Subgraph returns a copy of g restricted to keep and the edges between them.
func (g *Graph) Subgraph(keep []string) *Graph {
	out := New()
	in := map[string]bool{}
	for _, v := range keep {
		if g.HasVertex(v) {
			in[v] = true
			out.AddVertex(v)
		}
	}
	for v := range in {
		for d := range g.dependencies[v] {
			if in[d] {
				out.Connect(v, d)
			}
		}
	}
	return out
}

// Reverse returns a copy of g with every edge turned around, so that walking
// it visits dependents before their dependencies (used for destroy).
func (g *Graph) Reverse() *Graph {
	out := New()
	for v := range g.vertices {
		out.AddVertex(v)
	}
	for v, deps := range g.dependencies {
		for d := range deps {
			out.Connect(d, v)
		}
	}
	return out
}

// TopoSort returns every vertex with each dependency before its dependents;
// ties are broken by name, so the order is deterministic. If the graph has a
// cycle it returns a *CycleError naming every cycle.
func (g *Graph) TopoSort() ([]string, error) {
	if cycles := g.Cycles(); len(cycles) > 0 {
		return nil, &CycleError{Cycles: cycles}
	}
	indeg := make(map[string]int, len(g.vertices))
	for v := range g.vertices {
		indeg[v] = len(g.dependencies[v])
	}
	var ready []string
	for v, n := range indeg {
		if n == 0 {
			ready = append(ready, v)
		}
	}
	sort.Strings(ready)
	out := make([]string, 0, len(g.vertices))
	for len(ready) > 0 {
		v := ready[0]
		ready = ready[1:]
		out = append(out, v)
		var next []string
		for d := range g.dependents[v] {
			indeg[d]--
			if indeg[d] == 0 {
				next = append(next, d)
			}
		}
		if len(next) > 0 {
			ready = append(ready, next...)
			sort.Strings(ready)
		}
	}
	return out, nil
}

// CriticalPath returns, for every vertex, the number of vertices on the
// longest chain of dependents that starts at it (a vertex with no dependents
// has 1). Walking vertices with a higher value first starts long chains
// early, which shortens the whole walk. Vertices on a cycle get 1.
func (g *Graph) CriticalPath() map[string]int {
	out := make(map[string]int, len(g.vertices))
	order, err := g.TopoSort()
	if err != nil {
		for v := range g.vertices {
			out[v] = 1
		}
		return out
	}
	for i := len(order) - 1; i >= 0; i-- {
		v := order[i]
		best := 0
		for d := range g.dependents[v] {
			best = max(best, out[d])
		}
		out[v] = best + 1
	}
	return out
}

// TransitiveReduction removes every edge a -> c for which another path
// a -> ... -> c exists, leaving the fewest edges with the same ordering. It
// is meant for display; it does nothing on a graph with a cycle.
func (g *Graph) TransitiveReduction() {
	if len(g.Cycles()) > 0 {
		return
	}
	for _, u := range g.Vertices() {
		for _, v := range g.Dependencies(u) {
			for _, w := range g.Ancestors(v) {
				g.Disconnect(u, w)
			}
		}
	}
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

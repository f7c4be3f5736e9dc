package dag

import (
	"fmt"
	"slices"
	"strings"
)

// CycleError reports that a graph cannot be ordered. Each cycle is a full
// path that starts and ends at the same vertex, following dependencies:
// ["a", "b", "a"] means a needs b and b needs a.
type CycleError struct {
	Cycles [][]string
}

func (e *CycleError) Error() string {
	parts := make([]string, len(e.Cycles))
	for i, c := range e.Cycles {
		parts[i] = strings.Join(c, " -> ")
	}
	if len(parts) == 1 {
		return "dependency cycle: " + parts[0]
	}
	return fmt.Sprintf("%d dependency cycles: %s", len(parts), strings.Join(parts, "; "))
}

// StronglyConnected returns the strongly connected components of g (Tarjan's
// algorithm). Each component is sorted, and components are sorted by their
// first vertex, so the result does not depend on map order.
func (g *Graph) StronglyConnected() [][]string {
	t := tarjan{g: g, index: map[string]int{}, low: map[string]int{}, onStack: map[string]bool{}}
	for _, v := range g.Vertices() {
		if _, seen := t.index[v]; !seen {
			t.strongConnect(v)
		}
	}
	for _, c := range t.sccs {
		slices.Sort(c)
	}
	slices.SortFunc(t.sccs, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return t.sccs
}

// Cycles returns every cycle as a full path (first vertex repeated at the
// end), one per strongly connected component with more than one vertex or a
// self-edge. Each path starts at the component's smallest vertex and follows
// the smallest next vertex that leads back, so the output is deterministic.
func (g *Graph) Cycles() [][]string {
	var out [][]string
	for _, scc := range g.StronglyConnected() {
		if len(scc) == 1 {
			if g.HasEdge(scc[0], scc[0]) {
				out = append(out, []string{scc[0], scc[0]})
			}
			continue
		}
		out = append(out, g.cyclePath(scc))
	}
	return out
}

// cyclePath finds a cycle through the smallest vertex of a strongly connected
// component by a depth-first search restricted to the component.
func (g *Graph) cyclePath(scc []string) []string {
	in := map[string]bool{}
	for _, v := range scc {
		in[v] = true
	}
	start := scc[0]
	visited := map[string]bool{}
	var path []string
	var dfs func(v string) bool
	dfs = func(v string) bool {
		path = append(path, v)
		visited[v] = true
		for _, d := range g.Dependencies(v) {
			if !in[d] {
				continue
			}
			if d == start {
				path = append(path, start)
				return true
			}
			if !visited[d] && dfs(d) {
				return true
			}
		}
		path = path[:len(path)-1]
		return false
	}
	dfs(start)
	return path
}

type tarjan struct {
	g       *Graph
	next    int
	index   map[string]int
	low     map[string]int
	stack   []string
	onStack map[string]bool
	sccs    [][]string
}

// strongConnect is the recursive step of Tarjan's algorithm. Manifests have
// at most tens of thousands of resources and shallow chains, so recursion
// depth is bounded by the longest dependency chain.
func (t *tarjan) strongConnect(v string) {
	t.index[v] = t.next
	t.low[v] = t.next
	t.next++
	t.stack = append(t.stack, v)
	t.onStack[v] = true
	for _, w := range t.g.Dependencies(v) {
		if _, seen := t.index[w]; !seen {
			t.strongConnect(w)
			t.low[v] = min(t.low[v], t.low[w])
		} else if t.onStack[w] {
			t.low[v] = min(t.low[v], t.index[w])
		}
	}
	if t.low[v] != t.index[v] {
		return
	}
	var scc []string
	for {
		w := t.stack[len(t.stack)-1]
		t.stack = t.stack[:len(t.stack)-1]
		t.onStack[w] = false
		scc = append(scc, w)
		if w == v {
			break
		}
	}
	t.sccs = append(t.sccs, scc)
}

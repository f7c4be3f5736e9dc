package dag

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// graphFromBytes reads pairs of bytes as edges between up to 16 vertices.
func graphFromBytes(data []byte) *Graph {
	g := New()
	for i := 0; i+1 < len(data); i += 2 {
		g.Connect(fmt.Sprintf("v%d", data[i]%16), fmt.Sprintf("v%d", data[i+1]%16))
	}
	return g
}

// FuzzGraph checks the invariants every graph must keep: a topological
// order respects every edge, or the reported cycles are real paths; a walk
// runs each vertex at most once, only after its dependencies, and accounts
// for every vertex exactly once.
func FuzzGraph(f *testing.F) {
	f.Add([]byte{1, 2, 2, 3})
	f.Add([]byte{1, 2, 2, 1, 3, 4})
	f.Add([]byte{5, 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		g := graphFromBytes(data)
		order, err := g.TopoSort()
		if err == nil {
			pos := map[string]int{}
			for i, v := range order {
				pos[v] = i
			}
			for _, e := range g.Edges() {
				if pos[e.To] >= pos[e.From] {
					t.Fatalf("order %v puts %s before its dependency %s", order, e.From, e.To)
				}
			}
		} else {
			for _, c := range g.Cycles() {
				if c[0] != c[len(c)-1] {
					t.Fatalf("cycle %v is not closed", c)
				}
				for i := 0; i+1 < len(c); i++ {
					if !g.HasEdge(c[i], c[i+1]) {
						t.Fatalf("cycle %v has no edge %s -> %s", c, c[i], c[i+1])
					}
				}
			}
		}
		var mu sync.Mutex
		done := map[string]int{}
		res := g.Walk(context.Background(), WalkOptions{Parallelism: 3}, func(_ context.Context, v string) error {
			mu.Lock()
			defer mu.Unlock()
			for _, d := range g.Dependencies(v) {
				if done[d] == 0 {
					t.Errorf("%s ran before %s", v, d)
				}
			}
			done[v]++
			if len(v)%2 == 0 && v[1] == '3' { // fail v3 to exercise skips
				return fmt.Errorf("boom")
			}
			return nil
		})
		accounted := len(res.Completed) + len(res.Errors) + len(res.Skipped) + len(res.NotRun)
		if accounted != g.Len() {
			t.Fatalf("walk accounted for %d of %d vertices: %+v", accounted, g.Len(), res)
		}
		for v, n := range done {
			if n != 1 {
				t.Fatalf("%s ran %d times", v, n)
			}
		}
	})
}

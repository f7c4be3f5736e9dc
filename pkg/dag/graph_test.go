package dag

import (
	"reflect"
	"testing"
)

// build makes a graph from "a>b" strings meaning a needs b, and bare names.
func build(specs ...string) *Graph {
	g := New()
	for _, s := range specs {
		for i := 0; i < len(s); i++ {
			if s[i] == '>' {
				g.Connect(s[:i], s[i+1:])
				goto next
			}
		}
		g.AddVertex(s)
	next:
	}
	return g
}

func TestGraphBasics(t *testing.T) {
	g := build("c>b", "b>a", "c>a", "d")
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"vertices", g.Vertices(), []string{"a", "b", "c", "d"}},
		{"deps c", g.Dependencies("c"), []string{"a", "b"}},
		{"dependents a", g.Dependents("a"), []string{"b", "c"}},
		{"deps d", g.Dependencies("d"), []string{}},
		{"ancestors c", g.Ancestors("c"), []string{"a", "b"}},
		{"descendants a", g.Descendants("a"), []string{"b", "c"}},
		{"edges", g.Edges(), []Edge{{"b", "a"}, {"c", "a"}, {"c", "b"}}},
		{"len", g.Len(), 4},
		{"has edge", g.HasEdge("c", "b"), true},
		{"no reverse edge", g.HasEdge("b", "c"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Fatalf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestRemoveVertexAndReverse(t *testing.T) {
	g := build("c>b", "b>a")
	g.RemoveVertex("b")
	if got := g.Vertices(); !reflect.DeepEqual(got, []string{"a", "c"}) {
		t.Fatalf("vertices %v", got)
	}
	if len(g.Edges()) != 0 || len(g.Dependents("a")) != 0 {
		t.Fatalf("edges survived removal: %v", g.Edges())
	}
	r := build("c>b", "b>a").Reverse()
	if got := r.Edges(); !reflect.DeepEqual(got, []Edge{{"a", "b"}, {"b", "c"}}) {
		t.Fatalf("reverse edges %v", got)
	}
	s := build("c>b", "b>a", "d>c").Subgraph([]string{"a", "b", "d", "zz"})
	if got := s.Edges(); !reflect.DeepEqual(got, []Edge{{"b", "a"}}) {
		t.Fatalf("subgraph edges %v", got)
	}
}

func TestTopoSort(t *testing.T) {
	tests := []struct {
		name    string
		g       *Graph
		want    []string
		wantErr string
	}{
		{"empty", New(), []string{}, ""},
		{"chain", build("c>b", "b>a"), []string{"a", "b", "c"}, ""},
		{"diamond ties by name", build("d>b", "d>c", "b>a", "c>a", "e"), []string{"a", "b", "c", "d", "e"}, ""},
		{"cycle", build("a>b", "b>c", "c>a", "d>a"), nil, "dependency cycle: a -> b -> c -> a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.g.TopoSort()
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !IsCycle(err) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCriticalPath(t *testing.T) {
	g := build("b>a", "c>b", "d>c", "x")
	want := map[string]int{"a": 4, "b": 3, "c": 2, "d": 1, "x": 1}
	if got := g.CriticalPath(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestTransitiveReduction(t *testing.T) {
	tests := []struct {
		name string
		g    *Graph
		want []Edge
	}{
		{"triangle", build("c>b", "b>a", "c>a"), []Edge{{"b", "a"}, {"c", "b"}}},
		{"long shortcut", build("d>c", "c>b", "b>a", "d>a", "d>b"), []Edge{{"b", "a"}, {"c", "b"}, {"d", "c"}}},
		{"cycle untouched", build("a>b", "b>a", "a>c", "b>c"), []Edge{{"a", "b"}, {"a", "c"}, {"b", "a"}, {"b", "c"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.g.TransitiveReduction()
			if got := tt.g.Edges(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

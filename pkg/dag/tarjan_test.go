package dag

import (
	"reflect"
	"testing"
)

func TestCycles(t *testing.T) {
	tests := []struct {
		name string
		g    *Graph
		want [][]string
	}{
		{"acyclic", build("b>a", "c>b"), nil},
		{"self loop", build("a>a", "b>a"), [][]string{{"a", "a"}}},
		{"two", build("a>b", "b>a"), [][]string{{"a", "b", "a"}}},
		{"three with tail", build("x>b", "b>c", "c>d", "d>b"), [][]string{{"b", "c", "d", "b"}}},
		{"two separate cycles", build("a>b", "b>a", "m>n", "n>o", "o>m"), [][]string{{"a", "b", "a"}, {"m", "n", "o", "m"}}},
		{"figure eight picks a real path", build("a>b", "b>a", "b>c", "c>a"), [][]string{{"a", "b", "a"}}},
		{"path avoids dead ends", build("a>b", "b>z", "b>c", "c>a"), [][]string{{"a", "b", "c", "a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.g.Cycles()
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for _, c := range got {
				for i := 0; i+1 < len(c); i++ {
					if !tt.g.HasEdge(c[i], c[i+1]) {
						t.Fatalf("cycle %v: no edge %s -> %s", c, c[i], c[i+1])
					}
				}
			}
		})
	}
}

func TestStronglyConnected(t *testing.T) {
	g := build("a>b", "b>a", "c>a", "d")
	want := [][]string{{"a", "b"}, {"c"}, {"d"}}
	if got := g.StronglyConnected(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestCycleErrorMessage(t *testing.T) {
	tests := []struct {
		cycles [][]string
		want   string
	}{
		{[][]string{{"a", "b", "a"}}, "dependency cycle: a -> b -> a"},
		{[][]string{{"a", "a"}, {"x", "y", "x"}}, "2 dependency cycles: a -> a; x -> y -> x"},
	}
	for _, tt := range tests {
		if got := (&CycleError{Cycles: tt.cycles}).Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

package dag

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestJSONRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		g    *Graph
		want string
	}{
		{"empty", New(), `{"vertices":[],"edges":[]}`},
		{"edges", build("b>a", "c"), `{"vertices":["a","b","c"],"edges":[{"from":"b","to":"a"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.g)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Fatalf("got %s, want %s", b, tt.want)
			}
			back := New()
			if err := json.Unmarshal(b, back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back.Edges(), tt.g.Edges()) || !reflect.DeepEqual(back.Vertices(), tt.g.Vertices()) {
				t.Fatalf("round trip differs: %v", back.Edges())
			}
		})
	}
}

func TestUnmarshalJSONErrors(t *testing.T) {
	for _, in := range []string{`{"edges":[{"from":"a"}]}`, `[`} {
		if err := json.Unmarshal([]byte(in), New()); err == nil {
			t.Errorf("%s: want error", in)
		}
	}
}

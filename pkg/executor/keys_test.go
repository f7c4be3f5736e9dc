package executor

import "testing"

func TestIdempotencyKey(t *testing.T) {
	base := IdempotencyKey([]byte("salt"), "default", "journals.seed", "h1", "")
	tests := []struct {
		name                           string
		salt, ws, addr, hash, previous string
		same                           bool
	}{
		{"identical inputs", "salt", "default", "journals.seed", "h1", "", true},
		{"other salt", "pepper", "default", "journals.seed", "h1", "", false},
		{"other workspace", "salt", "ci", "journals.seed", "h1", "", false},
		{"other address", "salt", "default", "journals.other", "h1", "", false},
		{"changed spec", "salt", "default", "journals.seed", "h2", "", false},
		{"chained after failure", "salt", "default", "journals.seed", "h1", base, false},
		{"no ambiguity across field boundaries", "salt", "default", "journals.seedh", "1", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := IdempotencyKey([]byte(tt.salt), tt.ws, tt.addr, tt.hash, tt.previous)
			if len(got) != 36 {
				t.Fatalf("key %q has %d chars, want 36", got, len(got))
			}
			if (got == base) != tt.same {
				t.Fatalf("key %s vs base %s: same=%v, want %v", got, base, got == base, tt.same)
			}
		})
	}
}

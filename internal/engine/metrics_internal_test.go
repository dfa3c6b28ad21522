package engine

import (
	"strconv"
	"testing"
)

func TestLabelSetBounded(t *testing.T) {
	t.Parallel()
	l := &labelSet{max: 3, seen: map[string]bool{}}
	for i := range 3 {
		if got := l.label("c" + strconv.Itoa(i)); got != "c"+strconv.Itoa(i) {
			t.Fatalf("label %d = %q", i, got)
		}
	}
	if got := l.label("c3"); got != otherLabel {
		t.Fatalf("fourth value = %q, want %q", got, otherLabel)
	}
	if got := l.label("c1"); got != "c1" {
		t.Fatalf("a value seen before = %q", got)
	}
}

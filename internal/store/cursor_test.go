package store

import (
	"errors"
	"testing"
)

func TestCursorRoundTripAndRejects(t *testing.T) {
	t.Parallel()
	c := EncodeCursor(IDKey{ID: "default"})
	id, ok, err := DecodeIDCursor(c)
	if err != nil || !ok || id != "default" {
		t.Fatalf("round trip: %q %v %v", id, ok, err)
	}
	if _, ok, err := DecodeIDCursor(""); ok || err != nil {
		t.Fatalf("empty cursor is the first page: %v %v", ok, err)
	}
	for _, bad := range []string{
		"%%%",                                // not base64url
		EncodeCursor(map[string]int{"x": 1}), // unknown field
		EncodeCursor(IDKey{}),                // empty key
		EncodeCursor(IDKey{ID: "a"}) + "AA",  // trailing bytes
	} {
		if _, _, err := DecodeIDCursor(bad); !errors.Is(err, ErrBadCursor) {
			t.Errorf("DecodeIDCursor(%q) = %v, want ErrBadCursor", bad, err)
		}
	}
}

func TestPaginate(t *testing.T) {
	t.Parallel()
	key := func(s string) any { return IDKey{ID: s} }
	items, next := Paginate([]string{"a", "b", "c"}, 2, key)
	if len(items) != 2 || next != EncodeCursor(IDKey{ID: "b"}) {
		t.Fatalf("full page: %v %q", items, next)
	}
	if items, next := Paginate([]string{"a", "b"}, 2, key); len(items) != 2 || next != "" {
		t.Fatalf("last page: %v %q", items, next)
	}
}

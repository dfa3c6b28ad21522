package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ValidText reports whether s can be stored as text by every store: valid
// UTF-8 without NUL characters (PostgreSQL refuses both). Ids and names
// from clients are checked against it at the edge.
func ValidText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// A cursor is the base64url-encoded JSON of the last key a page returned,
// the same format in every implementation. Clients treat it as opaque;
// decoding it strictly means a tampered or truncated cursor is a clear
// error rather than a silently wrong page.

// EncodeCursor encodes the key of the last item of a page.
func EncodeCursor(key any) string {
	b, err := json.Marshal(key)
	if err != nil {
		// Keys are structs of strings and ints; this cannot fail.
		panic(fmt.Sprintf("store: encode cursor: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor fills key from cursor. It returns false for the empty cursor
// (the first page) and a wrapped ErrBadCursor for anything malformed.
func DecodeCursor(cursor string, key any) (bool, error) {
	if cursor == "" {
		return false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return false, fmt.Errorf("%w: not base64url", ErrBadCursor)
	}
	// No key holds a NUL character or invalid UTF-8, which PostgreSQL
	// cannot even compare: such a cursor was not made by a store.
	if !utf8.Valid(b) || bytes.Contains(b, []byte(`\u0000`)) {
		return false, fmt.Errorf("%w: unexpected content", ErrBadCursor)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(key); err != nil || dec.More() {
		return false, fmt.Errorf("%w: unexpected content", ErrBadCursor)
	}
	return true, nil
}

// IDKey is the cursor key of the lists ordered by id.
type IDKey struct {
	ID string `json:"id"`
}

// DecodeIDCursor decodes the cursor of a list ordered by id.
func DecodeIDCursor(cursor string) (string, bool, error) {
	var k IDKey
	ok, err := DecodeCursor(cursor, &k)
	if ok && k.ID == "" {
		return "", false, fmt.Errorf("%w: empty key", ErrBadCursor)
	}
	return k.ID, ok, err
}

// Paginate trims a result fetched with one extra row to the page size and
// returns the next cursor, computed from the last kept item.
func Paginate[T any](items []T, size int, key func(T) any) ([]T, string) {
	if len(items) <= size {
		return items, ""
	}
	items = items[:size]
	return items, EncodeCursor(key(items[len(items)-1]))
}

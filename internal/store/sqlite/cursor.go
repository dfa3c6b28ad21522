package sqlite

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/superego-lab/superego/internal/store"
)

// A cursor is the base64url-encoded JSON of the last key a page returned.
// Clients treat it as opaque; decoding it strictly means a tampered or
// truncated cursor is a clear error rather than a silently wrong page.

func encodeCursor(key any) string {
	b, err := json.Marshal(key)
	if err != nil {
		// Keys are strings and ints; this cannot fail.
		panic(fmt.Sprintf("sqlite: encode cursor: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor fills key from cursor. It returns false for the empty cursor
// (the first page).
func decodeCursor(cursor string, key any) (bool, error) {
	if cursor == "" {
		return false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return false, fmt.Errorf("%w: not base64url", store.ErrBadCursor)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(key); err != nil || dec.More() {
		return false, fmt.Errorf("%w: unexpected content", store.ErrBadCursor)
	}
	return true, nil
}

// idKey is the cursor of the lists ordered by id.
type idKey struct {
	ID string `json:"id"`
}

func decodeIDCursor(cursor string) (string, bool, error) {
	var k idKey
	ok, err := decodeCursor(cursor, &k)
	if ok && k.ID == "" {
		return "", false, fmt.Errorf("%w: empty key", store.ErrBadCursor)
	}
	return k.ID, ok, err
}

// page trims a result fetched with one extra row to the page size and
// returns the next cursor, computed from the last kept item.
func page[T any](items []T, size int, key func(T) any) ([]T, string) {
	if len(items) <= size {
		return items, ""
	}
	items = items[:size]
	return items, encodeCursor(key(items[len(items)-1]))
}

// scanner is what *sql.Row and *sql.Rows share.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, errors.Join(err, rows.Close())
		}
		out = append(out, v)
	}
	return out, errors.Join(rows.Err(), rows.Close())
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// TimeLayout is how SQLite keeps times: fixed-width, so stored times sort
// as strings, at microseconds like PostgreSQL's timestamptz. Cursors carry
// times in this form on both databases.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Scanner is what *sql.Row, *sql.Rows and pgx's rows share.
type Scanner interface{ Scan(dest ...any) error }

// Querier runs a query: a *sql.DB, a *sql.Tx, this store's connections,
// or the evaluation store's (internal/evals/evalsql), which share these
// helpers.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryAll runs a query and scans every row with scan.
func queryAll[T any](ctx context.Context, q db, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
	return QueryAll(ctx, q, scan, query, args...)
}

// QueryAll runs a query and scans every row with scan.
func QueryAll[T any](ctx context.Context, q Querier, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
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

// QueryPage reads one keyset page: query selects the rows after the
// cursor's key and ends with its ORDER BY; QueryPage appends the LIMIT
// (one row more than the page, to know whether another follows) and
// returns the page with the cursor of the next one, built by keyOf from
// the page's last row ("" on the last page).
func QueryPage[T any](ctx context.Context, q Querier, scan func(Scanner) (T, error), p store.Page, keyOf func(T) any, query string, args ...any) ([]T, string, error) {
	out, err := QueryAll(ctx, q, scan, query+` LIMIT ?`, append(args, p.Size()+1)...)
	if err != nil {
		return nil, "", err
	}
	items, next := store.Paginate(out, p.Size(), keyOf)
	return items, next, nil
}

// at scans a time column, stored as text (SQLite) or timestamptz
// (PostgreSQL), into a UTC time.
type at struct{ t *time.Time }

// Scan implements sql.Scanner.
func (a at) Scan(src any) error {
	t, err := parseTime(src)
	if err != nil {
		return err
	}
	if t == nil {
		return errors.New("stored time is NULL")
	}
	*a.t = *t
	return nil
}

// atOrNil scans a nullable time column.
type atOrNil struct{ t **time.Time }

// Scan implements sql.Scanner.
func (a atOrNil) Scan(src any) error {
	t, err := parseTime(src)
	*a.t = t
	return err
}

func parseTime(src any) (*time.Time, error) {
	var t time.Time
	switch v := src.(type) {
	case nil:
		return nil, nil
	case time.Time:
		t = v.UTC()
	case string:
		return parseText(v)
	case []byte:
		return parseText(string(v))
	default:
		return nil, fmt.Errorf("stored time has type %T", src)
	}
	return &t, nil
}

func parseText(s string) (*time.Time, error) {
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		return nil, fmt.Errorf("stored time %q: %w", s, err)
	}
	t = t.UTC()
	return &t, nil
}

// paramsOf scans a JSON column of generation parameters (” for none)
// into a pointer, nil for none.
type paramsOf struct{ p **model.ModelParams }

// Scan implements sql.Scanner.
func (c paramsOf) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case nil:
	default:
		return fmt.Errorf("model parameters stored as %T", src)
	}
	p, err := model.DecodeParams(s)
	*c.p = p
	return err
}

// paramsIn scans the same column into a value, empty for none.
type paramsIn struct{ p *model.ModelParams }

// Scan implements sql.Scanner.
func (c paramsIn) Scan(src any) error {
	var p *model.ModelParams
	if err := (paramsOf{&p}).Scan(src); err != nil {
		return err
	}
	*c.p = model.ModelParams{}
	if p != nil {
		*c.p = *p
	}
	return nil
}

// encodeParams is the stored form of a value's parameters.
func encodeParams(p model.ModelParams) string { return model.EncodeParams(&p) }

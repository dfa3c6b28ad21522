package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/superego-lab/superego/internal/store"
)

// table describes one resource's table: its name, the columns its scan
// function reads (in order) and the resource's name in errors.
type table[T any] struct {
	name, resource, cols string
	scan                 func(Scanner) (T, error)
	// clone, for a type with pointers, copies what they point at: a row
	// served from the row cache is a copy of the kept one, so that a
	// caller changing what it was given cannot change the cache.
	clone func(T) T
}

// get reads the row with id; a missing one is store.ErrNotFound. lock is
// appended to the SELECT (a Dialect lock inside a transaction, or "").
// Outside a transaction, a table with a row cache (cache.go) answers from
// it when it can.
func (t table[T]) get(ctx context.Context, q db, id string, lock ...string) (T, error) {
	var c *rowCache
	if q.tx == nil && len(lock) == 0 && q.s.cache != nil {
		c = q.s.cache.byName[t.name]
	}
	var g uint64
	if c != nil {
		var kept any
		var ok bool
		if kept, g, ok = c.lookup(id); ok {
			if t.clone != nil {
				return t.clone(kept.(T)), nil
			}
			return kept.(T), nil
		}
	}
	query := `SELECT ` + t.cols + ` FROM ` + t.name + ` WHERE id = ?`
	for _, l := range lock {
		query += " " + l
	}
	v, err := t.scan(q.QueryRowContext(ctx, query, id))
	if err != nil {
		return v, q.s.notFound(err, t.resource, id)
	}
	if c != nil {
		kept := v
		if t.clone != nil {
			kept = t.clone(v)
		}
		c.keep(id, g, kept)
	}
	return v, nil
}

// list reads a page of rows in id order; idOf gives a row's id for the
// next page's cursor.
func (t table[T]) list(ctx context.Context, s *Store, p store.Page, idOf func(T) string) ([]T, string, error) {
	after, _, err := store.DecodeIDCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	out, err := queryAll(ctx, s.reader(), t.scan,
		`SELECT `+t.cols+` FROM `+t.name+` WHERE id > ? ORDER BY id LIMIT ?`, after, p.Size()+1)
	if err != nil {
		return nil, "", s.errorf("list %s: %w", t.name, err)
	}
	items, next := store.Paginate(out, p.Size(), func(v T) any { return store.IDKey{ID: idOf(v)} })
	return items, next, nil
}

// update bumps the version of the row with id, after its If-Match check
// (ifVersion) and then check (when not nil), setting set (a "col = ?, …"
// list taking args) and updated_at, and returns the row as stored.
func (t table[T]) update(ctx context.Context, tx db, id string, ifVersion int, check func() error, set string, args ...any) (T, error) {
	var v T
	if err := checkVersion(ctx, tx, tx.s.d.LockUpdate, t.name, t.resource, id, ifVersion); err != nil {
		return v, err
	}
	if check != nil {
		if err := check(); err != nil {
			return v, err
		}
	}
	v, err := t.scan(tx.QueryRowContext(ctx,
		`UPDATE `+t.name+` SET `+set+`, version = version + 1, updated_at = ? WHERE id = ? RETURNING `+t.cols,
		append(args, tx.time(now()), id)...))
	if err != nil {
		return v, tx.s.errorf("update %s: %w", t.resource, err)
	}
	return v, nil
}

// delete deletes the row with id after its If-Match check, unless it is
// protected (for tables with that column) or another row still refers to
// it (a *store.InUseError naming them, found by refs). The row is locked
// for deletion first, so nothing can start referring to it in between; a
// foreign-key violation is still mapped, as the safety net for a
// reference the check could not see.
func (t table[T]) delete(ctx context.Context, tx db, id string, ifVersion int, protectable bool, refs ...refQuery) error {
	cols := "version, false"
	if protectable {
		cols = "version, protected"
	}
	var version int
	var protected bool
	err := tx.QueryRowContext(ctx, `SELECT `+cols+` FROM `+t.name+` WHERE id = ? `+tx.s.d.LockDelete, id).Scan(&version, &protected)
	switch {
	case err != nil:
		return tx.s.notFound(err, t.resource, id)
	case ifVersion != store.Any && version != ifVersion:
		return versionError(t.resource, id, version, ifVersion)
	case protected:
		return fmt.Errorf("%s %q is protected and cannot be deleted: %w", t.resource, id, store.ErrConflict)
	}
	by, err := referrers(ctx, tx, refs, id)
	if err != nil {
		return err
	}
	if len(by) > 0 {
		return &store.InUseError{Resource: t.resource, ID: id, RefBy: by}
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM `+t.name+` WHERE id = ?`, id)
	if err != nil && tx.s.d.IsForeignKeyViolation(err) {
		return &store.InUseError{Resource: t.resource, ID: id, RefBy: []string{"a concurrent write"}}
	}
	if err != nil {
		return tx.s.errorf("delete %s: %w", t.resource, err)
	}
	return nil
}

// refQuery finds the objects of one kind that point at a given id.
type refQuery struct {
	kind  string // prefix in InUseError.RefBy, e.g. "flow-config"
	query string // selects ids; takes the referenced id once
}

// maxRefsPerKind bounds an InUseError's list: enough to act on, and an
// error message does not grow with the size of the database.
const maxRefsPerKind = 20

var constitutionRefs = []refQuery{
	{"flow-config", `SELECT id FROM flow_configs WHERE constitution_id = ? ORDER BY id`},
	{"flow-template", `SELECT id FROM flow_templates WHERE config_constitution_id = ? ORDER BY id`},
	{"flow-instance", `SELECT id FROM flow_instances WHERE override_constitution_id = ? ORDER BY id`},
}

var syspromptRefs = []refQuery{
	{"flow-config", `SELECT id FROM flow_configs WHERE sysprompt_id = ? ORDER BY id`},
	{"flow-template", `SELECT id FROM flow_templates WHERE config_sysprompt_id = ? ORDER BY id`},
	{"flow-instance", `SELECT id FROM flow_instances WHERE override_sysprompt_id = ? ORDER BY id`},
}

var flowConfigRefs = []refQuery{
	{"flow-instance", `SELECT id FROM flow_instances WHERE flow_config_id = ? ORDER BY id`},
}

// referrers lists "kind:id" for every object that refers to id.
func referrers(ctx context.Context, tx db, qs []refQuery, id string) ([]string, error) {
	var out []string
	for _, q := range qs {
		ids, err := queryAll(ctx, tx, func(sc Scanner) (string, error) {
			var id string
			err := sc.Scan(&id)
			return id, err
		}, q.query+fmt.Sprintf(" LIMIT %d", maxRefsPerKind), id)
		if err != nil {
			return nil, tx.s.errorf("find references: %w", err)
		}
		for _, ref := range ids {
			out = append(out, q.kind+":"+ref)
		}
	}
	return out, nil
}

// checkRef returns a *store.RefError when id is set but names no row of
// table. An empty id means "no reference" and is accepted. Inside a
// transaction the share lock keeps the row from being deleted until the
// referencing write commits.
func checkRef(ctx context.Context, q db, table, field, id string) error {
	if id == "" {
		return nil
	}
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = ? `+q.s.d.LockShare, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) || q.s.invalidText(err) {
		return &store.RefError{Field: field, ID: id}
	}
	if err != nil {
		return q.s.errorf("check %s: %w", field, err)
	}
	return nil
}

package sqlstore

import (
	"context"
	"fmt"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

var constitutions = table[model.Constitution]{
	name: "constitutions", resource: "constitution",
	cols: `id, name, description, content, protected, version, created_at, updated_at`,
	scan: func(sc Scanner) (model.Constitution, error) {
		var c model.Constitution
		err := sc.Scan(&c.ID, &c.Name, &c.Description, &c.Content, &c.Protected, &c.Version, at{&c.CreatedAt}, at{&c.UpdatedAt})
		return c, err
	},
}

var constitutionVersions = table[model.ConstitutionVersion]{
	name: "constitution_versions", resource: "constitution version",
	cols: `constitution_id, version, name, description, content, created_at`,
	scan: func(sc Scanner) (model.ConstitutionVersion, error) {
		var v model.ConstitutionVersion
		err := sc.Scan(&v.ConstitutionID, &v.Version, &v.Name, &v.Description, &v.Content, at{&v.CreatedAt})
		return v, err
	},
}

// ListConstitutions lists constitutions by id.
func (s *Store) ListConstitutions(ctx context.Context, p store.Page) ([]model.Constitution, string, error) {
	return constitutions.list(ctx, s, p, func(c model.Constitution) string { return c.ID })
}

// GetConstitution returns one constitution.
func (s *Store) GetConstitution(ctx context.Context, id string) (model.Constitution, error) {
	return constitutions.get(ctx, s.reader(), id)
}

// CreateConstitution stores a new constitution and its version 1.
func (s *Store) CreateConstitution(ctx context.Context, c model.Constitution) (model.Constitution, error) {
	if c.ID == "" {
		c.ID = model.NewID()
	}
	t := now()
	c.CreatedAt, c.UpdatedAt, c.Version = t, t, 1
	err := s.tx(ctx, func(tx db) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO constitutions (`+constitutions.cols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Name, c.Description, c.Content, c.Protected, c.Version, tx.time(t), tx.time(t))
		if err != nil {
			return s.created(err, "constitution", c.ID)
		}
		return insertConstitutionVersion(ctx, tx, c)
	})
	if err != nil {
		return model.Constitution{}, err
	}
	return c, nil
}

func insertConstitutionVersion(ctx context.Context, tx db, c model.Constitution) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO constitution_versions (`+constitutionVersions.cols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		c.ID, c.Version, c.Name, c.Description, c.Content, tx.time(c.UpdatedAt))
	if err != nil {
		return tx.s.errorf("record constitution version: %w", err)
	}
	return nil
}

// UpdateConstitution replaces the text, bumps the version and records it in
// the history, in one transaction; the row lock taken by the version check
// keeps the history without gaps.
func (s *Store) UpdateConstitution(ctx context.Context, c model.Constitution, ifVersion int) (model.Constitution, error) {
	var out model.Constitution
	err := s.tx(ctx, func(tx db) error {
		var err error
		out, err = constitutions.update(ctx, tx, c.ID, ifVersion, nil, `name = ?, description = ?, content = ?`,
			c.Name, c.Description, c.Content)
		if err != nil {
			return err
		}
		return insertConstitutionVersion(ctx, tx, out)
	})
	if err != nil {
		return model.Constitution{}, err
	}
	return out, nil
}

// DeleteConstitution removes a constitution and its history, unless it is
// protected or still referenced.
func (s *Store) DeleteConstitution(ctx context.Context, id string, ifVersion int) error {
	return s.tx(ctx, func(tx db) error {
		return constitutions.delete(ctx, tx, id, ifVersion, true, constitutionRefs...)
	})
}

// versionKey is the cursor of a constitution's version list.
type versionKey struct {
	Version int `json:"version"`
}

// ListConstitutionVersions lists a constitution's kept versions, oldest first.
func (s *Store) ListConstitutionVersions(ctx context.Context, id string, p store.Page) ([]model.ConstitutionVersion, string, error) {
	var k versionKey
	if _, err := store.DecodeCursor(p.Cursor, &k); err != nil {
		return nil, "", err
	}
	if err := checkExists(ctx, s.reader(), "constitutions", "constitution", id); err != nil {
		return nil, "", err
	}
	out, err := queryAll(ctx, s.reader(), constitutionVersions.scan,
		`SELECT `+constitutionVersions.cols+` FROM constitution_versions
		 WHERE constitution_id = ? AND version > ? ORDER BY version LIMIT ?`, id, k.Version, p.Size()+1)
	if err != nil {
		return nil, "", s.errorf("list constitution versions: %w", err)
	}
	items, next := store.Paginate(out, p.Size(), func(v model.ConstitutionVersion) any { return versionKey{v.Version} })
	return items, next, nil
}

// GetConstitutionVersion returns one kept version.
func (s *Store) GetConstitutionVersion(ctx context.Context, id string, version int) (model.ConstitutionVersion, error) {
	v, err := constitutionVersions.scan(s.reader().QueryRowContext(ctx,
		`SELECT `+constitutionVersions.cols+` FROM constitution_versions WHERE constitution_id = ? AND version = ?`,
		id, version))
	if err != nil {
		return v, s.notFound(err, "constitution version", fmt.Sprintf("%s@%d", id, version))
	}
	return v, nil
}

// checkExists fails with ErrNotFound unless table has a row with id.
func checkExists(ctx context.Context, q db, table, resource, id string) error {
	var one int
	if err := q.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = ?`, id).Scan(&one); err != nil {
		return q.s.notFound(err, resource, id)
	}
	return nil
}

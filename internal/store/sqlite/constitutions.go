package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

const constitutionCols = `id, name, description, content, protected, version, created_at, updated_at`

func scanConstitution(sc scanner) (model.Constitution, error) {
	var c model.Constitution
	var created, updated string
	if err := sc.Scan(&c.ID, &c.Name, &c.Description, &c.Content, &c.Protected, &c.Version, &created, &updated); err != nil {
		return c, err
	}
	var err error
	if c.CreatedAt, err = parseTime(created); err != nil {
		return c, err
	}
	c.UpdatedAt, err = parseTime(updated)
	return c, err
}

// ListConstitutions lists constitutions by id.
func (s *Store) ListConstitutions(ctx context.Context, p store.Page) ([]model.Constitution, string, error) {
	after, _, err := store.DecodeIDCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	out, err := queryAll(ctx, s.r, scanConstitution,
		`SELECT `+constitutionCols+` FROM constitutions WHERE id > ? ORDER BY id LIMIT ?`, after, p.Size()+1)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list constitutions: %w", err)
	}
	items, next := store.Paginate(out, p.Size(), func(c model.Constitution) any { return store.IDKey{ID: c.ID} })
	return items, next, nil
}

// GetConstitution returns one constitution.
func (s *Store) GetConstitution(ctx context.Context, id string) (model.Constitution, error) {
	c, err := scanConstitution(s.r.QueryRowContext(ctx,
		`SELECT `+constitutionCols+` FROM constitutions WHERE id = ?`, id))
	if err != nil {
		return model.Constitution{}, notFound(err, "constitution", id)
	}
	return c, nil
}

// CreateConstitution stores a new constitution and its version 1.
func (s *Store) CreateConstitution(ctx context.Context, c model.Constitution) (model.Constitution, error) {
	if c.ID == "" {
		c.ID = model.NewID()
	}
	t := now()
	c.CreatedAt, c.UpdatedAt, c.Version = t, t, 1
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO constitutions (`+constitutionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.Name, c.Description, c.Content, c.Protected, c.Version, fmtTime(t), fmtTime(t))
		if isUniqueViolation(err) {
			return fmt.Errorf("constitution %q already exists: %w", c.ID, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("sqlite: create constitution: %w", err)
		}
		return insertConstitutionVersion(ctx, tx, c)
	})
	if err != nil {
		return model.Constitution{}, err
	}
	return c, nil
}

func insertConstitutionVersion(ctx context.Context, tx *sql.Tx, c model.Constitution) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO constitution_versions (constitution_id, version, name, description, content, created_at)
		 VALUES (?, ?, ?, ?, ?, ?)`,
		c.ID, c.Version, c.Name, c.Description, c.Content, fmtTime(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: record constitution version: %w", err)
	}
	return nil
}

// UpdateConstitution replaces the text, bumps the version and records it in
// the history, all in one transaction so concurrent writers never lose an
// update or leave a gap in the history.
func (s *Store) UpdateConstitution(ctx context.Context, c model.Constitution, ifVersion int) (model.Constitution, error) {
	var out model.Constitution
	err := s.tx(ctx, func(tx *sql.Tx) error {
		t := now()
		res, err := tx.ExecContext(ctx,
			`UPDATE constitutions SET name = ?, description = ?, content = ?, version = version + 1, updated_at = ?
			 WHERE id = ? AND `+versionMatches,
			c.Name, c.Description, c.Content, fmtTime(t), c.ID, ifVersion, ifVersion)
		if err != nil {
			return fmt.Errorf("sqlite: update constitution: %w", err)
		}
		if err := checkWritten(ctx, tx, res, "constitutions", "constitution", c.ID, ifVersion); err != nil {
			return err
		}
		out, err = scanConstitution(tx.QueryRowContext(ctx,
			`SELECT `+constitutionCols+` FROM constitutions WHERE id = ?`, c.ID))
		if err != nil {
			return fmt.Errorf("sqlite: update constitution: %w", err)
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
	return s.tx(ctx, func(tx *sql.Tx) error {
		var version int
		var protected bool
		err := tx.QueryRowContext(ctx, `SELECT version, protected FROM constitutions WHERE id = ?`, id).Scan(&version, &protected)
		if err != nil {
			return notFound(err, "constitution", id)
		}
		if ifVersion != store.Any && version != ifVersion {
			return fmt.Errorf("constitution %q is at version %d, not %d: %w", id, version, ifVersion, store.ErrVersionMismatch)
		}
		if protected {
			return fmt.Errorf("constitution %q is protected and cannot be deleted: %w", id, store.ErrConflict)
		}
		refs, err := referrers(ctx, tx, constitutionRefs, id)
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			return &store.InUseError{Resource: "constitution", ID: id, RefBy: refs}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM constitutions WHERE id = ?`, id); err != nil {
			return fmt.Errorf("sqlite: delete constitution: %w", err)
		}
		return nil
	})
}

// ListConstitutionVersions lists a constitution's kept versions, oldest first.
func (s *Store) ListConstitutionVersions(ctx context.Context, id string, p store.Page) ([]model.ConstitutionVersion, string, error) {
	var k struct {
		Version int `json:"version"`
	}
	if _, err := store.DecodeCursor(p.Cursor, &k); err != nil {
		return nil, "", err
	}
	var exists int
	if err := s.r.QueryRowContext(ctx, `SELECT 1 FROM constitutions WHERE id = ?`, id).Scan(&exists); err != nil {
		return nil, "", notFound(err, "constitution", id)
	}
	out, err := queryAll(ctx, s.r, scanConstitutionVersion,
		`SELECT constitution_id, version, name, description, content, created_at FROM constitution_versions
		 WHERE constitution_id = ? AND version > ? ORDER BY version LIMIT ?`, id, k.Version, p.Size()+1)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list constitution versions: %w", err)
	}
	items, next := store.Paginate(out, p.Size(), func(v model.ConstitutionVersion) any {
		return struct {
			Version int `json:"version"`
		}{v.Version}
	})
	return items, next, nil
}

// GetConstitutionVersion returns one kept version.
func (s *Store) GetConstitutionVersion(ctx context.Context, id string, version int) (model.ConstitutionVersion, error) {
	v, err := scanConstitutionVersion(s.r.QueryRowContext(ctx,
		`SELECT constitution_id, version, name, description, content, created_at FROM constitution_versions
		 WHERE constitution_id = ? AND version = ?`, id, version))
	if err != nil {
		return v, notFound(err, "constitution version", fmt.Sprintf("%s@%d", id, version))
	}
	return v, nil
}

func scanConstitutionVersion(sc scanner) (model.ConstitutionVersion, error) {
	var v model.ConstitutionVersion
	var created string
	if err := sc.Scan(&v.ConstitutionID, &v.Version, &v.Name, &v.Description, &v.Content, &created); err != nil {
		return v, err
	}
	var err error
	v.CreatedAt, err = parseTime(created)
	return v, err
}

package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

const constitutionCols = `id, name, description, content, protected, version, created_at, updated_at`

func scanConstitution(row pgx.Row) (model.Constitution, error) {
	var c model.Constitution
	err := row.Scan(&c.ID, &c.Name, &c.Description, &c.Content, &c.Protected, &c.Version, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// ListConstitutions lists constitutions by id.
func (s *Store) ListConstitutions(ctx context.Context, p store.Page) ([]model.Constitution, string, error) {
	after, _, err := store.DecodeIDCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx,
		`SELECT `+constitutionCols+` FROM constitutions WHERE id > $1 ORDER BY id LIMIT $2`, after, p.Size()+1)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list constitutions: %w", err)
	}
	out, err := collect(rows, scanConstitution)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list constitutions: %w", err)
	}
	items, next := store.Paginate(out, p.Size(), func(c model.Constitution) any { return store.IDKey{ID: c.ID} })
	return items, next, nil
}

// GetConstitution returns one constitution.
func (s *Store) GetConstitution(ctx context.Context, id string) (model.Constitution, error) {
	c, err := scanConstitution(s.pool.QueryRow(ctx,
		`SELECT `+constitutionCols+` FROM constitutions WHERE id = $1`, id))
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
	err := s.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx,
			`INSERT INTO constitutions (`+constitutionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			c.ID, c.Name, c.Description, c.Content, c.Protected, c.Version, t, t)
		if isUniqueViolation(err) {
			return fmt.Errorf("constitution %q already exists: %w", c.ID, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("postgres: create constitution: %w", err)
		}
		return insertConstitutionVersion(ctx, tx, c)
	})
	if err != nil {
		return model.Constitution{}, err
	}
	return c, nil
}

func insertConstitutionVersion(ctx context.Context, tx pgx.Tx, c model.Constitution) error {
	_, err := tx.Exec(ctx,
		`INSERT INTO constitution_versions (constitution_id, version, name, description, content, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6)`,
		c.ID, c.Version, c.Name, c.Description, c.Content, c.UpdatedAt)
	if err != nil {
		return fmt.Errorf("postgres: record constitution version: %w", err)
	}
	return nil
}

// UpdateConstitution replaces the text, bumps the version and records it in
// the history. The conditional UPDATE takes the row lock, and a concurrent
// bumper waiting on it re-checks the version against the committed row, so
// no update is lost and the history has no gap.
func (s *Store) UpdateConstitution(ctx context.Context, c model.Constitution, ifVersion int) (model.Constitution, error) {
	var out model.Constitution
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx,
			`UPDATE constitutions SET name = $1, description = $2, content = $3, version = version + 1, updated_at = $4
			 WHERE id = $5 AND `+versionMatches(6),
			c.Name, c.Description, c.Content, now(), c.ID, ifVersion)
		if err != nil {
			return fmt.Errorf("postgres: update constitution: %w", err)
		}
		if err := checkWritten(ctx, tx, tag, "constitutions", "constitution", c.ID, ifVersion); err != nil {
			return err
		}
		out, err = scanConstitution(tx.QueryRow(ctx,
			`SELECT `+constitutionCols+` FROM constitutions WHERE id = $1`, c.ID))
		if err != nil {
			return fmt.Errorf("postgres: update constitution: %w", err)
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
	return s.tx(ctx, func(tx pgx.Tx) error {
		var version int
		var protected bool
		err := tx.QueryRow(ctx, `SELECT version, protected FROM constitutions WHERE id = $1 FOR UPDATE`, id).Scan(&version, &protected)
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
		if _, err := tx.Exec(ctx, `DELETE FROM constitutions WHERE id = $1`, id); err != nil {
			return inUse(err, "constitution", id)
		}
		return nil
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
	var exists int
	if err := s.pool.QueryRow(ctx, `SELECT 1 FROM constitutions WHERE id = $1`, id).Scan(&exists); err != nil {
		return nil, "", notFound(err, "constitution", id)
	}
	rows, err := s.pool.Query(ctx,
		`SELECT constitution_id, version, name, description, content, created_at FROM constitution_versions
		 WHERE constitution_id = $1 AND version > $2 ORDER BY version LIMIT $3`, id, k.Version, p.Size()+1)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list constitution versions: %w", err)
	}
	out, err := collect(rows, scanConstitutionVersion)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list constitution versions: %w", err)
	}
	items, next := store.Paginate(out, p.Size(), func(v model.ConstitutionVersion) any { return versionKey{v.Version} })
	return items, next, nil
}

// GetConstitutionVersion returns one kept version.
func (s *Store) GetConstitutionVersion(ctx context.Context, id string, version int) (model.ConstitutionVersion, error) {
	v, err := scanConstitutionVersion(s.pool.QueryRow(ctx,
		`SELECT constitution_id, version, name, description, content, created_at FROM constitution_versions
		 WHERE constitution_id = $1 AND version = $2`, id, version))
	if err != nil {
		return v, notFound(err, "constitution version", fmt.Sprintf("%s@%d", id, version))
	}
	return v, nil
}

func scanConstitutionVersion(row pgx.Row) (model.ConstitutionVersion, error) {
	var v model.ConstitutionVersion
	err := row.Scan(&v.ConstitutionID, &v.Version, &v.Name, &v.Description, &v.Content, &v.CreatedAt)
	return v, err
}

package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

const syspromptCols = `id, name, content, protected, version, created_at, updated_at`

func scanSysprompt(row pgx.Row) (model.Sysprompt, error) {
	var p model.Sysprompt
	err := row.Scan(&p.ID, &p.Name, &p.Content, &p.Protected, &p.Version, &p.CreatedAt, &p.UpdatedAt)
	return p, err
}

// ListSysprompts lists system prompts by id.
func (s *Store) ListSysprompts(ctx context.Context, p store.Page) ([]model.Sysprompt, string, error) {
	after, _, err := store.DecodeIDCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx,
		`SELECT `+syspromptCols+` FROM sysprompts WHERE id > $1 ORDER BY id LIMIT $2`, after, p.Size()+1)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list sysprompts: %w", err)
	}
	out, err := collect(rows, scanSysprompt)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list sysprompts: %w", err)
	}
	items, next := store.Paginate(out, p.Size(), func(sp model.Sysprompt) any { return store.IDKey{ID: sp.ID} })
	return items, next, nil
}

// GetSysprompt returns one system prompt.
func (s *Store) GetSysprompt(ctx context.Context, id string) (model.Sysprompt, error) {
	sp, err := scanSysprompt(s.pool.QueryRow(ctx, `SELECT `+syspromptCols+` FROM sysprompts WHERE id = $1`, id))
	if err != nil {
		return model.Sysprompt{}, notFound(err, "sysprompt", id)
	}
	return sp, nil
}

// CreateSysprompt stores a new system prompt.
func (s *Store) CreateSysprompt(ctx context.Context, sp model.Sysprompt) (model.Sysprompt, error) {
	if sp.ID == "" {
		sp.ID = model.NewID()
	}
	t := now()
	sp.CreatedAt, sp.UpdatedAt, sp.Version = t, t, 1
	_, err := s.pool.Exec(ctx,
		`INSERT INTO sysprompts (`+syspromptCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		sp.ID, sp.Name, sp.Content, sp.Protected, sp.Version, t, t)
	if isUniqueViolation(err) {
		return model.Sysprompt{}, fmt.Errorf("sysprompt %q already exists: %w", sp.ID, store.ErrConflict)
	}
	if err != nil {
		return model.Sysprompt{}, fmt.Errorf("postgres: create sysprompt: %w", err)
	}
	return sp, nil
}

// UpdateSysprompt replaces name and content and bumps the version in one
// conditional UPDATE, which holds the row lock.
func (s *Store) UpdateSysprompt(ctx context.Context, sp model.Sysprompt, ifVersion int) (model.Sysprompt, error) {
	var out model.Sysprompt
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx,
			`UPDATE sysprompts SET name = $1, content = $2, version = version + 1, updated_at = $3
			 WHERE id = $4 AND `+versionMatches(5),
			sp.Name, sp.Content, now(), sp.ID, ifVersion)
		if err != nil {
			return fmt.Errorf("postgres: update sysprompt: %w", err)
		}
		if err := checkWritten(ctx, tx, tag, "sysprompts", "sysprompt", sp.ID, ifVersion); err != nil {
			return err
		}
		out, err = scanSysprompt(tx.QueryRow(ctx, `SELECT `+syspromptCols+` FROM sysprompts WHERE id = $1`, sp.ID))
		if err != nil {
			return fmt.Errorf("postgres: update sysprompt: %w", err)
		}
		return nil
	})
	if err != nil {
		return model.Sysprompt{}, err
	}
	return out, nil
}

// DeleteSysprompt removes a system prompt unless it is protected or in use.
func (s *Store) DeleteSysprompt(ctx context.Context, id string, ifVersion int) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var version int
		var protected bool
		err := tx.QueryRow(ctx, `SELECT version, protected FROM sysprompts WHERE id = $1 FOR UPDATE`, id).Scan(&version, &protected)
		if err != nil {
			return notFound(err, "sysprompt", id)
		}
		if ifVersion != store.Any && version != ifVersion {
			return fmt.Errorf("sysprompt %q is at version %d, not %d: %w", id, version, ifVersion, store.ErrVersionMismatch)
		}
		if protected {
			return fmt.Errorf("sysprompt %q is protected and cannot be deleted: %w", id, store.ErrConflict)
		}
		refs, err := referrers(ctx, tx, syspromptRefs, id)
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			return &store.InUseError{Resource: "sysprompt", ID: id, RefBy: refs}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sysprompts WHERE id = $1`, id); err != nil {
			return inUse(err, "sysprompt", id)
		}
		return nil
	})
}

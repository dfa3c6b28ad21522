package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

const syspromptCols = `id, name, content, protected, version, created_at, updated_at`

func scanSysprompt(sc scanner) (model.Sysprompt, error) {
	var p model.Sysprompt
	var created, updated string
	if err := sc.Scan(&p.ID, &p.Name, &p.Content, &p.Protected, &p.Version, &created, &updated); err != nil {
		return p, err
	}
	var err error
	if p.CreatedAt, err = parseTime(created); err != nil {
		return p, err
	}
	p.UpdatedAt, err = parseTime(updated)
	return p, err
}

// ListSysprompts lists system prompts by id.
func (s *Store) ListSysprompts(ctx context.Context, p store.Page) ([]model.Sysprompt, string, error) {
	after, _, err := store.DecodeIDCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	out, err := queryAll(ctx, s.r, scanSysprompt,
		`SELECT `+syspromptCols+` FROM sysprompts WHERE id > ? ORDER BY id LIMIT ?`, after, p.Size()+1)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list sysprompts: %w", err)
	}
	items, next := store.Paginate(out, p.Size(), func(sp model.Sysprompt) any { return store.IDKey{ID: sp.ID} })
	return items, next, nil
}

// GetSysprompt returns one system prompt.
func (s *Store) GetSysprompt(ctx context.Context, id string) (model.Sysprompt, error) {
	sp, err := scanSysprompt(s.r.QueryRowContext(ctx, `SELECT `+syspromptCols+` FROM sysprompts WHERE id = ?`, id))
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
	_, err := s.w.ExecContext(ctx,
		`INSERT INTO sysprompts (`+syspromptCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		sp.ID, sp.Name, sp.Content, sp.Protected, sp.Version, fmtTime(t), fmtTime(t))
	if isUniqueViolation(err) {
		return model.Sysprompt{}, fmt.Errorf("sysprompt %q already exists: %w", sp.ID, store.ErrConflict)
	}
	if err != nil {
		return model.Sysprompt{}, fmt.Errorf("sqlite: create sysprompt: %w", err)
	}
	return sp, nil
}

// UpdateSysprompt replaces name and content and bumps the version.
func (s *Store) UpdateSysprompt(ctx context.Context, sp model.Sysprompt, ifVersion int) (model.Sysprompt, error) {
	var out model.Sysprompt
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE sysprompts SET name = ?, content = ?, version = version + 1, updated_at = ?
			 WHERE id = ? AND `+versionMatches,
			sp.Name, sp.Content, fmtTime(now()), sp.ID, ifVersion, ifVersion)
		if err != nil {
			return fmt.Errorf("sqlite: update sysprompt: %w", err)
		}
		if err := checkWritten(ctx, tx, res, "sysprompts", "sysprompt", sp.ID, ifVersion); err != nil {
			return err
		}
		out, err = scanSysprompt(tx.QueryRowContext(ctx, `SELECT `+syspromptCols+` FROM sysprompts WHERE id = ?`, sp.ID))
		if err != nil {
			return fmt.Errorf("sqlite: update sysprompt: %w", err)
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
	return s.tx(ctx, func(tx *sql.Tx) error {
		var version int
		var protected bool
		err := tx.QueryRowContext(ctx, `SELECT version, protected FROM sysprompts WHERE id = ?`, id).Scan(&version, &protected)
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
		if _, err := tx.ExecContext(ctx, `DELETE FROM sysprompts WHERE id = ?`, id); err != nil {
			return fmt.Errorf("sqlite: delete sysprompt: %w", err)
		}
		return nil
	})
}

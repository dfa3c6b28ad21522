package sqlstore

import (
	"context"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

var sysprompts = table[model.Sysprompt]{
	name: "sysprompts", resource: "sysprompt",
	cols: `id, name, content, protected, version, created_at, updated_at`,
	scan: func(sc Scanner) (model.Sysprompt, error) {
		var p model.Sysprompt
		err := sc.Scan(&p.ID, &p.Name, &p.Content, &p.Protected, &p.Version, at{&p.CreatedAt}, at{&p.UpdatedAt})
		return p, err
	},
}

// ListSysprompts lists system prompts by id.
func (s *Store) ListSysprompts(ctx context.Context, p store.Page) ([]model.Sysprompt, string, error) {
	return sysprompts.list(ctx, s, p, func(sp model.Sysprompt) string { return sp.ID })
}

// GetSysprompt returns one system prompt.
func (s *Store) GetSysprompt(ctx context.Context, id string) (model.Sysprompt, error) {
	return sysprompts.get(ctx, s.reader(), id)
}

// CreateSysprompt stores a new system prompt.
func (s *Store) CreateSysprompt(ctx context.Context, sp model.Sysprompt) (model.Sysprompt, error) {
	if sp.ID == "" {
		sp.ID = model.NewID()
	}
	t := now()
	sp.CreatedAt, sp.UpdatedAt, sp.Version = t, t, 1
	err := s.write(ctx, func(w db) error {
		_, err := w.ExecContext(ctx,
			`INSERT INTO sysprompts (`+sysprompts.cols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			sp.ID, sp.Name, sp.Content, sp.Protected, sp.Version, w.time(t), w.time(t))
		return s.created(err, "sysprompt", sp.ID)
	})
	if err != nil {
		return model.Sysprompt{}, err
	}
	return sp, nil
}

// UpdateSysprompt replaces name and content and bumps the version.
func (s *Store) UpdateSysprompt(ctx context.Context, sp model.Sysprompt, ifVersion int) (model.Sysprompt, error) {
	var out model.Sysprompt
	err := s.tx(ctx, func(tx db) error {
		var err error
		out, err = sysprompts.update(ctx, tx, sp.ID, ifVersion, nil, `name = ?, content = ?`, sp.Name, sp.Content)
		return err
	})
	if err != nil {
		return model.Sysprompt{}, err
	}
	return out, nil
}

// DeleteSysprompt removes a system prompt unless it is protected or in use.
func (s *Store) DeleteSysprompt(ctx context.Context, id string, ifVersion int) error {
	return s.tx(ctx, func(tx db) error { return sysprompts.delete(ctx, tx, id, ifVersion, true, syspromptRefs...) })
}

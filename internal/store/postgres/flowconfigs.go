package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

const flowConfigCols = `id, name, description, coalesce(constitution_id, ''), coalesce(sysprompt_id, ''),
	superego_enabled, superego_model, assistant_model, on_superego_error, version, created_at, updated_at`

func scanFlowConfig(row pgx.Row) (model.FlowConfig, error) {
	var c model.FlowConfig
	err := row.Scan(&c.ID, &c.Name, &c.Description, &c.ConstitutionID, &c.SyspromptID,
		&c.SuperegoEnabled, &c.SuperegoModel, &c.AssistantModel, &c.OnSuperegoError,
		&c.Version, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// checkSpecRefs checks the constitution and sysprompt a flow spec names;
// prefix is "" for a flow config and "config." for a template.
func checkSpecRefs(ctx context.Context, q querier, spec model.FlowSpec, prefix string) error {
	if err := checkRef(ctx, q, "constitutions", prefix+"constitution_id", spec.ConstitutionID); err != nil {
		return err
	}
	return checkRef(ctx, q, "sysprompts", prefix+"sysprompt_id", spec.SyspromptID)
}

// ListFlowConfigs lists flow configs by id.
func (s *Store) ListFlowConfigs(ctx context.Context, p store.Page) ([]model.FlowConfig, string, error) {
	after, _, err := store.DecodeIDCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx,
		`SELECT `+flowConfigCols+` FROM flow_configs WHERE id > $1 ORDER BY id LIMIT $2`, after, p.Size()+1)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list flow configs: %w", err)
	}
	out, err := collect(rows, scanFlowConfig)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list flow configs: %w", err)
	}
	items, next := store.Paginate(out, p.Size(), func(c model.FlowConfig) any { return store.IDKey{ID: c.ID} })
	return items, next, nil
}

// GetFlowConfig returns one flow config.
func (s *Store) GetFlowConfig(ctx context.Context, id string) (model.FlowConfig, error) {
	c, err := scanFlowConfig(s.pool.QueryRow(ctx, `SELECT `+flowConfigCols+` FROM flow_configs WHERE id = $1`, id))
	if err != nil {
		return model.FlowConfig{}, notFound(err, "flow config", id)
	}
	return c, nil
}

// CreateFlowConfig stores a new flow config after checking its references.
func (s *Store) CreateFlowConfig(ctx context.Context, c model.FlowConfig) (model.FlowConfig, error) {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		c, err = insertFlowConfig(ctx, tx, c)
		return err
	})
	if err != nil {
		return model.FlowConfig{}, err
	}
	return c, nil
}

func insertFlowConfig(ctx context.Context, tx pgx.Tx, c model.FlowConfig) (model.FlowConfig, error) {
	if err := checkSpecRefs(ctx, tx, c.FlowSpec, ""); err != nil {
		return c, err
	}
	if c.ID == "" {
		c.ID = model.NewID()
	}
	t := now()
	c.CreatedAt, c.UpdatedAt, c.Version = t, t, 1
	_, err := tx.Exec(ctx,
		`INSERT INTO flow_configs (id, name, description, constitution_id, sysprompt_id, superego_enabled,
		 superego_model, assistant_model, on_superego_error, version, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.ID, c.Name, c.Description, nullStr(c.ConstitutionID), nullStr(c.SyspromptID), c.SuperegoEnabled,
		c.SuperegoModel, c.AssistantModel, c.OnSuperegoError, c.Version, t, t)
	if isUniqueViolation(err) {
		return c, fmt.Errorf("flow config %q already exists: %w", c.ID, store.ErrConflict)
	}
	if err != nil {
		return c, fmt.Errorf("postgres: create flow config: %w", err)
	}
	return c, nil
}

// UpdateFlowConfig replaces the writable fields and bumps the version.
func (s *Store) UpdateFlowConfig(ctx context.Context, c model.FlowConfig, ifVersion int) (model.FlowConfig, error) {
	var out model.FlowConfig
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := checkVersion(ctx, tx, forUpdate, "flow_configs", "flow config", c.ID, ifVersion); err != nil {
			return err
		}
		if err := checkSpecRefs(ctx, tx, c.FlowSpec, ""); err != nil {
			return err
		}
		var err error
		out, err = scanFlowConfig(tx.QueryRow(ctx,
			`UPDATE flow_configs SET name = $1, description = $2, constitution_id = $3, sysprompt_id = $4,
			 superego_enabled = $5, superego_model = $6, assistant_model = $7, on_superego_error = $8,
			 version = version + 1, updated_at = $9
			 WHERE id = $10 RETURNING `+flowConfigCols,
			c.Name, c.Description, nullStr(c.ConstitutionID), nullStr(c.SyspromptID), c.SuperegoEnabled,
			c.SuperegoModel, c.AssistantModel, c.OnSuperegoError, now(), c.ID))
		if err != nil {
			return fmt.Errorf("postgres: update flow config: %w", err)
		}
		return nil
	})
	if err != nil {
		return model.FlowConfig{}, err
	}
	return out, nil
}

// DeleteFlowConfig removes a flow config no instance uses.
func (s *Store) DeleteFlowConfig(ctx context.Context, id string, ifVersion int) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := checkVersion(ctx, tx, forDelete, "flow_configs", "flow config", id, ifVersion); err != nil {
			return err
		}
		refs, err := referrers(ctx, tx, flowConfigRefs, id)
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			return &store.InUseError{Resource: "flow config", ID: id, RefBy: refs}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM flow_configs WHERE id = $1`, id); err != nil {
			return inUse(err, "flow config", id)
		}
		return nil
	})
}

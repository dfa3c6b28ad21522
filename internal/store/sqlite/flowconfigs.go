package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

const flowConfigCols = `id, name, description, coalesce(constitution_id, ''), coalesce(sysprompt_id, ''),
	superego_enabled, superego_model, assistant_model, on_superego_error, version, created_at, updated_at`

func scanFlowConfig(sc scanner) (model.FlowConfig, error) {
	var c model.FlowConfig
	var created, updated string
	err := sc.Scan(&c.ID, &c.Name, &c.Description, &c.ConstitutionID, &c.SyspromptID,
		&c.SuperegoEnabled, &c.SuperegoModel, &c.AssistantModel, &c.OnSuperegoError,
		&c.Version, &created, &updated)
	if err != nil {
		return c, err
	}
	if c.CreatedAt, err = parseTime(created); err != nil {
		return c, err
	}
	c.UpdatedAt, err = parseTime(updated)
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
	out, err := queryAll(ctx, s.r, scanFlowConfig,
		`SELECT `+flowConfigCols+` FROM flow_configs WHERE id > ? ORDER BY id LIMIT ?`, after, p.Size()+1)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list flow configs: %w", err)
	}
	items, next := store.Paginate(out, p.Size(), func(c model.FlowConfig) any { return store.IDKey{ID: c.ID} })
	return items, next, nil
}

// GetFlowConfig returns one flow config.
func (s *Store) GetFlowConfig(ctx context.Context, id string) (model.FlowConfig, error) {
	c, err := scanFlowConfig(s.r.QueryRowContext(ctx, `SELECT `+flowConfigCols+` FROM flow_configs WHERE id = ?`, id))
	if err != nil {
		return model.FlowConfig{}, notFound(err, "flow config", id)
	}
	return c, nil
}

// CreateFlowConfig stores a new flow config after checking its references.
func (s *Store) CreateFlowConfig(ctx context.Context, c model.FlowConfig) (model.FlowConfig, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = insertFlowConfig(ctx, tx, c)
		return err
	})
	if err != nil {
		return model.FlowConfig{}, err
	}
	return c, nil
}

func insertFlowConfig(ctx context.Context, tx *sql.Tx, c model.FlowConfig) (model.FlowConfig, error) {
	if err := checkSpecRefs(ctx, tx, c.FlowSpec, ""); err != nil {
		return c, err
	}
	if c.ID == "" {
		c.ID = model.NewID()
	}
	t := now()
	c.CreatedAt, c.UpdatedAt, c.Version = t, t, 1
	_, err := tx.ExecContext(ctx,
		`INSERT INTO flow_configs (id, name, description, constitution_id, sysprompt_id, superego_enabled,
		 superego_model, assistant_model, on_superego_error, version, created_at, updated_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, c.Description, nullStr(c.ConstitutionID), nullStr(c.SyspromptID), c.SuperegoEnabled,
		c.SuperegoModel, c.AssistantModel, c.OnSuperegoError, c.Version, fmtTime(t), fmtTime(t))
	if isUniqueViolation(err) {
		return c, fmt.Errorf("flow config %q already exists: %w", c.ID, store.ErrConflict)
	}
	if err != nil {
		return c, fmt.Errorf("sqlite: create flow config: %w", err)
	}
	return c, nil
}

// UpdateFlowConfig replaces the writable fields and bumps the version.
func (s *Store) UpdateFlowConfig(ctx context.Context, c model.FlowConfig, ifVersion int) (model.FlowConfig, error) {
	var out model.FlowConfig
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := checkVersion(ctx, tx, "flow_configs", "flow config", c.ID, ifVersion); err != nil {
			return err
		}
		if err := checkSpecRefs(ctx, tx, c.FlowSpec, ""); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			`UPDATE flow_configs SET name = ?, description = ?, constitution_id = ?, sysprompt_id = ?,
			 superego_enabled = ?, superego_model = ?, assistant_model = ?, on_superego_error = ?,
			 version = version + 1, updated_at = ?
			 WHERE id = ?`,
			c.Name, c.Description, nullStr(c.ConstitutionID), nullStr(c.SyspromptID), c.SuperegoEnabled,
			c.SuperegoModel, c.AssistantModel, c.OnSuperegoError, fmtTime(now()), c.ID)
		if err != nil {
			return fmt.Errorf("sqlite: update flow config: %w", err)
		}
		out, err = scanFlowConfig(tx.QueryRowContext(ctx, `SELECT `+flowConfigCols+` FROM flow_configs WHERE id = ?`, c.ID))
		if err != nil {
			return fmt.Errorf("sqlite: update flow config: %w", err)
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
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := checkVersion(ctx, tx, "flow_configs", "flow config", id, ifVersion); err != nil {
			return err
		}
		refs, err := referrers(ctx, tx, flowConfigRefs, id)
		if err != nil {
			return err
		}
		if len(refs) > 0 {
			return &store.InUseError{Resource: "flow config", ID: id, RefBy: refs}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM flow_configs WHERE id = ?`, id); err != nil {
			return fmt.Errorf("sqlite: delete flow config: %w", err)
		}
		return nil
	})
}

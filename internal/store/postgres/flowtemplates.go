package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

const flowTemplateCols = `id, name, description, is_default, config_name, config_description,
	coalesce(config_constitution_id, ''), coalesce(config_sysprompt_id, ''), config_superego_enabled,
	config_superego_model, config_assistant_model, config_on_superego_error, version, created_at, updated_at`

func scanFlowTemplate(row pgx.Row) (model.FlowTemplate, error) {
	var t model.FlowTemplate
	err := row.Scan(&t.ID, &t.Name, &t.Description, &t.IsDefault, &t.Config.Name, &t.Config.Description,
		&t.Config.ConstitutionID, &t.Config.SyspromptID, &t.Config.SuperegoEnabled,
		&t.Config.SuperegoModel, &t.Config.AssistantModel, &t.Config.OnSuperegoError,
		&t.Version, &t.CreatedAt, &t.UpdatedAt)
	return t, err
}

// ListFlowTemplates lists flow templates by id.
func (s *Store) ListFlowTemplates(ctx context.Context, p store.Page) ([]model.FlowTemplate, string, error) {
	after, _, err := store.DecodeIDCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx,
		`SELECT `+flowTemplateCols+` FROM flow_templates WHERE id > $1 ORDER BY id LIMIT $2`, after, p.Size()+1)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list flow templates: %w", err)
	}
	out, err := collect(rows, scanFlowTemplate)
	if err != nil {
		return nil, "", fmt.Errorf("postgres: list flow templates: %w", err)
	}
	items, next := store.Paginate(out, p.Size(), func(t model.FlowTemplate) any { return store.IDKey{ID: t.ID} })
	return items, next, nil
}

// GetFlowTemplate returns one flow template.
func (s *Store) GetFlowTemplate(ctx context.Context, id string) (model.FlowTemplate, error) {
	return getFlowTemplate(ctx, s.pool, id)
}

func getFlowTemplate(ctx context.Context, q querier, id string) (model.FlowTemplate, error) {
	t, err := scanFlowTemplate(q.QueryRow(ctx, `SELECT `+flowTemplateCols+` FROM flow_templates WHERE id = $1`, id))
	if err != nil {
		return model.FlowTemplate{}, notFound(err, "flow template", id)
	}
	return t, nil
}

// defaultTemplateLock is the transaction-scoped advisory lock key taken by
// every write that makes a template the default. Two such writes would
// otherwise each clear the flag on committed rows, then collide on the
// one-default unique index; taken first, it also orders their row locks
// so they cannot deadlock.
const defaultTemplateLock = 0x5e6e60de

func lockDefault(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(defaultTemplateLock)); err != nil {
		return fmt.Errorf("postgres: lock default flow template: %w", err)
	}
	return nil
}

// clearDefault takes the default flag from every template but keep, bumping
// their versions because their visible state changes.
func clearDefault(ctx context.Context, tx pgx.Tx, keep string, at time.Time) error {
	_, err := tx.Exec(ctx,
		`UPDATE flow_templates SET is_default = false, version = version + 1, updated_at = $1
		 WHERE is_default AND id <> $2`, at, keep)
	if err != nil {
		return fmt.Errorf("postgres: clear default flow template: %w", err)
	}
	return nil
}

// CreateFlowTemplate stores a new template; a default one takes the flag
// from the previous default.
func (s *Store) CreateFlowTemplate(ctx context.Context, t model.FlowTemplate) (model.FlowTemplate, error) {
	if t.ID == "" {
		t.ID = model.NewID()
	}
	ts := now()
	t.CreatedAt, t.UpdatedAt, t.Version = ts, ts, 1
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if t.IsDefault {
			if err := lockDefault(ctx, tx); err != nil {
				return err
			}
		}
		if err := checkSpecRefs(ctx, tx, t.Config, "config."); err != nil {
			return err
		}
		if t.IsDefault {
			if err := clearDefault(ctx, tx, t.ID, ts); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx,
			`INSERT INTO flow_templates (id, name, description, is_default, config_name, config_description,
			 config_constitution_id, config_sysprompt_id, config_superego_enabled, config_superego_model,
			 config_assistant_model, config_on_superego_error, version, created_at, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			t.ID, t.Name, t.Description, t.IsDefault, t.Config.Name, t.Config.Description,
			nullStr(t.Config.ConstitutionID), nullStr(t.Config.SyspromptID), t.Config.SuperegoEnabled,
			t.Config.SuperegoModel, t.Config.AssistantModel, t.Config.OnSuperegoError,
			t.Version, ts, ts)
		if isUniqueViolation(err) {
			return fmt.Errorf("flow template %q already exists: %w", t.ID, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("postgres: create flow template: %w", err)
		}
		return nil
	})
	if err != nil {
		return model.FlowTemplate{}, err
	}
	return t, nil
}

// UpdateFlowTemplate replaces the writable fields and bumps the version.
func (s *Store) UpdateFlowTemplate(ctx context.Context, t model.FlowTemplate, ifVersion int) (model.FlowTemplate, error) {
	var out model.FlowTemplate
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if t.IsDefault {
			if err := lockDefault(ctx, tx); err != nil {
				return err
			}
		}
		if err := checkVersion(ctx, tx, forUpdate, "flow_templates", "flow template", t.ID, ifVersion); err != nil {
			return err
		}
		if err := checkSpecRefs(ctx, tx, t.Config, "config."); err != nil {
			return err
		}
		ts := now()
		if t.IsDefault {
			if err := clearDefault(ctx, tx, t.ID, ts); err != nil {
				return err
			}
		}
		var err error
		out, err = scanFlowTemplate(tx.QueryRow(ctx,
			`UPDATE flow_templates SET name = $1, description = $2, is_default = $3, config_name = $4,
			 config_description = $5, config_constitution_id = $6, config_sysprompt_id = $7,
			 config_superego_enabled = $8, config_superego_model = $9, config_assistant_model = $10,
			 config_on_superego_error = $11, version = version + 1, updated_at = $12
			 WHERE id = $13 RETURNING `+flowTemplateCols,
			t.Name, t.Description, t.IsDefault, t.Config.Name, t.Config.Description,
			nullStr(t.Config.ConstitutionID), nullStr(t.Config.SyspromptID), t.Config.SuperegoEnabled,
			t.Config.SuperegoModel, t.Config.AssistantModel, t.Config.OnSuperegoError, ts, t.ID))
		if err != nil {
			return fmt.Errorf("postgres: update flow template: %w", err)
		}
		return nil
	})
	if err != nil {
		return model.FlowTemplate{}, err
	}
	return out, nil
}

// DeleteFlowTemplate removes a template. Nothing refers to templates:
// instantiating one copies its config.
func (s *Store) DeleteFlowTemplate(ctx context.Context, id string, ifVersion int) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := checkVersion(ctx, tx, forDelete, "flow_templates", "flow template", id, ifVersion); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM flow_templates WHERE id = $1`, id); err != nil {
			return fmt.Errorf("postgres: delete flow template: %w", err)
		}
		return nil
	})
}

// InstantiateFlowTemplate creates a flow config from the template's config
// and an instance on it, in one transaction, so a failure leaves neither.
// The config is named after the template when its spec has no name; the
// instance is named instanceName, or after the template.
func (s *Store) InstantiateFlowTemplate(ctx context.Context, templateID, instanceName string) (model.FlowConfig, model.FlowInstance, error) {
	var cfg model.FlowConfig
	var inst model.FlowInstance
	err := s.tx(ctx, func(tx pgx.Tx) error {
		t, err := getFlowTemplate(ctx, tx, templateID)
		if err != nil {
			return err
		}
		cfg = model.FlowConfig{FlowSpec: t.Config}
		if cfg.Name == "" {
			cfg.Name = t.Name
		}
		if cfg.Description == "" {
			cfg.Description = t.Description
		}
		if cfg, err = insertFlowConfig(ctx, tx, cfg); err != nil {
			return err
		}
		inst = model.FlowInstance{FlowConfigID: cfg.ID, Name: instanceName}
		if inst.Name == "" {
			inst.Name = t.Name
		}
		inst, err = insertFlowInstance(ctx, tx, inst)
		return err
	})
	if err != nil {
		return model.FlowConfig{}, model.FlowInstance{}, err
	}
	return cfg, inst, nil
}

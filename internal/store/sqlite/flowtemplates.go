package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

const flowTemplateCols = `id, name, description, is_default, config_name, config_description,
	coalesce(config_constitution_id, ''), coalesce(config_sysprompt_id, ''), config_superego_enabled,
	config_superego_model, config_assistant_model, config_on_superego_error, version, created_at, updated_at`

func scanFlowTemplate(sc scanner) (model.FlowTemplate, error) {
	var t model.FlowTemplate
	var created, updated string
	err := sc.Scan(&t.ID, &t.Name, &t.Description, &t.IsDefault, &t.Config.Name, &t.Config.Description,
		&t.Config.ConstitutionID, &t.Config.SyspromptID, &t.Config.SuperegoEnabled,
		&t.Config.SuperegoModel, &t.Config.AssistantModel, &t.Config.OnSuperegoError,
		&t.Version, &created, &updated)
	if err != nil {
		return t, err
	}
	if t.CreatedAt, err = parseTime(created); err != nil {
		return t, err
	}
	t.UpdatedAt, err = parseTime(updated)
	return t, err
}

// ListFlowTemplates lists flow templates by id.
func (s *Store) ListFlowTemplates(ctx context.Context, p store.Page) ([]model.FlowTemplate, string, error) {
	after, _, err := store.DecodeIDCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	out, err := queryAll(ctx, s.r, scanFlowTemplate,
		`SELECT `+flowTemplateCols+` FROM flow_templates WHERE id > ? ORDER BY id LIMIT ?`, after, p.Size()+1)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list flow templates: %w", err)
	}
	items, next := store.Paginate(out, p.Size(), func(t model.FlowTemplate) any { return store.IDKey{ID: t.ID} })
	return items, next, nil
}

// GetFlowTemplate returns one flow template.
func (s *Store) GetFlowTemplate(ctx context.Context, id string) (model.FlowTemplate, error) {
	return getFlowTemplate(ctx, s.r, id)
}

func getFlowTemplate(ctx context.Context, q querier, id string) (model.FlowTemplate, error) {
	t, err := scanFlowTemplate(q.QueryRowContext(ctx, `SELECT `+flowTemplateCols+` FROM flow_templates WHERE id = ?`, id))
	if err != nil {
		return model.FlowTemplate{}, notFound(err, "flow template", id)
	}
	return t, nil
}

// clearDefault takes the default flag from every template but keep, bumping
// their versions because their visible state changes.
func clearDefault(ctx context.Context, tx *sql.Tx, keep string, at string) error {
	_, err := tx.ExecContext(ctx,
		`UPDATE flow_templates SET is_default = 0, version = version + 1, updated_at = ?
		 WHERE is_default = 1 AND id <> ?`, at, keep)
	if err != nil {
		return fmt.Errorf("sqlite: clear default flow template: %w", err)
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
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := checkSpecRefs(ctx, tx, t.Config, "config."); err != nil {
			return err
		}
		if t.IsDefault {
			if err := clearDefault(ctx, tx, t.ID, fmtTime(ts)); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO flow_templates (id, name, description, is_default, config_name, config_description,
			 config_constitution_id, config_sysprompt_id, config_superego_enabled, config_superego_model,
			 config_assistant_model, config_on_superego_error, version, created_at, updated_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.Name, t.Description, t.IsDefault, t.Config.Name, t.Config.Description,
			nullStr(t.Config.ConstitutionID), nullStr(t.Config.SyspromptID), t.Config.SuperegoEnabled,
			t.Config.SuperegoModel, t.Config.AssistantModel, t.Config.OnSuperegoError,
			t.Version, fmtTime(ts), fmtTime(ts))
		if isUniqueViolation(err) {
			return fmt.Errorf("flow template %q already exists: %w", t.ID, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("sqlite: create flow template: %w", err)
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
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := checkVersion(ctx, tx, "flow_templates", "flow template", t.ID, ifVersion); err != nil {
			return err
		}
		if err := checkSpecRefs(ctx, tx, t.Config, "config."); err != nil {
			return err
		}
		ts := fmtTime(now())
		if t.IsDefault {
			if err := clearDefault(ctx, tx, t.ID, ts); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx,
			`UPDATE flow_templates SET name = ?, description = ?, is_default = ?, config_name = ?,
			 config_description = ?, config_constitution_id = ?, config_sysprompt_id = ?,
			 config_superego_enabled = ?, config_superego_model = ?, config_assistant_model = ?,
			 config_on_superego_error = ?, version = version + 1, updated_at = ?
			 WHERE id = ?`,
			t.Name, t.Description, t.IsDefault, t.Config.Name, t.Config.Description,
			nullStr(t.Config.ConstitutionID), nullStr(t.Config.SyspromptID), t.Config.SuperegoEnabled,
			t.Config.SuperegoModel, t.Config.AssistantModel, t.Config.OnSuperegoError, ts, t.ID)
		if err != nil {
			return fmt.Errorf("sqlite: update flow template: %w", err)
		}
		out, err = getFlowTemplate(ctx, tx, t.ID)
		return err
	})
	if err != nil {
		return model.FlowTemplate{}, err
	}
	return out, nil
}

// DeleteFlowTemplate removes a template. Nothing refers to templates:
// instantiating one copies its config.
func (s *Store) DeleteFlowTemplate(ctx context.Context, id string, ifVersion int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := checkVersion(ctx, tx, "flow_templates", "flow template", id, ifVersion); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM flow_templates WHERE id = ?`, id); err != nil {
			return fmt.Errorf("sqlite: delete flow template: %w", err)
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
	err := s.tx(ctx, func(tx *sql.Tx) error {
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

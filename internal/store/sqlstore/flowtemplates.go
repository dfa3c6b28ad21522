package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

var flowTemplates = table[model.FlowTemplate]{
	name: "flow_templates", resource: "flow template",
	cols: `id, name, description, is_default, config_name, config_description,
	coalesce(config_constitution_id, ''), coalesce(config_sysprompt_id, ''), config_superego_enabled,
	config_superego_model, config_assistant_model, config_on_superego_error,
	config_assistant_start, config_screen_output, config_screen_chunk, config_superego_params,
	config_assistant_params, version, created_at, updated_at`,
	scan: func(sc Scanner) (model.FlowTemplate, error) {
		var t model.FlowTemplate
		err := sc.Scan(&t.ID, &t.Name, &t.Description, &t.IsDefault, &t.Config.Name, &t.Config.Description,
			&t.Config.ConstitutionID, &t.Config.SyspromptID, &t.Config.SuperegoEnabled,
			&t.Config.SuperegoModel, &t.Config.AssistantModel, &t.Config.OnSuperegoError,
			&t.Config.AssistantStart, &t.Config.ScreenOutput, &t.Config.ScreenChunk,
			paramsIn{&t.Config.SuperegoParams}, paramsIn{&t.Config.AssistantParams}, &t.Version, at{&t.CreatedAt}, at{&t.UpdatedAt})
		return t, err
	},
	clone: func(t model.FlowTemplate) model.FlowTemplate {
		t.Config = t.Config.Clone()
		return t
	},
}

// templateFields are a template's writable columns, in the order of
// templateArgs; templateSet assigns them.
const templateFields = `name, description, is_default, config_name, config_description,
	config_constitution_id, config_sysprompt_id, config_superego_enabled, config_superego_model,
	config_assistant_model, config_on_superego_error, config_assistant_start, config_screen_output,
	config_screen_chunk, config_superego_params, config_assistant_params`

var templateSet = strings.ReplaceAll(templateFields, ",", " = ?,") + " = ?"

func templateArgs(t model.FlowTemplate) []any {
	return []any{t.Name, t.Description, t.IsDefault, t.Config.Name, t.Config.Description,
		nullStr(t.Config.ConstitutionID), nullStr(t.Config.SyspromptID), t.Config.SuperegoEnabled,
		t.Config.SuperegoModel, t.Config.AssistantModel, t.Config.OnSuperegoError,
		t.Config.AssistantStart, t.Config.ScreenOutput, t.Config.ScreenChunk,
		encodeParams(t.Config.SuperegoParams), encodeParams(t.Config.AssistantParams)}
}

// ListFlowTemplates lists flow templates by id.
func (s *Store) ListFlowTemplates(ctx context.Context, p store.Page) ([]model.FlowTemplate, string, error) {
	return flowTemplates.list(ctx, s, p, func(t model.FlowTemplate) string { return t.ID })
}

// GetFlowTemplate returns one flow template.
func (s *Store) GetFlowTemplate(ctx context.Context, id string) (model.FlowTemplate, error) {
	return flowTemplates.get(ctx, s.reader(), id)
}

// defaultTemplateLock is the transaction-scoped lock key taken (where the
// dialect has such locks) by every write that makes a template the
// default. Two such writes would otherwise each clear the flag on
// committed rows, then collide on the one-default unique index; taken
// first, it also orders their row locks so they cannot deadlock.
const defaultTemplateLock = 0x5e6e60de

// takeDefault takes the default flag from every template but keep, bumping
// their versions because their visible state changes.
func takeDefault(ctx context.Context, tx db, keep string, at time.Time) error {
	if tx.s.d.XactLock != "" {
		if _, err := tx.ExecContext(ctx, tx.s.d.XactLock, int64(defaultTemplateLock)); err != nil {
			return tx.s.errorf("lock default flow template: %w", err)
		}
	}
	_, err := tx.ExecContext(ctx,
		`UPDATE flow_templates SET is_default = ?, version = version + 1, updated_at = ?
		 WHERE is_default AND id <> ?`, false, tx.time(at), keep)
	if err != nil {
		return tx.s.errorf("clear default flow template: %w", err)
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
	err := s.tx(ctx, func(tx db) error {
		if err := checkSpecRefs(ctx, tx, t.Config, "config."); err != nil {
			return err
		}
		if t.IsDefault {
			if err := takeDefault(ctx, tx, t.ID, ts); err != nil {
				return err
			}
		}
		args := append([]any{t.ID}, templateArgs(t)...)
		_, err := tx.ExecContext(ctx,
			`INSERT INTO flow_templates (id, `+templateFields+`, version, created_at, updated_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append(args, t.Version, tx.time(ts), tx.time(ts))...)
		return s.created(err, "flow template", t.ID)
	})
	if err != nil {
		return model.FlowTemplate{}, err
	}
	return t, nil
}

// UpdateFlowTemplate replaces the writable fields and bumps the version.
func (s *Store) UpdateFlowTemplate(ctx context.Context, t model.FlowTemplate, ifVersion int) (model.FlowTemplate, error) {
	var out model.FlowTemplate
	err := s.tx(ctx, func(tx db) error {
		if t.IsDefault {
			if err := takeDefault(ctx, tx, t.ID, now()); err != nil {
				return err
			}
		}
		check := func() error { return checkSpecRefs(ctx, tx, t.Config, "config.") }
		var err error
		out, err = flowTemplates.update(ctx, tx, t.ID, ifVersion, check, templateSet, templateArgs(t)...)
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
	return s.tx(ctx, func(tx db) error { return flowTemplates.delete(ctx, tx, id, ifVersion, false) })
}

// InstantiateFlowTemplate creates a flow config from the template's config
// and an instance on it, in one transaction, so a failure leaves neither.
// The config is named after the template when its spec has no name; the
// instance is named instanceName, or after the template.
func (s *Store) InstantiateFlowTemplate(ctx context.Context, templateID, instanceName string) (model.FlowConfig, model.FlowInstance, error) {
	var cfg model.FlowConfig
	var inst model.FlowInstance
	err := s.tx(ctx, func(tx db) error {
		t, err := flowTemplates.get(ctx, tx, templateID)
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

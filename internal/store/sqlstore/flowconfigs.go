package sqlstore

import (
	"context"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

var flowConfigs = table[model.FlowConfig]{
	name: "flow_configs", resource: "flow config",
	cols: `id, name, description, coalesce(constitution_id, ''), coalesce(sysprompt_id, ''),
	superego_enabled, superego_model, assistant_model, on_superego_error,
	assistant_start, screen_output, screen_chunk, superego_params, assistant_params,
	version, created_at, updated_at`,
	scan: func(sc Scanner) (model.FlowConfig, error) {
		var c model.FlowConfig
		err := sc.Scan(&c.ID, &c.Name, &c.Description, &c.ConstitutionID, &c.SyspromptID,
			&c.SuperegoEnabled, &c.SuperegoModel, &c.AssistantModel, &c.OnSuperegoError,
			&c.AssistantStart, &c.ScreenOutput, &c.ScreenChunk, paramsIn{&c.SuperegoParams}, paramsIn{&c.AssistantParams},
			&c.Version, at{&c.CreatedAt}, at{&c.UpdatedAt})
		return c, err
	},
	clone: func(c model.FlowConfig) model.FlowConfig {
		c.FlowSpec = c.Clone()
		return c
	},
}

// checkSpecRefs checks the constitution and sysprompt a flow spec names;
// prefix is "" for a flow config and "config." for a template.
func checkSpecRefs(ctx context.Context, q db, spec model.FlowSpec, prefix string) error {
	if err := checkRef(ctx, q, "constitutions", prefix+"constitution_id", spec.ConstitutionID); err != nil {
		return err
	}
	return checkRef(ctx, q, "sysprompts", prefix+"sysprompt_id", spec.SyspromptID)
}

// ListFlowConfigs lists flow configs by id.
func (s *Store) ListFlowConfigs(ctx context.Context, p store.Page) ([]model.FlowConfig, string, error) {
	return flowConfigs.list(ctx, s, p, func(c model.FlowConfig) string { return c.ID })
}

// GetFlowConfig returns one flow config.
func (s *Store) GetFlowConfig(ctx context.Context, id string) (model.FlowConfig, error) {
	return flowConfigs.get(ctx, s.reader(), id)
}

// CreateFlowConfig stores a new flow config after checking its references.
func (s *Store) CreateFlowConfig(ctx context.Context, c model.FlowConfig) (model.FlowConfig, error) {
	err := s.tx(ctx, func(tx db) error {
		var err error
		c, err = insertFlowConfig(ctx, tx, c)
		return err
	})
	if err != nil {
		return model.FlowConfig{}, err
	}
	return c, nil
}

func insertFlowConfig(ctx context.Context, tx db, c model.FlowConfig) (model.FlowConfig, error) {
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
		 superego_model, assistant_model, on_superego_error, assistant_start, screen_output, screen_chunk,
		 superego_params, assistant_params, version, created_at, updated_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, c.Description, nullStr(c.ConstitutionID), nullStr(c.SyspromptID), c.SuperegoEnabled,
		c.SuperegoModel, c.AssistantModel, c.OnSuperegoError, c.AssistantStart, c.ScreenOutput, c.ScreenChunk,
		encodeParams(c.SuperegoParams), encodeParams(c.AssistantParams), c.Version, tx.time(t), tx.time(t))
	return c, tx.s.created(err, "flow config", c.ID)
}

// UpdateFlowConfig replaces the writable fields and bumps the version.
func (s *Store) UpdateFlowConfig(ctx context.Context, c model.FlowConfig, ifVersion int) (model.FlowConfig, error) {
	var out model.FlowConfig
	err := s.tx(ctx, func(tx db) error {
		check := func() error { return checkSpecRefs(ctx, tx, c.FlowSpec, "") }
		var err error
		out, err = flowConfigs.update(ctx, tx, c.ID, ifVersion, check,
			`name = ?, description = ?, constitution_id = ?, sysprompt_id = ?, superego_enabled = ?,
			 superego_model = ?, assistant_model = ?, on_superego_error = ?,
			 assistant_start = ?, screen_output = ?, screen_chunk = ?, superego_params = ?, assistant_params = ?`,
			c.Name, c.Description, nullStr(c.ConstitutionID), nullStr(c.SyspromptID), c.SuperegoEnabled,
			c.SuperegoModel, c.AssistantModel, c.OnSuperegoError, c.AssistantStart, c.ScreenOutput, c.ScreenChunk,
			encodeParams(c.SuperegoParams), encodeParams(c.AssistantParams))
		return err
	})
	if err != nil {
		return model.FlowConfig{}, err
	}
	return out, nil
}

// DeleteFlowConfig removes a flow config no instance uses.
func (s *Store) DeleteFlowConfig(ctx context.Context, id string, ifVersion int) error {
	return s.tx(ctx, func(tx db) error { return flowConfigs.delete(ctx, tx, id, ifVersion, false, flowConfigRefs...) })
}

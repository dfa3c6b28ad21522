-- +goose Up
-- When a flow's assistant starts (after the verdict, or speculatively with
-- the superego) and whether the superego screens its answer (off, final,
-- streaming every screen_chunk tokens). Empty and 0 mean the defaults, so
-- existing configs and templates keep behaving as before.
ALTER TABLE flow_configs ADD COLUMN assistant_start {{.Text}} NOT NULL DEFAULT '';
ALTER TABLE flow_configs ADD COLUMN screen_output {{.Text}} NOT NULL DEFAULT '';
ALTER TABLE flow_configs ADD COLUMN screen_chunk {{.Int}} NOT NULL DEFAULT 0;
ALTER TABLE flow_templates ADD COLUMN config_assistant_start {{.Text}} NOT NULL DEFAULT '';
ALTER TABLE flow_templates ADD COLUMN config_screen_output {{.Text}} NOT NULL DEFAULT '';
ALTER TABLE flow_templates ADD COLUMN config_screen_chunk {{.Int}} NOT NULL DEFAULT 0;
-- Output tokens of speculative assistant calls thrown away.
ALTER TABLE runs ADD COLUMN wasted_tokens {{.Int}} NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE runs DROP COLUMN wasted_tokens;
ALTER TABLE flow_templates DROP COLUMN config_screen_chunk;
ALTER TABLE flow_templates DROP COLUMN config_screen_output;
ALTER TABLE flow_templates DROP COLUMN config_assistant_start;
ALTER TABLE flow_configs DROP COLUMN screen_chunk;
ALTER TABLE flow_configs DROP COLUMN screen_output;
ALTER TABLE flow_configs DROP COLUMN assistant_start;

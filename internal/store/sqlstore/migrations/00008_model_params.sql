-- +goose Up
-- Generation parameters (temperature, top_p, max_tokens, seed, reasoning
-- effort, thinking budget) as JSON text: per flow config and template for
-- the superego and the assistant ('' for none set), and on each message
-- the ones its call sent ('' for none).
ALTER TABLE flow_configs ADD COLUMN superego_params {{.Text}} NOT NULL DEFAULT '';
ALTER TABLE flow_configs ADD COLUMN assistant_params {{.Text}} NOT NULL DEFAULT '';
ALTER TABLE flow_templates ADD COLUMN config_superego_params {{.Text}} NOT NULL DEFAULT '';
ALTER TABLE flow_templates ADD COLUMN config_assistant_params {{.Text}} NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN params {{.Text}} NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE messages DROP COLUMN params;
ALTER TABLE flow_templates DROP COLUMN config_assistant_params;
ALTER TABLE flow_templates DROP COLUMN config_superego_params;
ALTER TABLE flow_configs DROP COLUMN assistant_params;
ALTER TABLE flow_configs DROP COLUMN superego_params;

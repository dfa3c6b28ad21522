-- +goose Up
-- The constitution section a superego decision cites, by heading ('' for none).
ALTER TABLE messages ADD COLUMN section {{.Text}} NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE messages DROP COLUMN section;

-- +goose Up
-- The constitution section the superego cited for its decision (by heading).
ALTER TABLE messages ADD COLUMN section TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE messages DROP COLUMN section;

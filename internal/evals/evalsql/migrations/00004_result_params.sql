-- +goose Up
-- The generation parameters each row's superego and assistant calls sent,
-- as JSON text ('' for none), so that a result can be reproduced.
ALTER TABLE eval_results ADD COLUMN superego_params TEXT NOT NULL DEFAULT '';
ALTER TABLE eval_results ADD COLUMN assistant_params TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE eval_results DROP COLUMN assistant_params;
ALTER TABLE eval_results DROP COLUMN superego_params;

-- +goose Up
-- The output screen's verdict on a full-mode row's answer (issue 15); empty
-- when the target does not screen output or there was no answer.
ALTER TABLE eval_results ADD COLUMN output_decision TEXT NOT NULL DEFAULT '';
ALTER TABLE eval_results ADD COLUMN output_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE eval_results ADD COLUMN output_section TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE eval_results DROP COLUMN output_section;
ALTER TABLE eval_results DROP COLUMN output_reason;
ALTER TABLE eval_results DROP COLUMN output_decision;

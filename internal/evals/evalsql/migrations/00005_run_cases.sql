-- +goose Up
-- An eval run of some cases of its suite only (a rerun of one row under
-- another target): their ids as a JSON array; empty for every case.
ALTER TABLE eval_runs ADD COLUMN case_ids TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE eval_runs DROP COLUMN case_ids;

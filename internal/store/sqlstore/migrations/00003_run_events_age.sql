-- +goose Up
-- Stored run events are pruned by age (PruneRunEvents); this index keeps
-- finding the old ones cheap however large the table grows. PostgreSQL only.
{{- if .Postgres}}
CREATE INDEX run_events_created_at ON run_events (created_at);

-- +goose Down
DROP INDEX run_events_created_at;
{{- end}}

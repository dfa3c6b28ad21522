-- +goose Up
-- Durable run events, so a run can be resumed and live-tailed from any
-- replica, and run leases, so the replicas can tell a run whose server
-- died from one still going. PostgreSQL only: SQLite serves one process.
{{- if .Postgres}}

-- One row per event of a run, written in batches. The whole event is kept
-- as JSON; type is a column so partial text can be rebuilt in SQL.
CREATE TABLE run_events (
    run_id     text COLLATE "C" NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    type       text NOT NULL,
    event      json NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq)
);

-- owner names the replica executing the run; lease_until is renewed by it
-- while it lives. Both are in database time, so replica clocks may differ.
ALTER TABLE runs ADD COLUMN owner text NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN lease_until timestamptz;
CREATE INDEX runs_running_lease ON runs(lease_until) WHERE status = 'running';

-- +goose Down
DROP INDEX runs_running_lease;
ALTER TABLE runs DROP COLUMN lease_until;
ALTER TABLE runs DROP COLUMN owner;
DROP TABLE run_events;
{{- end}}

-- +goose Up
-- Attributions ("Why this verdict?"): one job explaining one superego
-- message or every non-ALLOW row of an eval by ablation; its items (the
-- verdicts explained) and every superego call it made, with its thinking.
CREATE TABLE attributions (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    eval_run_id TEXT NOT NULL,
    alone       INTEGER NOT NULL,
    status      TEXT NOT NULL,
    items       INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    error       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX attributions_message ON attributions (message_id, created_at);
CREATE INDEX attributions_eval_run ON attributions (eval_run_id, created_at);
CREATE INDEX attributions_unfinished ON attributions (status) WHERE status IN ('queued', 'running');

-- sections is the JSON list of the item's sections with their effects,
-- written when its last call is stored (finished = 1).
CREATE TABLE attribution_items (
    attribution_id       TEXT NOT NULL REFERENCES attributions (id) ON DELETE CASCADE,
    item                 INTEGER NOT NULL,
    ref                  TEXT NOT NULL,
    target               INTEGER NOT NULL,
    rep                  INTEGER NOT NULL,
    category             TEXT NOT NULL,
    input                TEXT NOT NULL,
    flow_config_id       TEXT NOT NULL,
    constitution_id      TEXT NOT NULL,
    constitution_version INTEGER NOT NULL,
    draft_hash           TEXT NOT NULL,
    calls                INTEGER NOT NULL,
    finished             INTEGER NOT NULL,
    decision             TEXT NOT NULL,
    cited                TEXT NOT NULL,
    cited_id             TEXT NOT NULL,
    faithful             INTEGER,
    sections             TEXT NOT NULL,
    PRIMARY KEY (attribution_id, item)
);

-- The primary key makes a resumed job unable to store a call twice.
CREATE TABLE attribution_calls (
    attribution_id TEXT NOT NULL REFERENCES attributions (id) ON DELETE CASCADE,
    item           INTEGER NOT NULL,
    idx            INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    section_id     TEXT NOT NULL,
    decision       TEXT NOT NULL,
    reason         TEXT NOT NULL,
    cited          TEXT NOT NULL,
    thinking       TEXT NOT NULL,
    visible        TEXT NOT NULL,
    model          TEXT NOT NULL,
    input_tokens   BIGINT NOT NULL,
    output_tokens  BIGINT NOT NULL,
    latency_ms     BIGINT NOT NULL,
    error          TEXT NOT NULL,
    finished_at    BIGINT NOT NULL,
    PRIMARY KEY (attribution_id, item, idx)
);

-- +goose Down
DROP TABLE attribution_calls;
DROP TABLE attribution_items;
DROP TABLE attributions;

-- +goose Up
-- Times are TEXT in a fixed-width UTC form (2006-01-02T15:04:05.000000Z) so
-- that they sort as strings and keyset cursors can compare them directly.
-- Optional references are NULL rather than '' so foreign keys can check them.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE constitutions (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    content     TEXT NOT NULL DEFAULT '',
    protected   INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

-- Every version's text is kept, version 1 included, so a message can always
-- be traced to the exact rules it was screened against.
CREATE TABLE constitution_versions (
    constitution_id TEXT NOT NULL REFERENCES constitutions(id) ON DELETE CASCADE,
    version         INTEGER NOT NULL,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    content         TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    PRIMARY KEY (constitution_id, version)
) STRICT;

CREATE TABLE sysprompts (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    content    TEXT NOT NULL DEFAULT '',
    protected  INTEGER NOT NULL DEFAULT 0,
    version    INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE flow_configs (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    constitution_id   TEXT REFERENCES constitutions(id),
    sysprompt_id      TEXT REFERENCES sysprompts(id),
    superego_enabled  INTEGER NOT NULL,
    superego_model    TEXT NOT NULL DEFAULT '',
    assistant_model   TEXT NOT NULL DEFAULT '',
    on_superego_error TEXT NOT NULL DEFAULT '',
    version           INTEGER NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
) STRICT;
CREATE INDEX flow_configs_constitution ON flow_configs(constitution_id);
CREATE INDEX flow_configs_sysprompt ON flow_configs(sysprompt_id);

-- The template's config spec is kept as columns so its references can be
-- checked by foreign keys like a real flow config's.
CREATE TABLE flow_templates (
    id                       TEXT PRIMARY KEY,
    name                     TEXT NOT NULL,
    description              TEXT NOT NULL DEFAULT '',
    is_default               INTEGER NOT NULL DEFAULT 0,
    config_name              TEXT NOT NULL DEFAULT '',
    config_description       TEXT NOT NULL DEFAULT '',
    config_constitution_id   TEXT REFERENCES constitutions(id),
    config_sysprompt_id      TEXT REFERENCES sysprompts(id),
    config_superego_enabled  INTEGER NOT NULL,
    config_superego_model    TEXT NOT NULL DEFAULT '',
    config_assistant_model   TEXT NOT NULL DEFAULT '',
    config_on_superego_error TEXT NOT NULL DEFAULT '',
    version                  INTEGER NOT NULL,
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL
) STRICT;
-- At most one default template, enforced by the database as well.
CREATE UNIQUE INDEX flow_templates_one_default ON flow_templates(is_default) WHERE is_default = 1;

-- parent_instance_id and forked_from_message_id carry no foreign key: a fork
-- outlives the deletion of the instance it came from.
CREATE TABLE flow_instances (
    id                        TEXT PRIMARY KEY,
    flow_config_id            TEXT NOT NULL REFERENCES flow_configs(id),
    name                      TEXT NOT NULL,
    description               TEXT NOT NULL DEFAULT '',
    message_count             INTEGER NOT NULL DEFAULT 0,
    last_message_at           TEXT,
    parent_instance_id        TEXT,
    forked_from_message_id    TEXT,
    override_constitution_id  TEXT REFERENCES constitutions(id),
    override_sysprompt_id     TEXT REFERENCES sysprompts(id),
    override_superego_enabled INTEGER,
    comparison_id             TEXT,
    version                   INTEGER NOT NULL,
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL
) STRICT;
CREATE INDEX flow_instances_newest ON flow_instances(created_at DESC, id DESC);
CREATE INDEX flow_instances_comparison ON flow_instances(comparison_id, created_at DESC, id DESC);
CREATE INDEX flow_instances_config ON flow_instances(flow_config_id);
CREATE INDEX flow_instances_override_constitution ON flow_instances(override_constitution_id);
CREATE INDEX flow_instances_override_sysprompt ON flow_instances(override_sysprompt_id);

-- Runs are history: their config and user message ids are recorded, not
-- enforced, so editing an instance later cannot orphan them.
CREATE TABLE runs (
    id               TEXT PRIMARY KEY,
    flow_instance_id TEXT NOT NULL REFERENCES flow_instances(id) ON DELETE CASCADE,
    flow_config_id   TEXT NOT NULL DEFAULT '',
    user_message_id  TEXT NOT NULL DEFAULT '',
    comparison_id    TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    decision         TEXT NOT NULL DEFAULT '',
    error            TEXT NOT NULL DEFAULT '',
    input_tokens     INTEGER NOT NULL DEFAULT 0,
    output_tokens    INTEGER NOT NULL DEFAULT 0,
    superego_ms      INTEGER NOT NULL DEFAULT 0,
    first_token_ms   INTEGER NOT NULL DEFAULT 0,
    total_ms         INTEGER NOT NULL DEFAULT 0,
    last_seq         INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    finished_at      TEXT
) STRICT;
CREATE INDEX runs_instance ON runs(flow_instance_id);
CREATE INDEX runs_status ON runs(status);

-- Messages record the exact constitution id and version and the system
-- prompt they were produced with; those are history and carry no foreign key.
CREATE TABLE messages (
    id                   TEXT PRIMARY KEY,
    flow_instance_id     TEXT NOT NULL REFERENCES flow_instances(id) ON DELETE CASCADE,
    run_id               TEXT NOT NULL DEFAULT '',
    position             INTEGER NOT NULL,
    role                 TEXT NOT NULL,
    content              TEXT NOT NULL DEFAULT '',
    decision             TEXT NOT NULL DEFAULT '',
    reason               TEXT NOT NULL DEFAULT '',
    thinking             TEXT NOT NULL DEFAULT '',
    constitution_id      TEXT NOT NULL DEFAULT '',
    constitution_version INTEGER NOT NULL DEFAULT 0,
    sysprompt_id         TEXT NOT NULL DEFAULT '',
    model                TEXT NOT NULL DEFAULT '',
    input_tokens         INTEGER NOT NULL DEFAULT 0,
    output_tokens        INTEGER NOT NULL DEFAULT 0,
    superego_ms          INTEGER NOT NULL DEFAULT 0,
    first_token_ms       INTEGER NOT NULL DEFAULT 0,
    total_ms             INTEGER NOT NULL DEFAULT 0,
    status               TEXT NOT NULL,
    error                TEXT NOT NULL DEFAULT '',
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    UNIQUE (flow_instance_id, position)
) STRICT;
CREATE INDEX messages_run ON messages(run_id);

-- +goose Down
DROP TABLE messages;
DROP TABLE runs;
DROP TABLE flow_instances;
DROP TABLE flow_templates;
DROP TABLE flow_configs;
DROP TABLE sysprompts;
DROP TABLE constitution_versions;
DROP TABLE constitutions;
DROP TABLE meta;

-- +goose Up
-- One schema for both databases, a template filled with each dialect's
-- column types (see sqlstore.Migrate). SQLite: times are TEXT in a fixed-width
-- UTC form (2006-01-02T15:04:05.000000Z) so that they sort as strings and
-- keyset cursors can compare them directly; flags are INTEGER; tables are
-- STRICT. PostgreSQL: times are timestamptz (microsecond precision, the
-- precision both stores keep), flags are boolean, and ids use the "C"
-- collation so they sort bytewise, as SQLite sorts them, whatever the
-- database's default collation: id-ordered lists and their cursors then
-- page identically on both stores. Optional references are NULL rather
-- than '' so foreign keys can check them.

CREATE TABLE meta (
    key   {{.Text}} PRIMARY KEY,
    value {{.Text}} NOT NULL
){{.Strict}};

CREATE TABLE constitutions (
    id          {{.ID}} PRIMARY KEY,
    name        {{.Text}} NOT NULL,
    description {{.Text}} NOT NULL DEFAULT '',
    content     {{.Text}} NOT NULL DEFAULT '',
    protected   {{.Bool}} NOT NULL DEFAULT {{.False}},
    version     {{.Int}} NOT NULL,
    created_at  {{.Time}} NOT NULL,
    updated_at  {{.Time}} NOT NULL
){{.Strict}};

-- Every version's text is kept, version 1 included, so a message can always
-- be traced to the exact rules it was screened against.
CREATE TABLE constitution_versions (
    constitution_id {{.ID}} NOT NULL REFERENCES constitutions(id) ON DELETE CASCADE,
    version         {{.Int}} NOT NULL,
    name            {{.Text}} NOT NULL,
    description     {{.Text}} NOT NULL DEFAULT '',
    content         {{.Text}} NOT NULL DEFAULT '',
    created_at      {{.Time}} NOT NULL,
    PRIMARY KEY (constitution_id, version)
){{.Strict}};

CREATE TABLE sysprompts (
    id         {{.ID}} PRIMARY KEY,
    name       {{.Text}} NOT NULL,
    content    {{.Text}} NOT NULL DEFAULT '',
    protected  {{.Bool}} NOT NULL DEFAULT {{.False}},
    version    {{.Int}} NOT NULL,
    created_at {{.Time}} NOT NULL,
    updated_at {{.Time}} NOT NULL
){{.Strict}};

CREATE TABLE flow_configs (
    id                {{.ID}} PRIMARY KEY,
    name              {{.Text}} NOT NULL,
    description       {{.Text}} NOT NULL DEFAULT '',
    constitution_id   {{.ID}} REFERENCES constitutions(id),
    sysprompt_id      {{.ID}} REFERENCES sysprompts(id),
    superego_enabled  {{.Bool}} NOT NULL,
    superego_model    {{.Text}} NOT NULL DEFAULT '',
    assistant_model   {{.Text}} NOT NULL DEFAULT '',
    on_superego_error {{.Text}} NOT NULL DEFAULT '',
    version           {{.Int}} NOT NULL,
    created_at        {{.Time}} NOT NULL,
    updated_at        {{.Time}} NOT NULL
){{.Strict}};
CREATE INDEX flow_configs_constitution ON flow_configs(constitution_id);
CREATE INDEX flow_configs_sysprompt ON flow_configs(sysprompt_id);

-- The template's config spec is kept as columns so its references can be
-- checked by foreign keys like a real flow config's.
CREATE TABLE flow_templates (
    id                       {{.ID}} PRIMARY KEY,
    name                     {{.Text}} NOT NULL,
    description              {{.Text}} NOT NULL DEFAULT '',
    is_default               {{.Bool}} NOT NULL DEFAULT {{.False}},
    config_name              {{.Text}} NOT NULL DEFAULT '',
    config_description       {{.Text}} NOT NULL DEFAULT '',
    config_constitution_id   {{.ID}} REFERENCES constitutions(id),
    config_sysprompt_id      {{.ID}} REFERENCES sysprompts(id),
    config_superego_enabled  {{.Bool}} NOT NULL,
    config_superego_model    {{.Text}} NOT NULL DEFAULT '',
    config_assistant_model   {{.Text}} NOT NULL DEFAULT '',
    config_on_superego_error {{.Text}} NOT NULL DEFAULT '',
    version                  {{.Int}} NOT NULL,
    created_at               {{.Time}} NOT NULL,
    updated_at               {{.Time}} NOT NULL
){{.Strict}};
{{- if .Postgres}}
CREATE INDEX flow_templates_config_constitution ON flow_templates(config_constitution_id);
CREATE INDEX flow_templates_config_sysprompt ON flow_templates(config_sysprompt_id);
-- At most one default template, enforced by the database as well.
CREATE UNIQUE INDEX flow_templates_one_default ON flow_templates(is_default) WHERE is_default;
{{- else}}
-- At most one default template, enforced by the database as well.
CREATE UNIQUE INDEX flow_templates_one_default ON flow_templates(is_default) WHERE is_default = 1;
{{- end}}

-- parent_instance_id and forked_from_message_id carry no foreign key: a fork
-- outlives the deletion of the instance it came from.
CREATE TABLE flow_instances (
    id                        {{.ID}} PRIMARY KEY,
    flow_config_id            {{.ID}} NOT NULL REFERENCES flow_configs(id),
    name                      {{.Text}} NOT NULL,
    description               {{.Text}} NOT NULL DEFAULT '',
    message_count             {{.Int}} NOT NULL DEFAULT 0,
    last_message_at           {{.Time}},
    parent_instance_id        {{.ID}},
    forked_from_message_id    {{.ID}},
    override_constitution_id  {{.ID}} REFERENCES constitutions(id),
    override_sysprompt_id     {{.ID}} REFERENCES sysprompts(id),
    override_superego_enabled {{.Bool}},
    comparison_id             {{.ID}},
    version                   {{.Int}} NOT NULL,
    created_at                {{.Time}} NOT NULL,
    updated_at                {{.Time}} NOT NULL
){{.Strict}};
CREATE INDEX flow_instances_newest ON flow_instances(created_at DESC, id DESC);
CREATE INDEX flow_instances_comparison ON flow_instances(comparison_id, created_at DESC, id DESC);
CREATE INDEX flow_instances_config ON flow_instances(flow_config_id);
CREATE INDEX flow_instances_override_constitution ON flow_instances(override_constitution_id);
CREATE INDEX flow_instances_override_sysprompt ON flow_instances(override_sysprompt_id);

-- Runs are history: their config and user message ids are recorded, not
-- enforced, so editing an instance later cannot orphan them.
CREATE TABLE runs (
    id               {{.ID}} PRIMARY KEY,
    flow_instance_id {{.ID}} NOT NULL REFERENCES flow_instances(id) ON DELETE CASCADE,
    flow_config_id   {{.ID}} NOT NULL DEFAULT '',
    user_message_id  {{.ID}} NOT NULL DEFAULT '',
    comparison_id    {{.ID}} NOT NULL DEFAULT '',
    status           {{.Text}} NOT NULL,
    decision         {{.Text}} NOT NULL DEFAULT '',
    error            {{.Text}} NOT NULL DEFAULT '',
    input_tokens     {{.Int}} NOT NULL DEFAULT 0,
    output_tokens    {{.Int}} NOT NULL DEFAULT 0,
    superego_ms      {{.BigInt}} NOT NULL DEFAULT 0,
    first_token_ms   {{.BigInt}} NOT NULL DEFAULT 0,
    total_ms         {{.BigInt}} NOT NULL DEFAULT 0,
    last_seq         {{.BigInt}} NOT NULL DEFAULT 0,
    created_at       {{.Time}} NOT NULL,
    finished_at      {{.Time}}
){{.Strict}};
CREATE INDEX runs_instance ON runs(flow_instance_id);
CREATE INDEX runs_status ON runs(status);

-- Messages record the exact constitution id and version and the system
-- prompt they were produced with; those are history and carry no foreign key.
CREATE TABLE messages (
    id                   {{.ID}} PRIMARY KEY,
    flow_instance_id     {{.ID}} NOT NULL REFERENCES flow_instances(id) ON DELETE CASCADE,
    run_id               {{.ID}} NOT NULL DEFAULT '',
    position             {{.Int}} NOT NULL,
    role                 {{.Text}} NOT NULL,
    content              {{.Text}} NOT NULL DEFAULT '',
    decision             {{.Text}} NOT NULL DEFAULT '',
    reason               {{.Text}} NOT NULL DEFAULT '',
    thinking             {{.Text}} NOT NULL DEFAULT '',
    constitution_id      {{.ID}} NOT NULL DEFAULT '',
    constitution_version {{.Int}} NOT NULL DEFAULT 0,
    sysprompt_id         {{.ID}} NOT NULL DEFAULT '',
    model                {{.Text}} NOT NULL DEFAULT '',
    input_tokens         {{.Int}} NOT NULL DEFAULT 0,
    output_tokens        {{.Int}} NOT NULL DEFAULT 0,
    superego_ms          {{.BigInt}} NOT NULL DEFAULT 0,
    first_token_ms       {{.BigInt}} NOT NULL DEFAULT 0,
    total_ms             {{.BigInt}} NOT NULL DEFAULT 0,
    status               {{.Text}} NOT NULL,
    error                {{.Text}} NOT NULL DEFAULT '',
    created_at           {{.Time}} NOT NULL,
    updated_at           {{.Time}} NOT NULL,
    UNIQUE (flow_instance_id, position)
){{.Strict}};
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

-- +goose Up
-- The same schema as the SQLite store, in PostgreSQL types: times are
-- timestamptz (microsecond precision, the precision both stores keep),
-- flags are boolean. Ids use the "C" collation so they sort bytewise, as
-- SQLite sorts them, whatever the database's default collation: id-ordered
-- lists and their cursors then page identically on both stores. Optional
-- references are NULL rather than '' so foreign keys can check them.

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE constitutions (
    id          text COLLATE "C" PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    content     text NOT NULL DEFAULT '',
    protected   boolean NOT NULL DEFAULT false,
    version     integer NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- Every version's text is kept, version 1 included, so a message can always
-- be traced to the exact rules it was screened against.
CREATE TABLE constitution_versions (
    constitution_id text COLLATE "C" NOT NULL REFERENCES constitutions(id) ON DELETE CASCADE,
    version         integer NOT NULL,
    name            text NOT NULL,
    description     text NOT NULL DEFAULT '',
    content         text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (constitution_id, version)
);

CREATE TABLE sysprompts (
    id         text COLLATE "C" PRIMARY KEY,
    name       text NOT NULL,
    content    text NOT NULL DEFAULT '',
    protected  boolean NOT NULL DEFAULT false,
    version    integer NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE flow_configs (
    id                text COLLATE "C" PRIMARY KEY,
    name              text NOT NULL,
    description       text NOT NULL DEFAULT '',
    constitution_id   text COLLATE "C" REFERENCES constitutions(id),
    sysprompt_id      text COLLATE "C" REFERENCES sysprompts(id),
    superego_enabled  boolean NOT NULL,
    superego_model    text NOT NULL DEFAULT '',
    assistant_model   text NOT NULL DEFAULT '',
    on_superego_error text NOT NULL DEFAULT '',
    version           integer NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX flow_configs_constitution ON flow_configs(constitution_id);
CREATE INDEX flow_configs_sysprompt ON flow_configs(sysprompt_id);

-- The template's config spec is kept as columns so its references can be
-- checked by foreign keys like a real flow config's.
CREATE TABLE flow_templates (
    id                       text COLLATE "C" PRIMARY KEY,
    name                     text NOT NULL,
    description              text NOT NULL DEFAULT '',
    is_default               boolean NOT NULL DEFAULT false,
    config_name              text NOT NULL DEFAULT '',
    config_description       text NOT NULL DEFAULT '',
    config_constitution_id   text COLLATE "C" REFERENCES constitutions(id),
    config_sysprompt_id      text COLLATE "C" REFERENCES sysprompts(id),
    config_superego_enabled  boolean NOT NULL,
    config_superego_model    text NOT NULL DEFAULT '',
    config_assistant_model   text NOT NULL DEFAULT '',
    config_on_superego_error text NOT NULL DEFAULT '',
    version                  integer NOT NULL,
    created_at               timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL
);
CREATE INDEX flow_templates_config_constitution ON flow_templates(config_constitution_id);
CREATE INDEX flow_templates_config_sysprompt ON flow_templates(config_sysprompt_id);
-- At most one default template, enforced by the database as well.
CREATE UNIQUE INDEX flow_templates_one_default ON flow_templates(is_default) WHERE is_default;

-- parent_instance_id and forked_from_message_id carry no foreign key: a fork
-- outlives the deletion of the instance it came from.
CREATE TABLE flow_instances (
    id                        text COLLATE "C" PRIMARY KEY,
    flow_config_id            text COLLATE "C" NOT NULL REFERENCES flow_configs(id),
    name                      text NOT NULL,
    description               text NOT NULL DEFAULT '',
    message_count             integer NOT NULL DEFAULT 0,
    last_message_at           timestamptz,
    parent_instance_id        text COLLATE "C",
    forked_from_message_id    text COLLATE "C",
    override_constitution_id  text COLLATE "C" REFERENCES constitutions(id),
    override_sysprompt_id     text COLLATE "C" REFERENCES sysprompts(id),
    override_superego_enabled boolean,
    comparison_id             text COLLATE "C",
    version                   integer NOT NULL,
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL
);
CREATE INDEX flow_instances_newest ON flow_instances(created_at DESC, id DESC);
CREATE INDEX flow_instances_comparison ON flow_instances(comparison_id, created_at DESC, id DESC);
CREATE INDEX flow_instances_config ON flow_instances(flow_config_id);
CREATE INDEX flow_instances_override_constitution ON flow_instances(override_constitution_id);
CREATE INDEX flow_instances_override_sysprompt ON flow_instances(override_sysprompt_id);

-- Runs are history: their config and user message ids are recorded, not
-- enforced, so editing an instance later cannot orphan them.
CREATE TABLE runs (
    id               text COLLATE "C" PRIMARY KEY,
    flow_instance_id text COLLATE "C" NOT NULL REFERENCES flow_instances(id) ON DELETE CASCADE,
    flow_config_id   text COLLATE "C" NOT NULL DEFAULT '',
    user_message_id  text COLLATE "C" NOT NULL DEFAULT '',
    comparison_id    text COLLATE "C" NOT NULL DEFAULT '',
    status           text NOT NULL,
    decision         text NOT NULL DEFAULT '',
    error            text NOT NULL DEFAULT '',
    input_tokens     integer NOT NULL DEFAULT 0,
    output_tokens    integer NOT NULL DEFAULT 0,
    superego_ms      bigint NOT NULL DEFAULT 0,
    first_token_ms   bigint NOT NULL DEFAULT 0,
    total_ms         bigint NOT NULL DEFAULT 0,
    last_seq         bigint NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL,
    finished_at      timestamptz
);
CREATE INDEX runs_instance ON runs(flow_instance_id);
CREATE INDEX runs_status ON runs(status);

-- Messages record the exact constitution id and version and the system
-- prompt they were produced with; those are history and carry no foreign key.
CREATE TABLE messages (
    id                   text COLLATE "C" PRIMARY KEY,
    flow_instance_id     text COLLATE "C" NOT NULL REFERENCES flow_instances(id) ON DELETE CASCADE,
    run_id               text COLLATE "C" NOT NULL DEFAULT '',
    position             integer NOT NULL,
    role                 text NOT NULL,
    content              text NOT NULL DEFAULT '',
    decision             text NOT NULL DEFAULT '',
    reason               text NOT NULL DEFAULT '',
    thinking             text NOT NULL DEFAULT '',
    constitution_id      text COLLATE "C" NOT NULL DEFAULT '',
    constitution_version integer NOT NULL DEFAULT 0,
    sysprompt_id         text COLLATE "C" NOT NULL DEFAULT '',
    model                text NOT NULL DEFAULT '',
    input_tokens         integer NOT NULL DEFAULT 0,
    output_tokens        integer NOT NULL DEFAULT 0,
    superego_ms          bigint NOT NULL DEFAULT 0,
    first_token_ms       bigint NOT NULL DEFAULT 0,
    total_ms             bigint NOT NULL DEFAULT 0,
    status               text NOT NULL,
    error                text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    UNIQUE (flow_instance_id, position)
);
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

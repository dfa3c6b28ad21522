-- +goose Up
-- Evaluation suites, their versioned cases, eval runs and their result rows.
-- Portable SQL for SQLite and PostgreSQL: times are Unix microseconds,
-- booleans 0/1, JSON as text.
CREATE TABLE eval_suites (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    source      TEXT NOT NULL,
    license     TEXT NOT NULL,
    builtin     INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL,
    case_count  INTEGER NOT NULL,
    counts      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE eval_suite_versions (
    suite_id    TEXT NOT NULL REFERENCES eval_suites (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    change      TEXT NOT NULL,
    case_count  INTEGER NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (suite_id, version)
);

-- A case row is part of versions added_in .. removed_in-1 of its suite;
-- removed_in is NULL while it is current.
CREATE TABLE eval_cases (
    suite_id   TEXT NOT NULL REFERENCES eval_suites (id) ON DELETE CASCADE,
    case_id    TEXT NOT NULL,
    added_in   INTEGER NOT NULL,
    removed_in INTEGER,
    position   BIGINT NOT NULL,
    input      TEXT NOT NULL,
    turns      TEXT NOT NULL,
    expected   TEXT NOT NULL,
    category   TEXT NOT NULL,
    note       TEXT NOT NULL,
    correction TEXT NOT NULL,
    PRIMARY KEY (suite_id, case_id, added_in)
);
CREATE INDEX eval_cases_current ON eval_cases (suite_id, position) WHERE removed_in IS NULL;

CREATE TABLE eval_runs (
    id            TEXT PRIMARY KEY,
    suite_id      TEXT NOT NULL REFERENCES eval_suites (id),
    suite_version INTEGER NOT NULL,
    targets       TEXT NOT NULL,
    repeats       INTEGER NOT NULL,
    mode          TEXT NOT NULL,
    status        TEXT NOT NULL,
    total         INTEGER NOT NULL,
    done          INTEGER NOT NULL,
    errors        INTEGER NOT NULL,
    error         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    finished_at   BIGINT
);
CREATE INDEX eval_runs_suite ON eval_runs (suite_id, created_at);
CREATE INDEX eval_runs_unfinished ON eval_runs (status) WHERE status IN ('queued', 'running');

-- One row per case x target x repeat; the primary key is what makes a
-- resumed or re-delivered job unable to write a row twice.
CREATE TABLE eval_results (
    eval_run_id          TEXT NOT NULL REFERENCES eval_runs (id) ON DELETE CASCADE,
    case_id              TEXT NOT NULL,
    target               INTEGER NOT NULL,
    rep                  INTEGER NOT NULL,
    seq                  BIGINT NOT NULL,
    position             BIGINT NOT NULL,
    input                TEXT NOT NULL,
    category             TEXT NOT NULL,
    expected             TEXT NOT NULL,
    decision             TEXT NOT NULL,
    reason               TEXT NOT NULL,
    cited_section        TEXT NOT NULL,
    thinking             TEXT NOT NULL,
    visible              TEXT NOT NULL,
    answer               TEXT NOT NULL,
    constitution_id      TEXT NOT NULL,
    constitution_version INTEGER NOT NULL,
    draft_hash           TEXT NOT NULL,
    model                TEXT NOT NULL,
    latency_ms           BIGINT NOT NULL,
    input_tokens         BIGINT NOT NULL,
    output_tokens        BIGINT NOT NULL,
    error                TEXT NOT NULL,
    attempts             INTEGER NOT NULL,
    finished_at          BIGINT NOT NULL,
    PRIMARY KEY (eval_run_id, case_id, target, rep)
);
CREATE INDEX eval_results_page ON eval_results (eval_run_id, position, case_id, target, rep);
-- seq numbers a run's rows in the order they were stored (1, 2, ...), so a
-- follower reads exactly the rows it has not seen.
CREATE UNIQUE INDEX eval_results_seq ON eval_results (eval_run_id, seq);

-- +goose Down
DROP TABLE eval_results;
DROP TABLE eval_runs;
DROP TABLE eval_cases;
DROP TABLE eval_suite_versions;
DROP TABLE eval_suites;

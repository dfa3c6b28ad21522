-- +goose Up
-- Full-text search over messages, constitutions and conversation names.
-- SQLite: FTS5 tables with external content (the rows stay where they are;
-- the index follows them through triggers, keyed by the tables' rowids).
-- PostgreSQL: GIN indexes on tsvector expressions with the 'simple'
-- configuration (no stemming: a word is found as typed, in any language).
{{- if .Postgres}}
CREATE INDEX messages_search ON messages USING gin (to_tsvector('simple', content));
CREATE INDEX constitutions_search ON constitutions USING gin (to_tsvector('simple', name || ' ' || content));
CREATE INDEX flow_instances_search ON flow_instances USING gin (to_tsvector('simple', name));
{{- else}}
CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='rowid');
CREATE VIRTUAL TABLE constitutions_fts USING fts5(name, content, content='constitutions', content_rowid='rowid');
CREATE VIRTUAL TABLE flow_instances_fts USING fts5(name, content='flow_instances', content_rowid='rowid');

-- +goose StatementBegin
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
    INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER constitutions_fts_insert AFTER INSERT ON constitutions BEGIN
    INSERT INTO constitutions_fts(rowid, name, content) VALUES (new.rowid, new.name, new.content);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER constitutions_fts_delete AFTER DELETE ON constitutions BEGIN
    INSERT INTO constitutions_fts(constitutions_fts, rowid, name, content) VALUES ('delete', old.rowid, old.name, old.content);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER constitutions_fts_update AFTER UPDATE OF name, content ON constitutions BEGIN
    INSERT INTO constitutions_fts(constitutions_fts, rowid, name, content) VALUES ('delete', old.rowid, old.name, old.content);
    INSERT INTO constitutions_fts(rowid, name, content) VALUES (new.rowid, new.name, new.content);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER flow_instances_fts_insert AFTER INSERT ON flow_instances BEGIN
    INSERT INTO flow_instances_fts(rowid, name) VALUES (new.rowid, new.name);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER flow_instances_fts_delete AFTER DELETE ON flow_instances BEGIN
    INSERT INTO flow_instances_fts(flow_instances_fts, rowid, name) VALUES ('delete', old.rowid, old.name);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER flow_instances_fts_update AFTER UPDATE OF name ON flow_instances BEGIN
    INSERT INTO flow_instances_fts(flow_instances_fts, rowid, name) VALUES ('delete', old.rowid, old.name);
    INSERT INTO flow_instances_fts(rowid, name) VALUES (new.rowid, new.name);
END;
-- +goose StatementEnd

-- Existing rows (a database upgraded in place) are indexed once.
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
INSERT INTO constitutions_fts(constitutions_fts) VALUES ('rebuild');
INSERT INTO flow_instances_fts(flow_instances_fts) VALUES ('rebuild');
{{- end}}

-- +goose Down
{{- if .Postgres}}
DROP INDEX flow_instances_search;
DROP INDEX constitutions_search;
DROP INDEX messages_search;
{{- else}}
DROP TRIGGER flow_instances_fts_update;
DROP TRIGGER flow_instances_fts_delete;
DROP TRIGGER flow_instances_fts_insert;
DROP TRIGGER constitutions_fts_update;
DROP TRIGGER constitutions_fts_delete;
DROP TRIGGER constitutions_fts_insert;
DROP TRIGGER messages_fts_update;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_insert;
DROP TABLE flow_instances_fts;
DROP TABLE constitutions_fts;
DROP TABLE messages_fts;
{{- end}}

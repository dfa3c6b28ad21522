-- +goose Up
-- Search indexes a message once it has stopped streaming. Indexing every
-- partial write re-tokenised the whole answer four times a second, so a
-- long answer cost the writer time that grew with the square of its length
-- (SQLite's FTS5 triggers; PostgreSQL's GIN index likewise). A streaming
-- message is not searchable; it is from the moment it ends, whatever its
-- status (complete, cancelled, interrupted, ...).
{{- if .Postgres}}
DROP INDEX messages_search;
CREATE INDEX messages_search ON messages USING gin (to_tsvector('simple', content)) WHERE status <> 'streaming';
{{- else}}
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;

-- The index holds exactly the rows that are not streaming, with their
-- current text: FTS5's 'delete' needs the very text it indexed.
-- +goose StatementBegin
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.status <> 'streaming' BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.status <> 'streaming' BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status ON messages
WHEN old.status <> 'streaming' OR new.status <> 'streaming' BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content)
        SELECT 'delete', old.rowid, old.content WHERE old.status <> 'streaming';
    INSERT INTO messages_fts(rowid, content)
        SELECT new.rowid, new.content WHERE new.status <> 'streaming';
END;
-- +goose StatementEnd

INSERT INTO messages_fts(messages_fts) VALUES ('delete-all');
INSERT INTO messages_fts(rowid, content) SELECT rowid, content FROM messages WHERE status <> 'streaming';
{{- end}}

-- +goose Down
{{- if .Postgres}}
DROP INDEX messages_search;
CREATE INDEX messages_search ON messages USING gin (to_tsvector('simple', content));
{{- else}}
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
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
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
{{- end}}

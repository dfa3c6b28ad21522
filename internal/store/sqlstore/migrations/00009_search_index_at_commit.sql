-- +goose Up
-- SQLite: a message that stops streaming (or is inserted finished) is
-- indexed for search when its transaction commits, all of a transaction's
-- messages at once, instead of by its own statement. FTS5 keeps what a
-- statement indexes in memory and writes it out as a new segment at the
-- next savepoint, and every later statement on messages opens one (its
-- statement journal): the group commit's transaction, holding the writes
-- of hundreds of runs, wrote a segment per message and then merged them.
-- The triggers now queue the message's rowid in messages_fts_pending; the
-- store's writer indexes the queue's messages, with their text as it then
-- is, and empties it just before each commit, so at every commit the
-- index holds exactly the messages that are not streaming, as before.
-- A message still queued was never indexed: its update or deletion takes
-- it off the queue (or leaves it there) instead of deleting it from the
-- index, which would corrupt it (FTS5's 'delete' needs the very text it
-- indexed).
-- PostgreSQL's GIN index is unchanged.
{{- if .Postgres}}
SELECT 1;
{{- else}}
CREATE TABLE messages_fts_pending (id INTEGER PRIMARY KEY);

DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;

-- +goose StatementBegin
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.status <> 'streaming' BEGIN
    INSERT OR IGNORE INTO messages_fts_pending(id) VALUES (new.rowid);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.status <> 'streaming' BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content)
        SELECT 'delete', old.rowid, old.content
         WHERE NOT EXISTS (SELECT 1 FROM messages_fts_pending WHERE id = old.rowid);
    DELETE FROM messages_fts_pending WHERE id = old.rowid;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status ON messages
WHEN old.status <> 'streaming' OR new.status <> 'streaming' BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content)
        SELECT 'delete', old.rowid, old.content
         WHERE old.status <> 'streaming' AND NOT EXISTS (SELECT 1 FROM messages_fts_pending WHERE id = old.rowid);
    INSERT OR IGNORE INTO messages_fts_pending(id) SELECT new.rowid WHERE new.status <> 'streaming';
    DELETE FROM messages_fts_pending WHERE id = new.rowid AND new.status = 'streaming';
END;
-- +goose StatementEnd
{{- end}}

-- +goose Down
{{- if .Postgres}}
SELECT 1;
{{- else}}
-- The queue is empty after every commit: the index is complete.
DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_fts_pending;
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
{{- end}}

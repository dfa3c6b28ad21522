package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// db is a pool or a transaction speaking the store's dialect: queries are
// written with ? and times pass through the dialect. Where the dialect
// asks for it (Prepare), each query text is prepared once per connection
// and kept, so SQLite does not parse the same SQL on every call.
type db struct {
	s    *Store
	pool *sql.DB // the pool the statements run on
	tx   *sql.Tx // set inside a transaction
	// detached: statements ignore the caller's cancellation. A grouped
	// transaction holds other callers' writes, which an interrupted
	// statement would roll back with it.
	detached bool
	// marks, in a write of a store with a row cache, records the cached
	// tables the write changes (see cache.go).
	marks *writeMarks
	// txStmts, in the group's transaction, keeps each kept statement as
	// bound to the transaction, so the writes of a batch bind it once.
	txStmts map[*sql.Stmt]*sql.Stmt
	// queued, in a write transaction on SQLite, is set once a statement
	// may have queued messages for search (see indexQueued).
	queued *bool
}

func (s *Store) reader() db { return db{s: s, pool: s.r} }
func (s *Store) writer() db { return db{s: s, pool: s.w} }

// stmtKey names a prepared statement: one query text on one pool.
type stmtKey struct {
	pool  *sql.DB
	query string
}

// stmt returns query's prepared statement (bound to the transaction inside
// one), or nil to run it unprepared: the dialect does not prepare (pgx
// keeps its own cache per connection), or the query is first seen inside a
// transaction, which holds the writer's one connection — it is prepared
// when the transaction has ended (prepareLater).
func (q db) stmt(ctx context.Context, query string) *sql.Stmt {
	if !q.s.d.Prepare {
		return nil
	}
	key := stmtKey{q.pool, query}
	v, ok := q.s.stmts.Load(key)
	if !ok {
		if q.tx != nil {
			q.s.later.Store(key, true)
			return nil
		}
		st, err := q.pool.PrepareContext(ctx, query)
		if err != nil {
			return nil // run unprepared; its error, if any, shows there
		}
		if v, ok = q.s.stmts.LoadOrStore(key, st); ok {
			_ = st.Close()
		}
	}
	st := v.(*sql.Stmt)
	if q.tx == nil {
		return st
	}
	if q.txStmts == nil {
		return q.tx.StmtContext(ctx, st)
	}
	bound, ok := q.txStmts[st]
	if !ok {
		bound = q.tx.StmtContext(ctx, st)
		q.txStmts[st] = bound
	}
	return bound
}

// prepareLater prepares the queries first seen inside transactions.
func (s *Store) prepareLater(ctx context.Context) {
	s.later.Range(func(k, _ any) bool {
		s.later.Delete(k)
		key := k.(stmtKey)
		if _, ok := s.stmts.Load(key); ok {
			return true
		}
		if st, err := key.pool.PrepareContext(ctx, key.query); err == nil {
			if _, loaded := s.stmts.LoadOrStore(key, st); loaded {
				_ = st.Close()
			}
		}
		return true
	})
}

// closeStatements closes every kept statement, before the pools close.
func (s *Store) closeStatements() {
	s.stmts.Range(func(k, v any) bool {
		_ = v.(*sql.Stmt).Close()
		s.stmts.Delete(k)
		return true
	})
}

// conn is what *sql.DB and *sql.Tx share.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (q db) conn() conn {
	if q.tx != nil {
		return q.tx
	}
	return q.pool
}

// before prepares a statement's run: the context it runs under (detached
// from cancellation where the db is), and, in a write of a store with a
// row cache, the mark of the cached tables query changes (cache.go).
func (q db) before(ctx context.Context, query string) context.Context {
	if q.marks != nil {
		q.marks.note(query)
	}
	if q.queued != nil && !*q.queued && strings.Contains(query, "messages") {
		*q.queued = true
	}
	if q.detached {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// ExecContext runs a statement.
func (q db) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = q.before(ctx, query)
	if st := q.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.conn().ExecContext(ctx, q.s.bind(query), args...)
}

// QueryContext runs a query returning rows.
func (q db) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = q.before(ctx, query)
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.conn().QueryContext(ctx, q.s.bind(query), args...)
}

// QueryRowContext runs a query returning at most one row.
func (q db) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = q.before(ctx, query)
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.conn().QueryRowContext(ctx, q.s.bind(query), args...)
}

// time encodes t for a parameter.
func (q db) time(t time.Time) any { return q.s.d.Time(t.UTC()) }

// nullTime encodes an optional time, NULL when missing or zero.
func (q db) nullTime(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return q.time(*t)
}

// tx runs fn in a write transaction and returns once it is committed (nil)
// or rolled back (fn's error). With group commit (SQLite), fn joins the
// writer's next transaction, beside the writes of other callers; otherwise
// (PostgreSQL) it has a READ COMMITTED transaction of its own, isolated by
// the row locks each write takes (the Dialect's Lock*), so writers never
// need a retry loop.
func (s *Store) tx(ctx context.Context, fn func(tx db) error) error {
	if s.cache != nil {
		m := &writeMarks{cs: s.cache}
		defer m.done()
		fn = m.wrap(fn)
	}
	if s.group != nil {
		return s.group.do(ctx, fn, false)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.errorf("begin: %w", err)
	}
	q := s.txOn(tx)
	if err := fn(q); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := s.indexQueued(ctx, q); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.errorf("commit: %w", err)
	}
	return nil
}

// write runs a single-statement write (fn changes the database with one
// statement at most, or, from writeEach, with statements that each stand
// on their own; it may read besides): in the group's transaction with
// group commit, where it needs no savepoint, directly on the writer
// otherwise.
func (s *Store) write(ctx context.Context, fn func(w db) error) error {
	if s.group == nil && s.d.SearchQueue {
		// What the statement queues for search is indexed at its commit.
		return s.tx(ctx, fn)
	}
	if s.cache != nil {
		m := &writeMarks{cs: s.cache}
		defer m.done()
		fn = m.wrap(fn)
	}
	if s.group != nil {
		return s.group.do(ctx, fn, true)
	}
	return fn(s.writer())
}

// writeEach runs a write of statements that each stand on their own: when
// one fails, those before it may stay stored (the caller retries the
// whole write, or accepts that). With group commit it then needs no
// savepoint, as a single statement; otherwise it has a transaction, so
// the statements cost one commit.
func (s *Store) writeEach(ctx context.Context, fn func(w db) error) error {
	if s.group == nil {
		return s.tx(ctx, fn)
	}
	return s.write(ctx, fn)
}

// txOn is the db of write transaction tx.
func (s *Store) txOn(tx *sql.Tx) db {
	q := db{s: s, pool: s.w, tx: tx}
	if s.d.SearchQueue {
		q.queued = new(bool)
	}
	return q
}

// indexQueued indexes for search the messages q's statements queued
// (SQLite: migration 00009) and empties the queue, just before q's
// transaction commits: FTS5 then writes one segment for all of them.
func (s *Store) indexQueued(ctx context.Context, q db) error {
	if q.queued == nil || !*q.queued {
		return nil
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO messages_fts(rowid, content)
		SELECT m.rowid, m.content FROM messages_fts_pending p JOIN messages m ON m.rowid = p.id`); err != nil {
		return s.errorf("index messages: %w", err)
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM messages_fts_pending`); err != nil {
		return s.errorf("index messages: %w", err)
	}
	// Cleared after these two statements, which name the messages tables
	// themselves and so would set it again.
	*q.queued = false
	return nil
}

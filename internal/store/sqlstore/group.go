package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/superego-lab/superego/internal/store"
)

// group commits the writes of many callers together (SQLite's group
// commit). One goroutine owns the writer's connection: it takes every
// write waiting, runs each in a savepoint of one transaction (so one
// failing write rolls back alone) and commits once for all. A write of a
// single statement needs no savepoint: SQLite undoes a failing statement
// by itself and the transaction goes on, unless the failure ended the
// transaction, which the writer then finds out (alive). A commit costs
// about as much for one write as for hundreds, so under load the writer's
// throughput grows with the number of concurrent runs instead of each
// write queueing for its own transaction.
type group struct {
	s      *Store
	ops    chan *writeOp
	queued atomic.Int64 // writes handed in and not yet answered

	// Admission: Busy reports ErrBusy once busyAt writes wait, or the last
	// batch's oldest write waited longer than busyWait.
	busyAt   int64
	busyWait time.Duration
	lastWait atomic.Int64 // nanoseconds
	batches  atomic.Int64 // transactions committed or attempted

	mu     sync.RWMutex // guards closed against writes handed in during Close
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

// Group commit limits: maxBatch writes at most in one transaction;
// admission refuses new work from defaultBusyAt waiting writes, or when
// writes wait longer than defaultBusyWait, well before a write's own
// deadline (seconds) could pass in the queue.
const (
	maxBatch        = 512
	queueCap        = 8192
	defaultBusyAt   = 4096
	defaultBusyWait = 2 * time.Second
)

// writeOp is one caller's write. state moves from opQueued to opTaken when
// the writer starts it, or to opAbandoned when its caller gave up first.
type writeOp struct {
	ctx    context.Context
	fn     func(db) error
	single bool // fn needs no savepoint: one statement, or each on its own (Store.writeEach)
	at     time.Time
	state  atomic.Int32
	err    chan error
}

const (
	opQueued int32 = iota
	opTaken
	opAbandoned
)

var errClosed = errors.New("the store is closed")

func newGroup(s *Store) *group {
	g := &group{s: s, ops: make(chan *writeOp, queueCap), busyAt: defaultBusyAt, busyWait: defaultBusyWait,
		stop: make(chan struct{}), done: make(chan struct{})}
	go g.run()
	return g
}

// do hands fn to the writer and waits for its transaction's outcome. A
// caller whose ctx ends while its write still waits gets ctx's error and
// the write is dropped; once the writer has started it, its outcome is
// returned, so a caller never reads "failed" for a write that was stored.
// single says fn needs no savepoint: it runs exactly one statement
// (Store.write), or statements each of which may stay stored when a later
// one fails (Store.writeEach).
func (g *group) do(ctx context.Context, fn func(db) error, single bool) error {
	op := &writeOp{ctx: ctx, fn: fn, single: single, at: time.Now(), err: make(chan error, 1)}
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return g.s.errorf("write: %w", errClosed)
	}
	g.queued.Add(1)
	select {
	case g.ops <- op:
		g.mu.RUnlock()
	case <-ctx.Done():
		g.mu.RUnlock()
		g.queued.Add(-1)
		return ctx.Err()
	}
	select {
	case err := <-op.err:
		return err
	case <-ctx.Done():
		if op.state.CompareAndSwap(opQueued, opAbandoned) {
			return ctx.Err()
		}
		return <-op.err
	}
}

// batchesOrZero is how many transactions the group ran (0 without one).
func (g *group) batchesOrZero() int64 {
	if g == nil {
		return 0
	}
	return g.batches.Load()
}

// busy implements Store.Busy.
func (g *group) busy() error {
	n := g.queued.Load()
	if n >= g.busyAt {
		return fmt.Errorf("%w: %d writes are waiting for the database", store.ErrBusy, n)
	}
	if w := time.Duration(g.lastWait.Load()); n > 0 && w > g.busyWait {
		return fmt.Errorf("%w: writes wait %v for the database", store.ErrBusy, w.Round(time.Millisecond))
	}
	return nil
}

// close lets the writer finish every write handed in, then stops it.
func (g *group) close() {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.stop)
	}
	g.mu.Unlock()
	<-g.done
}

func (g *group) run() {
	defer close(g.done)
	for {
		var first *writeOp
		select {
		case first = <-g.ops:
		case <-g.stop:
			// No write can be handed in any more; finish those queued.
			for {
				select {
				case op := <-g.ops:
					g.commit([]*writeOp{op})
				default:
					return
				}
			}
		}
		batch := []*writeOp{first}
	fill:
		for len(batch) < maxBatch {
			select {
			case op := <-g.ops:
				batch = append(batch, op)
			default:
				break fill
			}
		}
		g.lastWait.Store(int64(time.Since(first.at)))
		g.commit(batch)
		g.s.prepareLater(context.Background())
	}
}

// answer gives op its outcome.
func (g *group) answer(op *writeOp, err error) {
	op.err <- err
	g.queued.Add(-1)
}

// commit runs batch in one transaction, each write in a savepoint.
func (g *group) commit(batch []*writeOp) {
	ctx := context.Background()
	g.batches.Add(1)
	sqlTx, err := g.s.w.BeginTx(ctx, nil)
	if err != nil {
		for _, op := range batch {
			if op.state.CompareAndSwap(opQueued, opTaken) {
				g.answer(op, g.s.errorf("begin: %w", err))
			} else {
				g.queued.Add(-1)
			}
		}
		return
	}
	tx := g.s.txOn(sqlTx)
	tx.detached, tx.txStmts = true, map[*sql.Stmt]*sql.Stmt{}
	var ran []*writeOp
	results := map[*writeOp]error{}
	for i, op := range batch {
		if !op.state.CompareAndSwap(opQueued, opTaken) {
			g.queued.Add(-1) // abandoned by its caller
			continue
		}
		if err := op.ctx.Err(); err != nil {
			g.answer(op, err)
			continue
		}
		if op.single {
			ran = append(ran, op)
			err := op.fn(tx)
			if err != nil && !alive(ctx, sqlTx) {
				g.abort(sqlTx, ran, batch[i+1:], err)
				return
			}
			results[op] = err
			continue
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT w`); err != nil {
			g.abort(sqlTx, append(ran, op), batch[i+1:], err)
			return
		}
		ran = append(ran, op)
		err := op.fn(tx)
		if err != nil {
			if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO w`); rerr != nil {
				// The failure ended the whole transaction.
				g.abort(sqlTx, ran, batch[i+1:], errors.Join(err, rerr))
				return
			}
		}
		if _, rerr := tx.ExecContext(ctx, `RELEASE w`); rerr != nil {
			g.abort(sqlTx, ran, batch[i+1:], rerr)
			return
		}
		results[op] = err
	}
	if err := g.s.indexQueued(ctx, tx); err != nil {
		g.abort(sqlTx, ran, nil, err)
		return
	}
	cerr := sqlTx.Commit()
	for _, op := range ran {
		err := results[op]
		if err == nil && cerr != nil {
			err = g.s.errorf("commit: %w", cerr)
		}
		g.answer(op, err)
	}
}

// alive reports whether the group's transaction is still open after a
// statement failed. Most failures (a constraint, no row) undo only their
// statement, but some (a full disk, an I/O error) may roll the whole
// transaction back, and the writes after it would then each commit on
// their own. BEGIN inside a transaction fails; once the transaction is
// gone it starts a new one, which abort's rollback ends.
func alive(ctx context.Context, tx *sql.Tx) bool {
	_, err := tx.ExecContext(ctx, `BEGIN`)
	return err != nil && strings.Contains(err.Error(), "within a transaction")
}

// abort rolls the transaction back: the writes already run in it fail with
// err, and those not reached yet are retried in a transaction of their own.
func (g *group) abort(sqlTx interface{ Rollback() error }, ran, rest []*writeOp, err error) {
	_ = sqlTx.Rollback()
	for _, op := range ran {
		g.answer(op, g.s.errorf("write: %w", err))
	}
	// Their state is still opQueued or opAbandoned: commit takes them anew.
	if len(rest) > 0 {
		g.commit(rest)
	}
}

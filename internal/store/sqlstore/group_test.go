package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// openGrouped opens a SQLite database as the sqlite package does (one
// writer connection, a read-only pool) with group commit.
func openGrouped(t testing.TB) *Store {
	return openSQLite(t, true, true)
}

// openSQLite opens a SQLite database with or without prepared statements
// and group commit.
func openSQLite(t testing.TB, prepare, group bool) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "g.db")
	open := func(extra string, conns int) *sql.DB {
		db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)"+extra)
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(conns)
		return db
	}
	w := open("&_txlock=immediate", 1)
	if err := Migrate(t.Context(), w, "sqlite", slogDiscard()); err != nil {
		t.Fatal(err)
	}
	r := open("&_pragma=query_only(1)", 4)
	s := New(w, r, Dialect{
		Name: "sqlite", Time: func(t time.Time) any { return t.Format(TimeLayout) }, Prepare: prepare, GroupCommit: group, SearchQueue: true,
		IsUniqueViolation:     func(err error) bool { return err != nil && strings.Contains(err.Error(), "UNIQUE") },
		IsForeignKeyViolation: func(err error) bool { return err != nil && strings.Contains(err.Error(), "FOREIGN KEY") },
	})
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// hold makes the writer busy with a write that waits for release, and
// returns once the writer has started it.
func hold(t *testing.T, s *Store) (release func(), done <-chan error) {
	t.Helper()
	started, free, out := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		out <- s.tx(context.Background(), func(db) error {
			close(started)
			<-free
			return nil
		})
	}()
	<-started
	return func() { close(free) }, out
}

// waitQueued waits until n writes are handed in and not yet answered, the
// one held by the writer (hold) and n-1 in its queue: a write is counted
// just before it enters the queue.
func waitQueued(s *Store, n int64) {
	for s.group.queued.Load() < n || int64(len(s.group.ops)) < n-1 {
		runtime.Gosched()
	}
}

func newInstance(t testing.TB, s *Store) model.FlowInstance {
	t.Helper()
	c, err := s.CreateFlowConfig(t.Context(), model.FlowConfig{FlowSpec: model.FlowSpec{Name: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	i, err := s.CreateFlowInstance(t.Context(), model.FlowInstance{FlowConfigID: c.ID, Name: "i"})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// TestGroupCommitsTogether: the writes that queued while the writer was
// busy are committed in one transaction, and all of them are stored.
func TestGroupCommitsTogether(t *testing.T) {
	s := openGrouped(t)
	inst := newInstance(t, s)
	release, held := hold(t, s)
	before := s.group.batches.Load()
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.AppendMessage(t.Context(), model.Message{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: fmt.Sprint(i)})
			errs <- err
		}()
	}
	waitQueued(s, n+1)
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if got := s.group.batches.Load() - before; got != 1 {
		t.Errorf("%d writes took %d transactions after the held one, want 1", n, got)
	}
	got, err := s.GetFlowInstance(t.Context(), inst.ID)
	if err != nil || got.MessageCount != n {
		t.Fatalf("message_count %d, %v; want %d", got.MessageCount, err, n)
	}
}

// TestGroupFailureRollsBackAlone: in one transaction, a failing write is
// rolled back and reported to its caller only; the others are stored.
func TestGroupFailureRollsBackAlone(t *testing.T) {
	s := openGrouped(t)
	inst := newInstance(t, s)
	msg, err := s.AppendMessage(t.Context(), model.Message{FlowInstanceID: inst.ID, Role: model.RoleAssistant, Status: model.MessageStreaming})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateConstitution(t.Context(), model.Constitution{Meta: model.Meta{ID: "dup"}, Name: "d"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSysprompt(t.Context(), model.Sysprompt{Meta: model.Meta{ID: "dup"}, Name: "d"}); err != nil {
		t.Fatal(err)
	}
	release, held := hold(t, s)
	type result struct {
		name string
		err  error
	}
	results := make(chan result, 8)
	run := func(name string, f func() error) { go func() { results <- result{name, f()} }() }
	ctx := t.Context()
	run("append", func() error {
		_, err := s.AppendMessage(ctx, model.Message{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "kept"})
		return err
	})
	run("bad ref", func() error {
		_, err := s.AppendMessage(ctx, model.Message{FlowInstanceID: "nope", Role: model.RoleUser})
		return err
	})
	run("duplicate", func() error {
		_, err := s.CreateConstitution(ctx, model.Constitution{Meta: model.Meta{ID: "dup"}, Name: "again"})
		return err
	})
	run("half done", func() error {
		return s.tx(ctx, func(tx db) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('half', 'x')`); err != nil {
				return err
			}
			return errors.New("changed my mind")
		})
	})
	run("sysprompt", func() error {
		_, err := s.CreateSysprompt(ctx, model.Sysprompt{Meta: model.Meta{ID: "p"}, Name: "P"})
		return err
	})
	// Writes of one statement run without a savepoint: a failing one is
	// undone by SQLite alone and the transaction goes on.
	run("duplicate sysprompt", func() error {
		_, err := s.CreateSysprompt(ctx, model.Sysprompt{Meta: model.Meta{ID: "dup"}, Name: "again"})
		return err
	})
	run("missing message", func() error {
		_, err := s.UpdateMessage(ctx, model.Message{ID: "nope", Content: "x"})
		return err
	})
	run("update", func() error {
		_, err := s.UpdateMessage(ctx, model.Message{ID: msg.ID, Content: "updated", Status: model.MessageComplete})
		return err
	})
	waitQueued(s, 9)
	before := s.group.batches.Load()
	release()
	if err := <-held; err != nil {
		t.Errorf("the held write: %v", err)
	}
	got := map[string]error{}
	for range 8 {
		r := <-results
		got[r.name] = r.err
	}
	if s.group.batches.Load()-before != 1 {
		t.Errorf("the eight writes took %d transactions, want 1", s.group.batches.Load()-before)
	}
	if got["append"] != nil || got["sysprompt"] != nil || got["update"] != nil {
		t.Fatalf("good writes failed: %v", got)
	}
	if !errors.Is(got["bad ref"], store.ErrInvalidReference) || !errors.Is(got["duplicate"], store.ErrConflict) ||
		got["half done"] == nil || !strings.Contains(got["half done"].Error(), "changed my mind") ||
		!errors.Is(got["duplicate sysprompt"], store.ErrConflict) || !errors.Is(got["missing message"], store.ErrNotFound) {
		t.Fatalf("failures not reported as such: %v", got)
	}
	var v string
	if err := s.r.QueryRow(`SELECT value FROM meta WHERE key = 'half'`).Scan(&v); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("the failed write's first statement was kept (%q, %v)", v, err)
	}
	if c, err := s.GetConstitution(ctx, "dup"); err != nil || c.Name != "d" {
		t.Errorf("constitution after the refused duplicate: %+v, %v", c, err)
	}
	if i, err := s.GetFlowInstance(ctx, inst.ID); err != nil || i.MessageCount != 2 {
		t.Errorf("instance after one good append: %+v, %v", i, err)
	}
	if _, err := s.GetSysprompt(ctx, "p"); err != nil {
		t.Errorf("sysprompt: %v", err)
	}
	if p, err := s.GetSysprompt(ctx, "dup"); err != nil || p.Name != "d" {
		t.Errorf("sysprompt after the refused duplicate: %+v, %v", p, err)
	}
	if m, err := s.GetMessage(ctx, msg.ID); err != nil || m.Content != "updated" {
		t.Errorf("message after its update: %+v, %v", m, err)
	}
}

// TestGroupWriteThatEndsTheTransaction: a write of one statement whose
// failure ended the group's transaction (as a full disk or an I/O error
// may) fails with the writes run before it in that transaction, which are
// not stored; the writes after it are made in a transaction of their own
// and reported stored only because they are.
func TestGroupWriteThatEndsTheTransaction(t *testing.T) {
	s := openGrouped(t)
	release, held := hold(t, s)
	ctx := t.Context()
	before := make(chan error, 1)
	go func() {
		_, err := s.CreateSysprompt(ctx, model.Sysprompt{Meta: model.Meta{ID: "before"}, Name: "B"})
		before <- err
	}()
	waitQueued(s, 2)
	fatal := make(chan error, 1)
	go func() {
		fatal <- s.write(ctx, func(w db) error {
			if _, err := w.tx.ExecContext(ctx, `ROLLBACK`); err != nil {
				return err
			}
			return errors.New("the statement failed and took the transaction with it")
		})
	}()
	waitQueued(s, 3)
	after := make(chan error, 1)
	go func() {
		_, err := s.CreateSysprompt(ctx, model.Sysprompt{Meta: model.Meta{ID: "after"}, Name: "A"})
		after <- err
	}()
	waitQueued(s, 4)
	release()
	if err := <-held; err != nil {
		t.Errorf("the held write: %v", err)
	}
	if err := <-fatal; err == nil {
		t.Error("the failing write reported success")
	}
	errBefore, errAfter := <-before, <-after
	_, getBefore := s.GetSysprompt(ctx, "before")
	_, getAfter := s.GetSysprompt(ctx, "after")
	if errBefore == nil || !errors.Is(getBefore, store.ErrNotFound) {
		t.Errorf("the write before it: %v, then stored: %v; want failed and not stored", errBefore, getBefore)
	}
	if errAfter != nil || getAfter != nil {
		t.Errorf("the write after it: %v, then read: %v; want stored", errAfter, getAfter)
	}
}

// TestGroupCallerGivesUp: a caller whose context ends while its write
// waits gets the context's error, and the write is not made.
func TestGroupCallerGivesUp(t *testing.T) {
	s := openGrouped(t)
	release, held := hold(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	out := make(chan error, 1)
	go func() {
		_, err := s.CreateSysprompt(ctx, model.Sysprompt{Meta: model.Meta{ID: "late"}, Name: "L"})
		out <- err
	}()
	waitQueued(s, 2)
	cancel()
	if err := <-out; !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoned write: %v", err)
	}
	release()
	if err := <-held; err != nil {
		t.Errorf("the held write: %v", err)
	}
	// A write after it is stored, so the abandoned one was reached.
	if _, err := s.CreateSysprompt(t.Context(), model.Sysprompt{Meta: model.Meta{ID: "next"}, Name: "N"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSysprompt(t.Context(), "late"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the abandoned write was made: %v", err)
	}
	if n := s.group.queued.Load(); n != 0 {
		t.Fatalf("%d writes still counted as queued", n)
	}
}

// TestBusy: admission reports ErrBusy while too many writes wait, and not
// once they are done.
func TestBusy(t *testing.T) {
	s := openGrouped(t)
	s.group.busyAt = 4
	release, held := hold(t, s)
	if err := s.Busy(); err != nil {
		t.Fatalf("one write held: %v", err)
	}
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.CreateSysprompt(t.Context(), model.Sysprompt{Name: fmt.Sprint(i)}); err != nil {
				t.Error(err)
			}
		}()
	}
	waitQueued(s, 4)
	if err := s.Busy(); !errors.Is(err, store.ErrBusy) {
		t.Fatalf("4 writes waiting: Busy() = %v, want ErrBusy", err)
	}
	release()
	if err := <-held; err != nil {
		t.Errorf("the held write: %v", err)
	}
	wg.Wait()
	if err := s.Busy(); err != nil {
		t.Fatalf("all written: %v", err)
	}
}

// TestCloseFinishesQueuedWrites: Close stores what was handed in first;
// writes after it fail.
func TestCloseFinishesQueuedWrites(t *testing.T) {
	s := openGrouped(t)
	release, held := hold(t, s)
	out := make(chan error, 1)
	go func() {
		_, err := s.CreateSysprompt(context.Background(), model.Sysprompt{Meta: model.Meta{ID: "q"}, Name: "Q"})
		out <- err
	}()
	waitQueued(s, 2)
	closed := make(chan struct{})
	go func() {
		s.group.close()
		close(closed)
	}()
	release()
	if err := <-held; err != nil {
		t.Errorf("the held write: %v", err)
	}
	if err := <-out; err != nil {
		t.Fatalf("queued write: %v", err)
	}
	<-closed
	if _, err := s.CreateSysprompt(t.Context(), model.Sysprompt{Name: "after"}); !errors.Is(err, errClosed) {
		t.Fatalf("write after close: %v", err)
	}
	var name string
	if err := s.r.QueryRow(`SELECT name FROM sysprompts WHERE id = 'q'`).Scan(&name); err != nil || name != "Q" {
		t.Fatalf("queued write not stored: %q, %v", name, err)
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/sqlstore"
)

// EventLog is what an engine running on several replicas needs beyond
// store.Store: a durable, batched log of each run's events (so any replica
// can resume and live-tail a run) and run leases (so a replica that dies
// leaves its runs to be interrupted by the others). *Store implements it;
// the SQLite store has no need to, as it serves one process.
type EventLog interface {
	// AppendRunEvents stores events of any number of runs in one statement.
	// Each event needs RunID and Seq (> 0). Storing an event twice is
	// harmless: a retried batch keeps the first copy. Tailers on every
	// replica are notified when the transaction commits.
	AppendRunEvents(ctx context.Context, evs []events.Event) error
	// ListRunEvents returns up to limit stored events of a run with seq
	// greater than afterSeq, in seq order. An unknown run is ErrNotFound.
	ListRunEvents(ctx context.Context, runID string, afterSeq int64, limit int) ([]events.Event, error)
	// ClaimRun records owner as the replica executing a running run, with a
	// lease of ttl from now in database time.
	ClaimRun(ctx context.Context, runID, owner string, ttl time.Duration) error
	// RenewLeases extends the lease of every running run of owner to ttl
	// from now, returning how many it extended.
	RenewLeases(ctx context.Context, owner string, ttl time.Duration) (int, error)
	// InterruptExpired marks interrupted every running run whose lease has
	// run out, keeping partial text: a streaming message's content becomes
	// exactly its stored deltas, joined (what clients were sent). A
	// run_finished event (status interrupted) ends each run's log, so
	// tailers stop. It returns the ids of the runs it interrupted.
	InterruptExpired(ctx context.Context) ([]string, error)
	// PruneRunEvents deletes stored events older than olderThan, so the
	// log does not grow forever, returning how many it deleted. Choose
	// olderThan past the longest run plus the time a finished run's log
	// must stay resumable. Replicas may all call it; one at a time works.
	PruneRunEvents(ctx context.Context, olderThan time.Duration) (int64, error)
	// RunEventStored reports whether a run's stored log still holds the
	// event numbered seq (pruning removes the oldest events first).
	RunEventStored(ctx context.Context, runID string, seq int64) (bool, error)
}

var _ EventLog = (*Store)(nil)

// RunEventsChannel is the notification channel AppendRunEvents notifies on;
// the payload is the space-separated ids of the runs that got events.
const RunEventsChannel = "superego_run_events"

// AppendRunEvents implements EventLog.
func (s *Store) AppendRunEvents(ctx context.Context, evs []events.Event) error {
	if len(evs) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx pgx.Tx) error { return appendInTx(ctx, tx, evs) })
}

// appendInTx writes evs, advances each run's last_seq and notifies tailers.
func appendInTx(ctx context.Context, tx pgx.Tx, evs []events.Event) error {
	if len(evs) == 0 {
		return nil
	}
	ids := make([]string, len(evs))
	seqs := make([]int64, len(evs))
	types := make([]string, len(evs))
	docs := make([]string, len(evs))
	maxSeq := map[string]int64{}
	for i, e := range evs {
		if e.RunID == "" || e.Seq <= 0 {
			return fmt.Errorf("postgres: run event %d (%s) needs a run id and a positive seq", i, e.Type)
		}
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("postgres: encode run event: %w", err)
		}
		ids[i], seqs[i], types[i], docs[i] = e.RunID, e.Seq, e.Type, string(b)
		maxSeq[e.RunID] = max(maxSeq[e.RunID], e.Seq)
	}
	runIDs := make([]string, 0, len(maxSeq))
	lasts := make([]int64, 0, len(maxSeq))
	for id, seq := range maxSeq {
		runIDs = append(runIDs, id)
		lasts = append(lasts, seq)
	}
	_, err := tx.Exec(ctx,
		`INSERT INTO run_events (run_id, seq, type, event)
		 SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::json[])
		 ON CONFLICT (run_id, seq) DO NOTHING`, ids, seqs, types, docs)
	if isForeignKeyViolation(err) {
		return fmt.Errorf("run events name a run that does not exist: %w", store.ErrInvalidReference)
	}
	if err != nil {
		return fmt.Errorf("postgres: append run events: %w", err)
	}
	_, err = tx.Exec(ctx,
		`UPDATE runs SET last_seq = v.seq FROM unnest($1::text[], $2::bigint[]) AS v(id, seq)
		 WHERE runs.id = v.id AND runs.last_seq < v.seq`, runIDs, lasts)
	if err != nil {
		return fmt.Errorf("postgres: append run events: %w", err)
	}
	return notifyRuns(ctx, tx, runIDs)
}

// notifyRuns tells tailers which runs have new events, in as many
// notifications as the payload limit needs. Sent inside the writing
// transaction, they are delivered only once it commits.
func notifyRuns(ctx context.Context, tx pgx.Tx, runIDs []string) error {
	const limit = 7999
	var b strings.Builder
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, RunEventsChannel, b.String())
		b.Reset()
		if err != nil {
			return fmt.Errorf("postgres: notify run events: %w", err)
		}
		return nil
	}
	for _, id := range runIDs {
		if b.Len()+1+len(id) > limit {
			if err := flush(); err != nil {
				return err
			}
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(id)
	}
	return flush()
}

// ListRunEvents implements EventLog.
func (s *Store) ListRunEvents(ctx context.Context, runID string, afterSeq int64, limit int) ([]events.Event, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.pool.Query(ctx,
		`SELECT event::text FROM run_events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		runID, afterSeq, limit)
	if isInvalidText(err) {
		return nil, notFound(err, "run", runID)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: list run events: %w", err)
	}
	out, err := collect(rows, func(row pgx.Row) (events.Event, error) {
		var doc string
		var e events.Event
		if err := row.Scan(&doc); err != nil {
			return e, err
		}
		return e, json.Unmarshal([]byte(doc), &e)
	})
	if isInvalidText(err) {
		return nil, notFound(err, "run", runID)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: list run events: %w", err)
	}
	if len(out) == 0 {
		// Tell "no events yet" from "no such run".
		var one int
		if err := s.pool.QueryRow(ctx, `SELECT 1 FROM runs WHERE id = $1`, runID).Scan(&one); err != nil {
			return nil, notFound(err, "run", runID)
		}
	}
	return out, nil
}

// leaseInterval turns a ttl into a parameter PostgreSQL adds to now().
func leaseInterval(ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", fmt.Errorf("postgres: lease ttl %v must be positive", ttl)
	}
	return fmt.Sprintf("%d milliseconds", max(ttl.Milliseconds(), 1)), nil
}

// ClaimRun implements EventLog.
func (s *Store) ClaimRun(ctx context.Context, runID, owner string, ttl time.Duration) error {
	iv, err := leaseInterval(ttl)
	if err != nil {
		return err
	}
	if owner == "" {
		return errors.New("postgres: claim run: empty owner")
	}
	tag, err := s.pool.Exec(ctx,
		`UPDATE runs SET owner = $2, lease_until = now() + $3::interval WHERE id = $1 AND status = $4`,
		runID, owner, iv, model.RunRunning)
	if err != nil {
		return fmt.Errorf("postgres: claim run: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("running run %q: %w", runID, store.ErrNotFound)
	}
	return nil
}

// RenewLeases implements EventLog.
func (s *Store) RenewLeases(ctx context.Context, owner string, ttl time.Duration) (int, error) {
	iv, err := leaseInterval(ttl)
	if err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx,
		`UPDATE runs SET lease_until = now() + $2::interval WHERE owner = $1 AND status = $3`,
		owner, iv, model.RunRunning)
	if err != nil {
		return 0, fmt.Errorf("postgres: renew leases: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// expiredError is recorded on runs whose replica stopped renewing.
const expiredError = "the server running this run stopped before it finished"

// unclaimedGrace is how old a running run with no lease must be before a
// sweep ends it: a replica claims its runs a moment after creating them, so
// only a replica that died in between leaves one unclaimed.
const unclaimedGrace = `interval '1 minute'`

// InterruptExpired implements EventLog. Besides runs whose lease ran out,
// it ends running runs never claimed that are older than unclaimedGrace.
func (s *Store) InterruptExpired(ctx context.Context) ([]string, error) {
	return s.interrupt(ctx, `(lease_until < now() OR (lease_until IS NULL AND created_at < now() - `+unclaimedGrace+`))`, expiredError)
}

// interrupt ends the running runs matching cond (an SQL condition on runs)
// as InterruptExpired describes, recording errText on those without an
// error of their own. SKIP LOCKED lets every replica sweep at once: each
// takes the runs no other sweeper holds, and a run its owner is updating
// right now is left for the next sweep.
func (s *Store) interrupt(ctx context.Context, cond, errText string) ([]string, error) {
	var ids []string
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx,
			`SELECT id FROM runs WHERE status = $1 AND `+cond+` ORDER BY id FOR UPDATE SKIP LOCKED`,
			model.RunRunning)
		if err != nil {
			return fmt.Errorf("postgres: find expired runs: %w", err)
		}
		if ids, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("postgres: find expired runs: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		at := now()
		// Partial text: the deltas of each kind, joined in order, become
		// the stored text, longer or shorter than the row: they are what
		// every client was sent (a replica sends only stored events) and
		// what a replay gives, while the row is written on a schedule of
		// its own and may hold text no client saw. (A run with no stored
		// events at all was run by an engine without replicas: its row
		// is all there is.)
		for _, r := range []struct{ typ, role, col string }{
			{events.TypeAssistantToken, model.RoleAssistant, "content"},
			{events.TypeSuperegoToken, model.RoleSuperego, "content"},
			{events.TypeSuperegoThinking, model.RoleSuperego, "thinking"},
		} {
			_, err := tx.Exec(ctx,
				`UPDATE messages m SET `+r.col+` = coalesce((SELECT string_agg(e.event->>'delta', '' ORDER BY e.seq)
				       FROM run_events e WHERE e.run_id = m.run_id AND e.type = $2), ''), updated_at = $4
				 WHERE m.run_id = ANY($1) AND m.role = $3 AND m.status = $5
				   AND EXISTS (SELECT 1 FROM run_events e WHERE e.run_id = m.run_id)`,
				ids, r.typ, r.role, at, model.MessageStreaming)
			if err != nil {
				return fmt.Errorf("postgres: keep partial text: %w", err)
			}
		}
		_, err = tx.Exec(ctx,
			`UPDATE messages SET status = $1, updated_at = $2 WHERE run_id = ANY($3) AND status = $4`,
			model.MessageInterrupted, at, ids, model.MessageStreaming)
		if err != nil {
			return fmt.Errorf("postgres: interrupt messages: %w", err)
		}
		rows, err = tx.Query(ctx,
			`UPDATE runs SET status = $1, finished_at = $2,
			 error = CASE WHEN error = '' THEN $3 ELSE error END
			 WHERE id = ANY($4) RETURNING `+sqlstore.RunCols,
			model.RunInterrupted, at, errText, ids)
		if err != nil {
			return fmt.Errorf("postgres: interrupt runs: %w", err)
		}
		runs, err := collect(rows, func(row pgx.Row) (model.Run, error) { return sqlstore.ScanRun(row) })
		if err != nil {
			return fmt.Errorf("postgres: interrupt runs: %w", err)
		}
		// End each run's log so tailers on every replica stop.
		var fin []events.Event
		for _, r := range runs {
			var stored int64
			if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM run_events WHERE run_id = $1`, r.ID).Scan(&stored); err != nil {
				return fmt.Errorf("postgres: interrupt runs: %w", err)
			}
			seq := max(stored, r.LastSeq) + 1
			usage, timings := r.Usage, r.Timings
			fin = append(fin, events.Event{
				Type: events.TypeRunFinished, TS: at, RunID: r.ID, FlowInstanceID: r.FlowInstanceID,
				FlowConfigID: r.FlowConfigID, Seq: seq, Status: r.Status, Error: r.Error,
				Usage: &usage, Timings: &timings,
			})
		}
		return appendInTx(ctx, tx, fin)
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

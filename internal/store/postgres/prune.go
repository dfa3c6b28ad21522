package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// pruneChunk bounds the rows one DELETE removes, so pruning a large
// backlog never holds one long transaction.
const pruneChunk = 5000

// pruneLock is the advisory lock key that lets one replica at a time prune:
// replicas deleting the same rows at once would only wait on each other.
const pruneLock = 0x5375706572656730 // "Superego0"

// PruneRunEvents implements EventLog.
func (s *Store) PruneRunEvents(ctx context.Context, olderThan time.Duration) (int64, error) {
	if olderThan <= 0 {
		return 0, fmt.Errorf("postgres: prune run events: age %v must be positive", olderThan)
	}
	iv := fmt.Sprintf("%d milliseconds", max(olderThan.Milliseconds(), 1))
	var total int64
	for {
		var n int64
		err := s.tx(ctx, func(tx pgx.Tx) error {
			var mine bool
			if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, int64(pruneLock)).Scan(&mine); err != nil {
				return fmt.Errorf("postgres: prune run events: %w", err)
			}
			if !mine {
				return errPruning
			}
			tag, err := tx.Exec(ctx,
				`DELETE FROM run_events WHERE (run_id, seq) IN (
				   SELECT run_id, seq FROM run_events WHERE created_at < now() - $1::interval LIMIT $2)`,
				iv, pruneChunk)
			if err != nil {
				return fmt.Errorf("postgres: prune run events: %w", err)
			}
			n = tag.RowsAffected()
			return nil
		})
		if errors.Is(err, errPruning) {
			return total, nil // another replica is at it
		}
		if err != nil {
			return total, err
		}
		total += n
		if n < pruneChunk {
			return total, nil
		}
	}
}

var errPruning = errors.New("another replica is pruning")

// RunEventStored reports whether the stored log of runID still holds the
// event numbered seq.
func (s *Store) RunEventStored(ctx context.Context, runID string, seq int64) (bool, error) {
	var one int
	err := s.pool.QueryRow(ctx, `SELECT 1 FROM run_events WHERE run_id = $1 AND seq = $2`, runID, seq).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) || isInvalidText(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("postgres: read run event: %w", err)
	}
	return true, nil
}

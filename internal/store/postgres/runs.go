package postgres

import (
	"context"

	"github.com/superego-lab/superego/internal/store/sqlstore"
)

// InterruptRunning marks every running run, and the messages it was still
// streaming, as interrupted. Partial text is kept: a run with stored
// events gets exactly their text (see InterruptExpired).
//
// Runs holding a live lease (see EventLog) are left alone: on a database
// shared by several replicas they belong to a replica that is still
// running them, and one replica starting up must not end them. Runs
// without a lease are ended, as on SQLite.
func (s *Store) InterruptRunning(ctx context.Context) (int, error) {
	ids, err := s.interrupt(ctx, `(lease_until IS NULL OR lease_until < now())`, sqlstore.InterruptedError)
	return len(ids), err
}

package sqlite

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/storetest"
)

// TestContract runs the shared Store contract on a real database file.
func TestContract(t *testing.T) {
	t.Parallel()
	open := func(t *testing.T, path string) store.Store {
		t.Helper()
		s, err := Open(context.Background(), path, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
		return s
	}
	storetest.Run(t, storetest.Factory{
		Open: func(t *testing.T) store.Store {
			return open(t, filepath.Join(t.TempDir(), "superego.db"))
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			path := s.(*Store).path
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return open(t, path)
		},
	})
}

package sqlstore_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
	"github.com/superego-lab/superego/internal/store/sqlite"
)

// eachStore runs f on a fresh SQLite store and on a fresh PostgreSQL one
// (which fails in CI, and is skipped elsewhere, without a server).
func eachStore(t *testing.T, f func(t *testing.T, s store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "superego.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		f(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		s, err := postgres.Open(t.Context(), pgtest.SchemaURL(t), postgres.Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		f(t, s)
	})
}

// TestCursorFromAnotherList: a cursor is tied to the shape of its list's
// key, so handing one list's cursor to another is an error, not a
// silently wrong page.
func TestCursorFromAnotherList(t *testing.T) {
	eachStore(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		for _, id := range []string{"a", "b"} {
			if _, err := s.CreateConstitution(ctx, model.Constitution{Meta: model.Meta{ID: id}, Name: id}); err != nil {
				t.Fatal(err)
			}
		}
		_, next, err := s.ListConstitutions(ctx, store.Page{Limit: 1})
		if err != nil || next == "" {
			t.Fatalf("first page: next %q, %v", next, err)
		}
		if _, _, err := s.ListFlowInstances(ctx, store.InstanceFilter{}, store.Page{Cursor: next}); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("instances with a constitutions cursor: %v", err)
		}
		if _, _, err := s.ListConstitutionVersions(ctx, "a", store.Page{Cursor: next}); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("versions with a constitutions cursor: %v", err)
		}
	})
}

package postgres_test

import (
	"sync"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
	"github.com/superego-lab/superego/internal/store/storetest"
)

// testOptions are small enough that the 50-writer concurrency test queues
// for connections, which is part of what it should survive.
var testOptions = postgres.Options{MaxConns: 8, StatementTimeout: time.Minute}

// openStore opens a store on url and closes it when t ends.
func openStore(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url, testOptions, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestContract runs the shared Store contract suite, each sub-test on its
// own fresh schema.
func TestContract(t *testing.T) {
	pgtest.AdminURL(t) // skip or fail up front, not once per sub-test
	var urls sync.Map  // *postgres.Store → its database URL, for Reopen
	storetest.Run(t, storetest.Factory{
		Open: func(t *testing.T) store.Store {
			url := pgtest.SchemaURL(t)
			s := openStore(t, url)
			urls.Store(s, url)
			return s
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			url, ok := urls.Load(s)
			if !ok {
				t.Fatal("reopen: store was not opened by this factory")
			}
			if err := s.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			s2 := openStore(t, url.(string))
			urls.Store(s2, url)
			return s2
		},
	})
}

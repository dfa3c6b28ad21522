package sqlstore

import (
	"context"
	"slices"
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// foundMessages lists the ids of the messages a search for word finds.
func foundMessages(t *testing.T, s *Store, word string) []string {
	t.Helper()
	hits, err := s.Search(t.Context(), word, 50)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range hits {
		if h.Kind == "message" {
			ids = append(ids, h.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// checkIndex compares the search index, word by word and position by
// position, with an index built afresh from the messages that are not
// streaming: it fails if a message is indexed with other text than it
// has, or a deleted or streaming one is left in it. (FTS5's own
// integrity-check against the content table cannot tell: the index
// leaves the streaming rows of that table out on purpose.)
func checkIndex(t *testing.T, s *Store) {
	t.Helper()
	ctx := t.Context()
	conn, err := s.w.Conn(ctx) // temporary tables live on one connection
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	for _, q := range []string{
		`INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 0)`,
		`CREATE VIRTUAL TABLE temp.expect USING fts5(content)`,
		`INSERT INTO temp.expect(rowid, content) SELECT rowid, content FROM messages WHERE status <> 'streaming'`,
		`CREATE VIRTUAL TABLE temp.have_words USING fts5vocab(main, messages_fts, instance)`,
		`CREATE VIRTUAL TABLE temp.want_words USING fts5vocab(temp, expect, instance)`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	defer func() {
		for _, q := range []string{`DROP TABLE temp.have_words`, `DROP TABLE temp.want_words`, `DROP TABLE temp.expect`} {
			_, _ = conn.ExecContext(context.Background(), q)
		}
	}()
	var extra, missing, queued int
	err = conn.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM (SELECT term, doc, offset FROM temp.have_words EXCEPT SELECT term, doc, offset FROM temp.want_words)),
		(SELECT count(*) FROM (SELECT term, doc, offset FROM temp.want_words EXCEPT SELECT term, doc, offset FROM temp.have_words)),
		(SELECT count(*) FROM messages_fts_pending)`).Scan(&extra, &missing, &queued)
	if err != nil {
		t.Fatal(err)
	}
	if extra != 0 || missing != 0 || queued != 0 {
		t.Fatalf("search index: %d words indexed that no finished message has, %d missing, %d messages still queued", extra, missing, queued)
	}
}

func expectFound(t *testing.T, s *Store, word string, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := foundMessages(t, s, word); !slices.Equal(got, want) {
		t.Errorf("search %q: %v, want %v", word, got, want)
	}
}

// A message queued for search and changed, ended or deleted in the same
// transaction is indexed with its text at the commit, or not at all; one
// indexed in an earlier transaction leaves the index when it changes.
func TestSearchIndexesAtCommit(t *testing.T) {
	for _, group := range []bool{true, false} {
		t.Run(map[bool]string{true: "group", false: "single"}[group], func(t *testing.T) {
			s := openSQLite(t, true, group)
			ctx := t.Context()
			inst, gone := newInstance(t, s), newInstance(t, s)
			a := model.Message{ID: "a", FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "alpha"}
			b := model.Message{ID: "b", FlowInstanceID: inst.ID, Role: model.RoleAssistant, Status: model.MessageStreaming}
			c := model.Message{ID: "c", FlowInstanceID: gone.ID, Role: model.RoleUser, Content: "gamma"}
			// One after the other, in the order given; with group commit
			// all in the one transaction the held writer runs next.
			writes := []func() error{
				func() error { _, err := s.AppendMessage(ctx, a); return err },
				func() error { _, err := s.AppendMessage(ctx, b); return err },
				func() error { _, err := s.AppendMessage(ctx, c); return err },
				func() error {
					a.Content = "beta"
					a.Status = model.MessageComplete
					_, err := s.UpdateMessage(ctx, a)
					return err
				},
				func() error {
					b.Content, b.Status = "delta", model.MessageComplete
					_, err := s.UpdateMessage(ctx, b)
					return err
				},
				func() error { return s.DeleteFlowInstance(ctx, gone.ID, store.Any) },
			}
			if group {
				release, held := hold(t, s)
				errs := make(chan error, len(writes))
				for i, w := range writes {
					go func() { errs <- w() }()
					waitQueued(s, int64(i+2))
				}
				before := s.group.batches.Load()
				release()
				if err := <-held; err != nil {
					t.Fatal(err)
				}
				for range writes {
					if err := <-errs; err != nil {
						t.Fatal(err)
					}
				}
				if n := s.group.batches.Load() - before; n != 1 {
					t.Fatalf("the writes took %d transactions, want 1", n)
				}
			} else {
				for _, w := range writes {
					if err := w(); err != nil {
						t.Fatal(err)
					}
				}
			}
			checkIndex(t, s)
			expectFound(t, s, "alpha")
			expectFound(t, s, "beta", "a")
			expectFound(t, s, "gamma")
			expectFound(t, s, "delta", "b")

			// Indexed earlier: its old text leaves the index.
			a.Content = "epsilon"
			if _, err := s.UpdateMessage(ctx, a); err != nil {
				t.Fatal(err)
			}
			checkIndex(t, s)
			b.Status = model.MessageStreaming
			if _, err := s.UpdateMessage(context.Background(), b); err != nil {
				t.Fatal(err)
			}
			checkIndex(t, s)
			expectFound(t, s, "beta")
			expectFound(t, s, "epsilon", "a")
			expectFound(t, s, "delta")
			if err := s.DeleteFlowInstance(ctx, inst.ID, store.Any); err != nil {
				t.Fatal(err)
			}
			checkIndex(t, s)
			expectFound(t, s, "epsilon")
		})
	}
}

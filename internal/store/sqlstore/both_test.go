package sqlstore_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
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

// TestRecentMessages reads a conversation newest first, page by page.
func TestRecentMessages(t *testing.T) {
	eachStore(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		inst := newConversation(t, s)
		for _, text := range []string{"one", "two", "three", "four", "five"} {
			if _, err := s.AppendMessage(ctx, model.Message{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: text}); err != nil {
				t.Fatal(err)
			}
		}
		contents := func(before, limit int) string {
			msgs, err := s.RecentMessages(ctx, inst.ID, before, limit)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, m := range msgs {
				out = append(out, fmt.Sprintf("%d:%s", m.Position, m.Content))
			}
			return strings.Join(out, " ")
		}
		for _, c := range []struct {
			before, limit int
			want          string
		}{
			{0, 2, "5:five 4:four"},
			{4, 10, "3:three 2:two 1:one"},
			{2, 10, "1:one"},
			{1, 10, ""},
		} {
			if got := contents(c.before, c.limit); got != c.want {
				t.Errorf("RecentMessages(before %d, limit %d) = %q, want %q", c.before, c.limit, got, c.want)
			}
		}
		if msgs, err := s.RecentMessages(ctx, "nope", 0, 10); err != nil || len(msgs) != 0 {
			t.Errorf("unknown instance: %d messages, %v", len(msgs), err)
		}
	})
}

// TestRecentHistory: the history read is the conversation read newest
// first, with the history's fields only.
func TestRecentHistory(t *testing.T) {
	eachStore(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		inst := newConversation(t, s)
		for i, m := range []model.Message{
			{Role: model.RoleUser, Content: "one", RunID: "r1"},
			{Role: model.RoleSuperego, Content: "thinking done", Thinking: "hmm", Decision: model.DecisionBlock, Reason: "no", RunID: "r1", Model: "m"},
			{Role: model.RoleUser, Content: "two", RunID: "r2"},
			{Role: model.RoleAssistant, Content: "cut", Status: model.MessageTruncated, RunID: "r2", Error: "length"},
			{Role: model.RoleUser, Content: "three"},
		} {
			m.FlowInstanceID = inst.ID
			if _, err := s.AppendMessage(ctx, m); err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
		}
		for _, c := range []struct{ before, limit int }{{0, 2}, {0, 10}, {4, 10}, {2, 1}, {1, 10}} {
			full, err := s.RecentMessages(ctx, inst.ID, c.before, c.limit)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.RecentHistory(ctx, inst.ID, c.before, c.limit)
			if err != nil {
				t.Fatal(err)
			}
			var want []model.Message // nil when none, as got
			for _, m := range full {
				want = append(want, model.Message{ID: m.ID, FlowInstanceID: m.FlowInstanceID, RunID: m.RunID, Position: m.Position,
					Role: m.Role, Content: m.Content, Decision: m.Decision, Status: m.Status})
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("RecentHistory(before %d, limit %d) = %+v\nwant %+v", c.before, c.limit, got, want)
			}
		}
		if msgs, err := s.RecentHistory(ctx, "nope", 0, 10); err != nil || len(msgs) != 0 {
			t.Errorf("unknown instance: %d messages, %v", len(msgs), err)
		}
	})
}

// TestEndRunOnce: of two ends of a run, the first stored wins; the second
// changes nothing and learns the stored end.
func TestEndRunOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		inst := newConversation(t, s)
		r, err := s.CreateRun(ctx, model.Run{FlowInstanceID: inst.ID})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.InterruptRunning(ctx); err != nil || n != 1 {
			t.Fatalf("interrupt: %d, %v", n, err)
		}
		r.Status = model.RunCompleted
		got, err := s.EndRun(ctx, r)
		if !errors.Is(err, store.ErrConflict) || got.Status != model.RunInterrupted {
			t.Fatalf("second end: %s, %v; want the interrupted end and ErrConflict", got.Status, err)
		}
		if stored, err := s.GetRun(ctx, r.ID); err != nil || stored.Status != model.RunInterrupted {
			t.Fatalf("stored: %s, %v", stored.Status, err)
		}
		if _, err := s.EndRun(ctx, model.Run{ID: "nope", Status: model.RunCompleted}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing run: %v", err)
		}
	})
}

// newConversation creates a flow config and a conversation on it in s.
func newConversation(t *testing.T, s store.Store) model.FlowInstance {
	t.Helper()
	c, err := s.CreateFlowConfig(t.Context(), model.FlowConfig{FlowSpec: model.FlowSpec{Name: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := s.CreateFlowInstance(t.Context(), model.FlowInstance{FlowConfigID: c.ID, Name: "i"})
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

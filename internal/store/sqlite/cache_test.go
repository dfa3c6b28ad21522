package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// TestRowsByIDKeptInMemory: a row read by id is answered from memory
// afterwards, so a change made behind the store's back (which the data
// directory's lock rules out in a real deployment) is not seen, until the
// store's own next write of that table drops what it kept.
func TestRowsByIDKeptInMemory(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "superego.db")
	s, err := Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	for _, id := range []string{"a", "b"} {
		if _, err := s.CreateConstitution(ctx, model.Constitution{Meta: model.Meta{ID: id}, Name: "kept"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"a", "b"} {
		if _, err := s.GetConstitution(ctx, id); err != nil {
			t.Fatal(err)
		}
	}

	behind, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = behind.Close() })
	if _, err := behind.ExecContext(ctx, `UPDATE constitutions SET name = 'behind'`); err != nil {
		t.Fatal(err)
	}
	// Writes of other tables (a conversation growing) leave them kept,
	// even one whose statements read the constitutions table.
	fc, err := s.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: model.FlowSpec{Name: "f", ConstitutionID: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := s.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: fc.ID, Name: "i",
		Overrides: &model.Overrides{ConstitutionID: ptr("b")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendMessage(ctx, model.Message{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "hello"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if got, err := s.GetConstitution(ctx, id); err != nil || got.Name != "kept" {
			t.Errorf("constitution %s: name %q, %v; want the kept row", id, got.Name, err)
		}
	}
	// Inside a transaction the store reads the database itself.
	if _, err := s.UpdateConstitution(ctx, model.Constitution{Meta: model.Meta{ID: "a"}, Name: "written"}, store.Any); err != nil {
		t.Fatal(err)
	}
	// The write of a dropped every kept constitution, b's too.
	if got, err := s.GetConstitution(ctx, "b"); err != nil || got.Name != "behind" {
		t.Errorf("constitution b after a write of the table: name %q, %v; want the database's", got.Name, err)
	}
	if got, err := s.GetConstitution(ctx, "a"); err != nil || got.Name != "written" {
		t.Errorf("constitution a after its update: name %q, %v", got.Name, err)
	}
}

func ptr[T any](v T) *T { return &v }

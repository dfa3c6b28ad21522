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

// TestKeptRowsAreCopies: a caller that changes what a cached read gave it
// (a flow config's or template's generation parameters are pointers)
// changes neither the kept row nor what the next read gives.
func TestKeptRowsAreCopies(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "superego.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	spec := model.FlowSpec{Name: "f", SuperegoParams: model.ModelParams{Temperature: ptr(0.2), MaxTokens: ptr(100)},
		AssistantParams: model.ModelParams{TopP: ptr(0.9), Seed: ptr(int64(7)), ThinkingBudget: ptr(1024)}}
	fc, err := s.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: spec})
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := s.CreateFlowTemplate(ctx, model.FlowTemplate{Name: "t", Config: spec})
	if err != nil {
		t.Fatal(err)
	}
	scribble := func(p *model.ModelParams) {
		for _, f := range []**float64{&p.Temperature, &p.TopP} {
			if *f != nil {
				**f = -1
			}
		}
		for _, n := range []**int{&p.MaxTokens, &p.ThinkingBudget} {
			if *n != nil {
				**n = -1
			}
		}
		if p.Seed != nil {
			*p.Seed = -1
		}
	}
	// The first read fills the cache, the next ones are served from it;
	// each is scribbled on before the next.
	for i := range 3 {
		gotFC, err := s.GetFlowConfig(ctx, fc.ID)
		if err != nil {
			t.Fatal(err)
		}
		gotTpl, err := s.GetFlowTemplate(ctx, tpl.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p := gotFC.SuperegoParams; *p.Temperature != 0.2 || *p.MaxTokens != 100 {
			t.Fatalf("read %d: flow config superego params %v %v", i, *p.Temperature, *p.MaxTokens)
		}
		if p := gotFC.AssistantParams; *p.TopP != 0.9 || *p.Seed != 7 || *p.ThinkingBudget != 1024 {
			t.Fatalf("read %d: flow config assistant params %v %v %v", i, *p.TopP, *p.Seed, *p.ThinkingBudget)
		}
		if p := gotTpl.Config.SuperegoParams; *p.Temperature != 0.2 || *p.MaxTokens != 100 {
			t.Fatalf("read %d: template superego params %v %v", i, *p.Temperature, *p.MaxTokens)
		}
		if p := gotTpl.Config.AssistantParams; *p.TopP != 0.9 || *p.Seed != 7 || *p.ThinkingBudget != 1024 {
			t.Fatalf("read %d: template assistant params %v %v %v", i, *p.TopP, *p.Seed, *p.ThinkingBudget)
		}
		for _, p := range []*model.ModelParams{&gotFC.SuperegoParams, &gotFC.AssistantParams, &gotTpl.Config.SuperegoParams, &gotTpl.Config.AssistantParams} {
			scribble(p)
		}
	}
}

func ptr[T any](v T) *T { return &v }

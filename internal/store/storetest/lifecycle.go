package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// testConcurrency: 50 writers each bump one constitution once, with
// If-Match and a retry on mismatch, as two browser tabs would. No update may
// be lost: the constitution ends at version 51 with 51 kept versions, each
// holding the text its writer sent.
func testConcurrency(t *testing.T, f Factory) {
	const writers = 50
	s := open(t, f)
	ctx := t.Context()
	mustConstitution(t, s, "shared")

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for {
				c, err := s.GetConstitution(ctx, "shared")
				if err != nil {
					errs <- err
					return
				}
				c.Content = fmt.Sprintf("edit by writer %d", w)
				_, err = s.UpdateConstitution(ctx, c, c.Version)
				if errors.Is(err, store.ErrVersionMismatch) {
					continue
				}
				if err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
				}
				return
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	c, err := s.GetConstitution(ctx, "shared")
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != writers+1 {
		t.Errorf("version = %d, want %d", c.Version, writers+1)
	}
	var history []model.ConstitutionVersion
	for p := (store.Page{Limit: 200}); ; {
		items, next, err := s.ListConstitutionVersions(ctx, "shared", p)
		if err != nil {
			t.Fatal(err)
		}
		history = append(history, items...)
		if next == "" {
			break
		}
		p.Cursor = next
	}
	if len(history) != writers+1 {
		t.Fatalf("%d versions kept, want %d", len(history), writers+1)
	}
	edits := map[string]bool{}
	for k, v := range history {
		if v.Version != k+1 {
			t.Errorf("history[%d] is version %d", k, v.Version)
		}
		if k > 0 {
			edits[v.Content] = true
		}
	}
	if len(edits) != writers {
		t.Errorf("history holds %d distinct edits, want one per writer (%d)", len(edits), writers)
	}
	if history[writers].Content != c.Content {
		t.Errorf("last version %q, current text %q", history[writers].Content, c.Content)
	}
}

// testRestart writes one of everything, reopens the database and reads it
// all back unchanged.
func testRestart(t *testing.T, f Factory) {
	if f.Reopen == nil {
		t.Skip("the factory cannot reopen a store")
	}
	s := open(t, f)
	ctx := t.Context()
	c := mustConstitution(t, s, "c")
	c.Content = "second"
	c, err := s.UpdateConstitution(ctx, c, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := mustSysprompt(t, s, "p")
	cfg := mustConfig(t, s, "cfg", "c", "p")
	tpl, err := s.CreateFlowTemplate(ctx, model.FlowTemplate{Meta: meta("tpl"), Name: "T", Config: spec("c", "p"), IsDefault: true})
	if err != nil {
		t.Fatal(err)
	}
	inst := mustInstance(t, s, model.FlowInstance{FlowConfigID: "cfg", Name: "chat", ComparisonID: "cmp"})
	u := mustAppend(t, s, fullMessage(inst.ID, model.RoleUser, "question"))
	a := mustAppend(t, s, fullMessage(inst.ID, model.RoleAssistant, "answer"))
	run, err := s.CreateRun(ctx, model.Run{FlowInstanceID: inst.ID, FlowConfigID: "cfg", UserMessageID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	fork, err := s.ForkFlowInstance(ctx, u.ID, model.FlowInstance{Name: "fork", Overrides: &model.Overrides{SuperegoEnabled: ptr(false)}})
	if err != nil {
		t.Fatal(err)
	}
	inst, _ = s.GetFlowInstance(ctx, inst.ID)
	if err := s.MarkSeeded(ctx); err != nil {
		t.Fatal(err)
	}
	versions, _, _ := s.ListConstitutionVersions(ctx, "c", store.Page{})

	s = f.Reopen(t, s)

	check := func(what string, want any, get func() (any, error)) {
		t.Helper()
		got, err := get()
		if err != nil {
			t.Errorf("%s after restart: %v", what, err)
			return
		}
		sameJSON(t, what+" after restart", want, got)
	}
	check("constitution", c, func() (any, error) { return s.GetConstitution(ctx, "c") })
	check("versions", versions, func() (any, error) {
		v, _, err := s.ListConstitutionVersions(ctx, "c", store.Page{})
		return v, err
	})
	check("sysprompt", p, func() (any, error) { return s.GetSysprompt(ctx, "p") })
	check("flow config", cfg, func() (any, error) { return s.GetFlowConfig(ctx, "cfg") })
	check("flow template", tpl, func() (any, error) { return s.GetFlowTemplate(ctx, "tpl") })
	check("flow instance", inst, func() (any, error) { return s.GetFlowInstance(ctx, inst.ID) })
	check("fork", fork, func() (any, error) { return s.GetFlowInstance(ctx, fork.ID) })
	check("messages", []model.Message{u, a}, func() (any, error) {
		m, _, err := s.ListMessages(ctx, inst.ID, store.Page{})
		return m, err
	})
	check("run", run, func() (any, error) { return s.GetRun(ctx, run.ID) })
	if ok, err := s.Seeded(ctx); err != nil || !ok {
		t.Errorf("seeded flag after restart: %v, %v", ok, err)
	}
	// The reopened store still writes.
	if _, err := s.AppendMessage(ctx, model.Message{FlowInstanceID: inst.ID, Role: model.RoleUser}); err != nil {
		t.Errorf("append after restart: %v", err)
	}
}

// Package storetest is the contract every store.Store implementation must
// pass. An implementation's own test calls Run with a Factory; the SQLite
// and PostgreSQL stores run the very same checks, so they behave alike.
package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// Factory opens stores for the suite.
type Factory struct {
	// Open returns a fresh, empty store (no seed data) that no other test
	// shares; sub-tests run in parallel. It should close the store when t
	// ends (t.Cleanup); closing twice must be harmless.
	Open func(t *testing.T) store.Store
	// Reopen closes s and opens the same database again, as a restarted
	// server would. Nil skips the restart test.
	Reopen func(t *testing.T, s store.Store) store.Store
}

// Run runs the whole contract suite.
func Run(t *testing.T, f Factory) {
	t.Run("Constitutions", func(t *testing.T) { testConstitutions(t, f) })
	t.Run("Sysprompts", func(t *testing.T) { testSysprompts(t, f) })
	t.Run("FlowConfigs", func(t *testing.T) { testFlowConfigs(t, f) })
	t.Run("FlowTemplates", func(t *testing.T) { testFlowTemplates(t, f) })
	t.Run("FlowInstances", func(t *testing.T) { testFlowInstances(t, f) })
	t.Run("Fork", func(t *testing.T) { testFork(t, f) })
	t.Run("ForkInterleaved", func(t *testing.T) { testForkInterleaved(t, f) })
	t.Run("Messages", func(t *testing.T) { testMessages(t, f) })
	t.Run("Runs", func(t *testing.T) { testRuns(t, f) })
	t.Run("Pagination", func(t *testing.T) { testPagination(t, f) })
	t.Run("PaginationWhileWriting", func(t *testing.T) { testPaginationWhileWriting(t, f) })
	t.Run("Seeded", func(t *testing.T) { testSeeded(t, f) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, f) })
	t.Run("Restart", func(t *testing.T) { testRestart(t, f) })
	t.Run("BadText", func(t *testing.T) { testBadText(t, f) })
}

// open starts a parallel sub-test on a fresh store.
func open(t *testing.T, f Factory) store.Store {
	t.Helper()
	t.Parallel()
	return f.Open(t)
}

// meta builds a Meta with only an id, as a client-chosen id arrives.
func meta(id string) model.Meta { return model.Meta{ID: id} }

func mustConstitution(t *testing.T, s store.Store, id string) model.Constitution {
	t.Helper()
	c, err := s.CreateConstitution(t.Context(), model.Constitution{
		Meta: meta(id), Name: "Constitution " + id, Description: "about " + id, Content: "## Rule\n\nBe kind to " + id,
	})
	if err != nil {
		t.Fatalf("create constitution %q: %v", id, err)
	}
	return c
}

func mustSysprompt(t *testing.T, s store.Store, id string) model.Sysprompt {
	t.Helper()
	p, err := s.CreateSysprompt(t.Context(), model.Sysprompt{Meta: meta(id), Name: "Prompt " + id, Content: "You help with " + id})
	if err != nil {
		t.Fatalf("create sysprompt %q: %v", id, err)
	}
	return p
}

func spec(constitutionID, syspromptID string) model.FlowSpec {
	return model.FlowSpec{
		Name: "spec", Description: "a flow", ConstitutionID: constitutionID, SyspromptID: syspromptID,
		SuperegoEnabled: true, SuperegoModel: "demo-superego", AssistantModel: "demo-assistant",
		OnSuperegoError: model.OnErrorBlock,
		SuperegoParams:  model.ModelParams{Temperature: ptr(0.0), ReasoningEffort: "low"},
		AssistantParams: model.ModelParams{MaxTokens: ptr(5000), ThinkingBudget: ptr(3000), TopP: ptr(1.0)},
	}
}

func mustConfig(t *testing.T, s store.Store, id, constitutionID, syspromptID string) model.FlowConfig {
	t.Helper()
	c, err := s.CreateFlowConfig(t.Context(), model.FlowConfig{Meta: meta(id), FlowSpec: spec(constitutionID, syspromptID)})
	if err != nil {
		t.Fatalf("create flow config %q: %v", id, err)
	}
	return c
}

// mustBasics creates constitution "c", sysprompt "p" and flow config "cfg".
func mustBasics(t *testing.T, s store.Store) model.FlowConfig {
	t.Helper()
	mustConstitution(t, s, "c")
	mustSysprompt(t, s, "p")
	return mustConfig(t, s, "cfg", "c", "p")
}

func mustInstance(t *testing.T, s store.Store, i model.FlowInstance) model.FlowInstance {
	t.Helper()
	out, err := s.CreateFlowInstance(t.Context(), i)
	if err != nil {
		t.Fatalf("create flow instance %q: %v", i.Name, err)
	}
	return out
}

func mustAppend(t *testing.T, s store.Store, m model.Message) model.Message {
	t.Helper()
	out, err := s.AppendMessage(t.Context(), m)
	if err != nil {
		t.Fatalf("append message: %v", err)
	}
	return out
}

// sameJSON fails unless want and got encode to the same JSON: every field,
// with times in the same zone and precision.
func sameJSON(t *testing.T, what string, want, got any) {
	t.Helper()
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(w) != string(g) {
		t.Errorf("%s differs:\nwant %s\n got %s", what, w, g)
	}
}

// checkMeta checks what every create promises: the id, version 1 and equal
// UTC timestamps close to now.
func checkMeta(t *testing.T, what string, m model.Meta, id string, before time.Time) {
	t.Helper()
	if id != "" && m.ID != id {
		t.Errorf("%s: id = %q, want %q", what, m.ID, id)
	}
	if !model.ValidID(m.ID) {
		t.Errorf("%s: id %q is not a valid slug", what, m.ID)
	}
	if m.Version != 1 {
		t.Errorf("%s: version = %d, want 1", what, m.Version)
	}
	checkUTC(t, what+" created_at", m.CreatedAt, before)
	if !m.UpdatedAt.Equal(m.CreatedAt) {
		t.Errorf("%s: updated_at %v != created_at %v on create", what, m.UpdatedAt, m.CreatedAt)
	}
}

// checkUTC checks a stored time is UTC, set, and not before the operation
// began (allowing for the store's rounding to its precision).
func checkUTC(t *testing.T, what string, got time.Time, before time.Time) {
	t.Helper()
	if got.IsZero() {
		t.Errorf("%s is zero", what)
		return
	}
	if got.Location() != time.UTC {
		t.Errorf("%s is in %v, want UTC", what, got.Location())
	}
	if got.Before(before.Add(-time.Millisecond)) {
		t.Errorf("%s = %v, before the operation began at %v", what, got, before)
	}
}

// wantErr fails unless err matches target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error = %v, want %v", what, err, target)
	}
}

// wantRefErr fails unless err is a *store.RefError for field.
func wantRefErr(t *testing.T, what string, err error, field string) {
	t.Helper()
	var re *store.RefError
	if !errors.As(err, &re) {
		t.Errorf("%s: error = %v, want *store.RefError for %s", what, err, field)
		return
	}
	if re.Field != field {
		t.Errorf("%s: RefError.Field = %q, want %q", what, re.Field, field)
	}
	wantErr(t, what, err, store.ErrInvalidReference)
}

// wantInUse fails unless err is a *store.InUseError naming exactly refBy,
// in any order.
func wantInUse(t *testing.T, what string, err error, refBy ...string) {
	t.Helper()
	var ie *store.InUseError
	if !errors.As(err, &ie) {
		t.Errorf("%s: error = %v, want *store.InUseError", what, err)
		return
	}
	wantErr(t, what, err, store.ErrConflict)
	got := slices.Sorted(slices.Values(ie.RefBy))
	if fmt.Sprint(got) != fmt.Sprint(slices.Sorted(slices.Values(refBy))) {
		t.Errorf("%s: RefBy = %v, want %v", what, ie.RefBy, refBy)
	}
}

func ptr[T any](v T) *T { return &v }

package seed_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/sqlite"
)

func openAt(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestApplyWritesSeeds(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openAt(t, filepath.Join(t.TempDir(), "db"))
	if err := seed.Apply(ctx, s, nil); err != nil {
		t.Fatal(err)
	}

	def, err := s.GetConstitution(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	if def.Name != "Default" || !def.Protected || strings.Count(def.Content, "\n## ") < 4 {
		t.Errorf("default constitution: name %q protected %v, %d headings", def.Name, def.Protected, strings.Count(def.Content, "\n## "))
	}
	strict, err := s.GetConstitution(ctx, "strict")
	if err != nil {
		t.Fatal(err)
	}
	if strict.Protected || strict.Content == "" || strict.Content == def.Content {
		t.Errorf("strict constitution: protected %v, %d bytes", strict.Protected, len(strict.Content))
	}
	none, err := s.GetConstitution(ctx, "none")
	if err != nil {
		t.Fatal(err)
	}
	if none.Name != "None" || none.Content != "" || !none.Protected {
		t.Errorf("none constitution: %+v", none)
	}
	sp, err := s.GetSysprompt(ctx, "assistant_default")
	if err != nil || !sp.Protected || sp.Content == "" {
		t.Errorf("assistant_default: %+v, %v", sp, err)
	}

	std, err := s.GetFlowConfig(ctx, "standard")
	if err != nil {
		t.Fatal(err)
	}
	if !std.SuperegoEnabled || std.ConstitutionID != "default" || std.SyspromptID != "assistant_default" || std.OnSuperegoError != model.OnErrorBlock {
		t.Errorf("standard config: %+v", std.FlowSpec)
	}
	off, err := s.GetFlowConfig(ctx, "no-superego")
	if err != nil || off.SuperegoEnabled {
		t.Errorf("no-superego config: %+v, %v", off.FlowSpec, err)
	}

	tpls, _, err := s.ListFlowTemplates(ctx, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]model.FlowTemplate{}
	for _, tp := range tpls {
		byName[tp.Name] = tp
	}
	if tp, ok := byName["Standard"]; !ok || !tp.IsDefault || !tp.Config.SuperegoEnabled {
		t.Errorf("Standard template: %+v", tp)
	}
	if tp, ok := byName["No Superego"]; !ok || tp.IsDefault || tp.Config.SuperegoEnabled {
		t.Errorf("No Superego template: %+v", tp)
	}

	insts, _, err := s.ListFlowInstances(ctx, store.InstanceFilter{}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(insts) != 1 || insts[0].Name != "Default Session" || insts[0].FlowConfigID != "standard" {
		t.Errorf("instances: %+v", insts)
	}
	if ok, err := s.Seeded(ctx); err != nil || !ok {
		t.Errorf("Seeded = %v, %v", ok, err)
	}
}

// TestApplyOnce: user changes to seeds survive later starts, including a
// real reopen of the database.
func TestApplyOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "db")
	s := openAt(t, path)
	if err := seed.Apply(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	if err := seed.Apply(ctx, s, nil); err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	if c, _ := s.GetConstitution(ctx, "default"); c.Version != 1 {
		t.Errorf("second Apply rewrote default (version %d)", c.Version)
	}

	if err := s.DeleteConstitution(ctx, "strict", store.Any); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteFlowInstance(ctx, seed.InstanceDefault, store.Any); err != nil {
		t.Fatal(err)
	}
	def, _ := s.GetConstitution(ctx, "default")
	def.Content = "## My own rules"
	if _, err := s.UpdateConstitution(ctx, def, def.Version); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path)
	if err := seed.Apply(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetConstitution(ctx, "strict"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted strict came back: %v", err)
	}
	if _, err := s.GetFlowInstance(ctx, seed.InstanceDefault); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted Default Session came back: %v", err)
	}
	if c, _ := s.GetConstitution(ctx, "default"); c.Content != "## My own rules" || c.Version != 2 {
		t.Errorf("edited default after restart: version %d content %q", c.Version, c.Content)
	}
}

// TestApplyCompletesPartialSeed: objects written by an interrupted seeding
// (or by hand) are kept as they are and the rest is filled in.
func TestApplyCompletesPartialSeed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openAt(t, filepath.Join(t.TempDir(), "db"))
	mine, err := s.CreateConstitution(ctx, model.Constitution{Meta: model.Meta{ID: "default"}, Name: "Mine", Content: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	if err := seed.Apply(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetConstitution(ctx, "default")
	if got.Content != mine.Content || got.Version != 1 {
		t.Errorf("existing default overwritten: %+v", got)
	}
	if _, err := s.GetFlowInstance(ctx, seed.InstanceDefault); err != nil {
		t.Errorf("rest of the seed missing: %v", err)
	}
}

func TestApplyReportsStoreErrors(t *testing.T) {
	t.Parallel()
	s := openAt(t, filepath.Join(t.TempDir(), "db"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := seed.Apply(t.Context(), s, nil); err == nil {
		t.Error("Apply on a closed store succeeded")
	}
}

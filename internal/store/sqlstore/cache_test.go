package sqlstore_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// TestReadByIDAfterEveryWrite reads each object by id (on SQLite the row
// is then kept in memory), writes it through every write path of its
// table, and reads it again: the second read must show the write. Without
// the cache's invalidation every step would return the row first read.
func TestReadByIDAfterEveryWrite(t *testing.T) {
	eachStore(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		gone := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s after its deletion: %v, want ErrNotFound", what, err)
			}
		}

		// Constitutions: a new version, then deletion.
		c, err := s.CreateConstitution(ctx, model.Constitution{Meta: model.Meta{ID: "c"}, Name: "C", Content: "one"})
		must(err)
		_, err = s.GetConstitution(ctx, "c")
		must(err)
		c.Content = "two"
		_, err = s.UpdateConstitution(ctx, c, c.Version)
		must(err)
		got, err := s.GetConstitution(ctx, "c")
		must(err)
		if got.Content != "two" || got.Version != 2 {
			t.Errorf("constitution after its update: %q at version %d", got.Content, got.Version)
		}
		// A write that fails changes nothing, and the row stays readable.
		if _, err := s.UpdateConstitution(ctx, c, 1); !errors.Is(err, store.ErrVersionMismatch) {
			t.Fatalf("update at a stale version: %v", err)
		}
		if got, err = s.GetConstitution(ctx, "c"); err != nil || got.Version != 2 {
			t.Errorf("constitution after a failed update: version %d, %v", got.Version, err)
		}
		must(s.DeleteConstitution(ctx, "c", store.Any))
		_, err = s.GetConstitution(ctx, "c")
		gone("constitution", err)
		_, err = s.CreateConstitution(ctx, model.Constitution{Meta: model.Meta{ID: "c"}, Name: "C again"})
		must(err)
		if got, err = s.GetConstitution(ctx, "c"); err != nil || got.Name != "C again" || got.Version != 1 {
			t.Errorf("constitution created anew: %q at version %d, %v", got.Name, got.Version, err)
		}

		// System prompts.
		sp, err := s.CreateSysprompt(ctx, model.Sysprompt{Meta: model.Meta{ID: "p"}, Name: "P", Content: "one"})
		must(err)
		_, err = s.GetSysprompt(ctx, "p")
		must(err)
		sp.Content = "two"
		_, err = s.UpdateSysprompt(ctx, sp, store.Any)
		must(err)
		if got, err := s.GetSysprompt(ctx, "p"); err != nil || got.Content != "two" {
			t.Errorf("sysprompt after its update: %q, %v", got.Content, err)
		}
		must(s.DeleteSysprompt(ctx, "p", store.Any))
		_, err = s.GetSysprompt(ctx, "p")
		gone("sysprompt", err)

		// Flow configs.
		fc, err := s.CreateFlowConfig(ctx, model.FlowConfig{Meta: model.Meta{ID: "f"}, FlowSpec: model.FlowSpec{Name: "F", ConstitutionID: "c"}})
		must(err)
		_, err = s.GetFlowConfig(ctx, "f")
		must(err)
		fc.Name, fc.ConstitutionID = "F2", ""
		_, err = s.UpdateFlowConfig(ctx, fc, store.Any)
		must(err)
		if got, err := s.GetFlowConfig(ctx, "f"); err != nil || got.Name != "F2" || got.ConstitutionID != "" {
			t.Errorf("flow config after its update: %q on %q, %v", got.Name, got.ConstitutionID, err)
		}
		must(s.DeleteFlowConfig(ctx, "f", store.Any))
		_, err = s.GetFlowConfig(ctx, "f")
		gone("flow config", err)

		// Flow templates: a new default takes the flag from the old one,
		// whether it is created or updated to be the default.
		a, err := s.CreateFlowTemplate(ctx, model.FlowTemplate{Meta: model.Meta{ID: "ta"}, Name: "A", IsDefault: true})
		must(err)
		_, err = s.GetFlowTemplate(ctx, "ta")
		must(err)
		b, err := s.CreateFlowTemplate(ctx, model.FlowTemplate{Meta: model.Meta{ID: "tb"}, Name: "B", IsDefault: true})
		must(err)
		if got, err := s.GetFlowTemplate(ctx, "ta"); err != nil || got.IsDefault || got.Version != a.Version+1 {
			t.Errorf("old default after a new default was created: default %v at version %d, %v", got.IsDefault, got.Version, err)
		}
		_, err = s.GetFlowTemplate(ctx, "tb")
		must(err)
		a, err = s.GetFlowTemplate(ctx, "ta")
		must(err)
		a.IsDefault = true
		_, err = s.UpdateFlowTemplate(ctx, a, store.Any)
		must(err)
		if got, err := s.GetFlowTemplate(ctx, "tb"); err != nil || got.IsDefault || got.Version != b.Version+1 {
			t.Errorf("old default after another was made default: default %v at version %d, %v", got.IsDefault, got.Version, err)
		}
		if got, err := s.GetFlowTemplate(ctx, "ta"); err != nil || !got.IsDefault {
			t.Errorf("new default: default %v, %v", got.IsDefault, err)
		}
		must(s.DeleteFlowTemplate(ctx, "tb", store.Any))
		_, err = s.GetFlowTemplate(ctx, "tb")
		gone("flow template", err)

		// Instantiating a template writes a flow config under a new id.
		cfg, _, err := s.InstantiateFlowTemplate(ctx, "ta", "")
		must(err)
		if got, err := s.GetFlowConfig(ctx, cfg.ID); err != nil || got.Name != "A" {
			t.Errorf("instantiated flow config: %q, %v", got.Name, err)
		}
	})
}

// TestReadByIDDuringWrites reads a constitution from several goroutines
// while it is updated: no read may return a version older than one an
// update had already returned when the read began, nor older than one the
// same reader saw before.
func TestReadByIDDuringWrites(t *testing.T) {
	eachStore(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		c, err := s.CreateConstitution(ctx, model.Constitution{Meta: model.Meta{ID: "c"}, Name: "C"})
		if err != nil {
			t.Fatal(err)
		}
		const updates, readers = 50, 4
		var mu sync.Mutex
		stored := 1 // the last version an update returned
		done := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, readers)
		for range readers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				seen := 0
				for {
					select {
					case <-done:
						return
					default:
					}
					mu.Lock()
					floor := stored
					mu.Unlock()
					got, err := s.GetConstitution(ctx, "c")
					if err != nil {
						errs <- err
						return
					}
					if got.Version < floor || got.Version < seen {
						errs <- errors.New("a read went back to an older version")
						return
					}
					seen = got.Version
				}
			}()
		}
		for range updates {
			c.Content += "x"
			out, err := s.UpdateConstitution(ctx, c, store.Any)
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			stored = out.Version
			mu.Unlock()
		}
		close(done)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if got, err := s.GetConstitution(ctx, "c"); err != nil || got.Version != updates+1 {
			t.Errorf("after the updates: version %d, %v", got.Version, err)
		}
	})
}

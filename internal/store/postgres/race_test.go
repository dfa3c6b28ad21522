package postgres_test

// Races the shared contract suite does not reach: on SQLite every write
// transaction is serialised by the single writer, on PostgreSQL only by the
// locks each method takes. Each test starts many writers at once on one
// object and checks the invariant the locks exist for.

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
)

// basics creates constitution "c", sysprompt "p" and flow config "cfg".
func basics(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	if _, err := s.CreateConstitution(ctx, model.Constitution{Meta: model.Meta{ID: "c"}, Name: "C"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSysprompt(ctx, model.Sysprompt{Meta: model.Meta{ID: "p"}, Name: "P"}); err != nil {
		t.Fatal(err)
	}
	cfg := model.FlowConfig{Meta: model.Meta{ID: "cfg"}, FlowSpec: model.FlowSpec{Name: "cfg", ConstitutionID: "c", SyspromptID: "p", SuperegoEnabled: true}}
	if _, err := s.CreateFlowConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentAppend: appends to one conversation get distinct, gapless
// positions and an exact message count.
func TestConcurrentAppend(t *testing.T) {
	t.Parallel()
	s := openStore(t, pgtest.SchemaURL(t))
	ctx := t.Context()
	basics(t, s)
	inst, err := s.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: "cfg", Name: "chat"})
	if err != nil {
		t.Fatal(err)
	}
	const writers = 40
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			_, err := s.AppendMessage(ctx, model.Message{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: fmt.Sprint(w)})
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	msgs, _, err := s.ListMessages(ctx, inst.ID, store.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, m := range msgs {
		if m.Position != i+1 {
			t.Errorf("message %d has position %d", i, m.Position)
		}
		seen[m.Content] = true
	}
	if len(msgs) != writers || len(seen) != writers {
		t.Errorf("%d messages (%d distinct), want %d", len(msgs), len(seen), writers)
	}
	got, err := s.GetFlowInstance(ctx, inst.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.MessageCount != writers || got.Version != 1 {
		t.Errorf("instance message_count %d version %d, want %d and 1", got.MessageCount, got.Version, writers)
	}
}

// TestConcurrentLockedBumps: the methods that check the version under
// SELECT … FOR UPDATE lose no update either.
func TestConcurrentLockedBumps(t *testing.T) {
	t.Parallel()
	s := openStore(t, pgtest.SchemaURL(t))
	ctx := t.Context()
	basics(t, s)
	const writers = 30
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for {
				c, err := s.GetFlowConfig(ctx, "cfg")
				if err != nil {
					errs <- err
					return
				}
				c.Description = fmt.Sprintf("writer %d", w)
				up, err := s.UpdateFlowConfig(ctx, c, c.Version)
				if errors.Is(err, store.ErrVersionMismatch) {
					continue
				}
				if err != nil {
					errs <- err
				} else if up.Version != c.Version+1 {
					// Another writer got in between the check and the
					// write: this one's If-Match was not honoured.
					errs <- fmt.Errorf("writer %d: If-Match %d produced version %d", w, c.Version, up.Version)
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
	c, err := s.GetFlowConfig(ctx, "cfg")
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != writers+1 {
		t.Errorf("version %d, want %d", c.Version, writers+1)
	}
}

// TestConcurrentDefaultTemplates: templates made default at the same time
// all succeed and leave exactly one default, with every other template's
// version showing it lost the flag.
func TestConcurrentDefaultTemplates(t *testing.T) {
	t.Parallel()
	s := openStore(t, pgtest.SchemaURL(t))
	ctx := t.Context()
	basics(t, s)
	const writers = 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			tpl := model.FlowTemplate{Meta: model.Meta{ID: fmt.Sprintf("t%02d", w)}, Name: "T", IsDefault: true,
				Config: model.FlowSpec{ConstitutionID: "c", SyspromptID: "p"}}
			if _, err := s.CreateFlowTemplate(ctx, tpl); err != nil {
				errs <- fmt.Errorf("template %s: %w", tpl.ID, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all, _, err := s.ListFlowTemplates(ctx, store.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	defaults := 0
	for _, tpl := range all {
		if tpl.IsDefault {
			defaults++
			if tpl.Version != 1 {
				t.Errorf("default %s at version %d, want 1", tpl.ID, tpl.Version)
			}
		} else if tpl.Version != 2 {
			t.Errorf("%s lost the flag once, but is at version %d", tpl.ID, tpl.Version)
		}
	}
	if len(all) != writers || defaults != 1 {
		t.Errorf("%d templates, %d default; want %d and 1", len(all), defaults, writers)
	}
}

// TestDeleteRacesReference: deleting a constitution while flow configs that
// use it are being created ends in one of the contract's outcomes only: the
// delete is refused as in use, or the creates after it fail with a
// RefError. Never a raw database error, never a dangling reference.
func TestDeleteRacesReference(t *testing.T) {
	t.Parallel()
	s := openStore(t, pgtest.SchemaURL(t))
	ctx := t.Context()
	basics(t, s)
	for round := range 10 {
		id := fmt.Sprintf("r%d", round)
		if _, err := s.CreateConstitution(ctx, model.Constitution{Meta: model.Meta{ID: id}, Name: id}); err != nil {
			t.Fatal(err)
		}
		const creators = 4
		var wg sync.WaitGroup
		createErrs := make([]error, creators)
		var deleteErr error
		wg.Go(func() { deleteErr = s.DeleteConstitution(ctx, id, store.Any) })
		for k := range creators {
			wg.Go(func() {
				_, createErrs[k] = s.CreateFlowConfig(ctx, model.FlowConfig{
					Meta: model.Meta{ID: fmt.Sprintf("%s-cfg%d", id, k)}, FlowSpec: model.FlowSpec{Name: "x", ConstitutionID: id},
				})
			})
		}
		wg.Wait()

		created := 0
		for _, err := range createErrs {
			var re *store.RefError
			switch {
			case err == nil:
				created++
			case errors.As(err, &re) && re.Field == "constitution_id":
			default:
				t.Errorf("round %d: create: %v", round, err)
			}
		}
		var ie *store.InUseError
		switch {
		case deleteErr == nil:
			if created > 0 {
				t.Errorf("round %d: constitution deleted yet %d configs refer to it", round, created)
			}
		case errors.As(deleteErr, &ie):
			if created == 0 {
				t.Errorf("round %d: delete refused as in use by %v, but no config was created", round, ie.RefBy)
			}
		default:
			t.Errorf("round %d: delete: %v", round, deleteErr)
		}
	}
}

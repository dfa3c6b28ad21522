package storetest

import (
	"errors"
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// badIDs hold what no id can: a NUL character, invalid UTF-8. PostgreSQL
// cannot even compare such text; every store must answer as for any
// missing id rather than fail.
var badIDs = []string{"a\x00b", "a\xffb"}

// badCursors decode to keys holding a NUL character or invalid UTF-8.
var badCursors = []string{
	store.EncodeCursor(store.IDKey{ID: "\x00"}),
	"eyJpZCI6Ilx1MDAwMCJ9", // {"id":"\u0000"}
	"eyJpZCI6Iv8ifQ",       // {"id":"<0xff>"}
}

func testBadText(t *testing.T, f Factory) {
	s := open(t, f)
	ctx := t.Context()
	c := mustConstitution(t, s, "c")
	cfg, err := s.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: spec(c.ID, "")})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range badIDs {
		notFound := map[string]error{}
		_, notFound["GetConstitution"] = s.GetConstitution(ctx, id)
		_, notFound["GetSysprompt"] = s.GetSysprompt(ctx, id)
		_, notFound["GetFlowConfig"] = s.GetFlowConfig(ctx, id)
		_, notFound["GetFlowTemplate"] = s.GetFlowTemplate(ctx, id)
		_, notFound["GetFlowInstance"] = s.GetFlowInstance(ctx, id)
		_, notFound["GetMessage"] = s.GetMessage(ctx, id)
		_, notFound["GetRun"] = s.GetRun(ctx, id)
		_, _, notFound["ListMessages"] = s.ListMessages(ctx, id, store.Page{})
		_, _, notFound["ListConstitutionVersions"] = s.ListConstitutionVersions(ctx, id, store.Page{})
		_, notFound["UpdateSysprompt"] = s.UpdateSysprompt(ctx, model.Sysprompt{Meta: meta(id), Name: "x"}, store.Any)
		_, notFound["UpdateMessage"] = s.UpdateMessage(ctx, model.Message{ID: id})
		_, notFound["UpdateRun"] = s.UpdateRun(ctx, model.Run{ID: id, Status: model.RunCompleted})
		notFound["DeleteFlowInstance"] = s.DeleteFlowInstance(ctx, id, store.Any)
		notFound["DeleteConstitution"] = s.DeleteConstitution(ctx, id, store.Any)
		for name, err := range notFound {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s(%q): %v, want ErrNotFound", name, id, err)
			}
		}
		refs := map[string]error{}
		_, refs["CreateFlowConfig"] = s.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: spec(id, "")})
		_, refs["CreateFlowInstance"] = s.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: id, Name: "x"})
		_, refs["AppendMessage"] = s.AppendMessage(ctx, model.Message{FlowInstanceID: id, Role: model.RoleUser})
		_, refs["CreateRun"] = s.CreateRun(ctx, model.Run{FlowInstanceID: id})
		for name, err := range refs {
			if !errors.Is(err, store.ErrInvalidReference) {
				t.Errorf("%s naming %q: %v, want ErrInvalidReference", name, id, err)
			}
		}
		if msgs, err := s.RecentMessages(ctx, id, 0, 10); err != nil || len(msgs) != 0 {
			t.Errorf("RecentMessages(%q): %d, %v; want none", id, len(msgs), err)
		}
		if list, _, err := s.ListFlowInstances(ctx, store.InstanceFilter{ComparisonID: id}, store.Page{}); err != nil || len(list) != 0 {
			t.Errorf("ListFlowInstances(comparison %q): %d, %v; want none", id, len(list), err)
		}
	}
	for _, cur := range badCursors {
		p := store.Page{Cursor: cur}
		errs := map[string]error{}
		_, _, errs["ListConstitutions"] = s.ListConstitutions(ctx, p)
		_, _, errs["ListSysprompts"] = s.ListSysprompts(ctx, p)
		_, _, errs["ListFlowConfigs"] = s.ListFlowConfigs(ctx, p)
		_, _, errs["ListFlowTemplates"] = s.ListFlowTemplates(ctx, p)
		_, _, errs["ListFlowInstances"] = s.ListFlowInstances(ctx, store.InstanceFilter{}, p)
		_, _, errs["ListMessages"] = s.ListMessages(ctx, cfg.ID, p)
		_, _, errs["ListConstitutionVersions"] = s.ListConstitutionVersions(ctx, c.ID, p)
		for name, err := range errs {
			if !errors.Is(err, store.ErrBadCursor) && (name != "ListMessages" || !errors.Is(err, store.ErrNotFound)) {
				t.Errorf("%s with cursor %q: %v, want ErrBadCursor", name, cur, err)
			}
		}
	}
}

package storetest

import (
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

func testFlowInstances(t *testing.T, f Factory) {
	t.Run("CRUD", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		mustBasics(t, s)
		mustConfig(t, s, "cfg2", "c", "p")
		before := time.Now()
		in := model.FlowInstance{Meta: meta("chat"), FlowConfigID: "cfg", Name: "Chat", Description: "d",
			ParentInstanceID: "origin", ForkedFromMessageID: "m1", ComparisonID: "cmp",
			Overrides: &model.Overrides{ConstitutionID: ptr("c"), SyspromptID: ptr("p"), SuperegoEnabled: ptr(false)}}
		i, err := s.CreateFlowInstance(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		checkMeta(t, "created instance", i.Meta, "chat", before)
		if i.MessageCount != 0 || i.LastMessageAt != nil {
			t.Errorf("new instance has messages: %d, %v", i.MessageCount, i.LastMessageAt)
		}
		want := in
		want.Meta = i.Meta
		sameJSON(t, "created instance", want, i)
		got, err := s.GetFlowInstance(ctx, "chat")
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "read back", i, got)

		plain := mustInstance(t, s, model.FlowInstance{FlowConfigID: "cfg", Name: "plain"})
		checkMeta(t, "instance without id", plain.Meta, "", before)
		if plain.Overrides != nil || plain.ParentInstanceID != "" || plain.ComparisonID != "" {
			t.Errorf("plain instance: %+v", plain)
		}
		if got, _ := s.GetFlowInstance(ctx, plain.ID); got.Overrides != nil {
			t.Errorf("plain instance read back with overrides %+v", got.Overrides)
		}

		mustAppend(t, s, model.Message{FlowInstanceID: "chat", Role: model.RoleUser, Content: "hi"})
		i, _ = s.GetFlowInstance(ctx, "chat")
		upd := i
		upd.FlowConfigID, upd.Name, upd.Description = "cfg2", "Renamed", "d2"
		upd.MessageCount, upd.ComparisonID, upd.Overrides = 99, "other", nil
		up, err := s.UpdateFlowInstance(ctx, upd, i.Version)
		if err != nil {
			t.Fatal(err)
		}
		want = i
		want.FlowConfigID, want.Name, want.Description = "cfg2", "Renamed", "d2"
		want.Version, want.UpdatedAt = i.Version+1, up.UpdatedAt
		sameJSON(t, "update writes only config, name and description", want, up)
		got, _ = s.GetFlowInstance(ctx, "chat")
		sameJSON(t, "read after update", up, got)

		_, err = s.UpdateFlowInstance(ctx, upd, i.Version)
		wantErr(t, "stale update", err, store.ErrVersionMismatch)
		wantErr(t, "stale delete", s.DeleteFlowInstance(ctx, "chat", i.Version), store.ErrVersionMismatch)
		_, err = s.CreateFlowInstance(ctx, in)
		wantErr(t, "duplicate", err, store.ErrConflict)
		_, err = s.UpdateFlowInstance(ctx, model.FlowInstance{Meta: meta("nope"), FlowConfigID: "cfg"}, store.Any)
		wantErr(t, "update missing", err, store.ErrNotFound)
		_, err = s.GetFlowInstance(ctx, "nope")
		wantErr(t, "get missing", err, store.ErrNotFound)
		wantErr(t, "delete missing", s.DeleteFlowInstance(ctx, "nope", store.Any), store.ErrNotFound)
	})

	t.Run("BadReferences", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		mustBasics(t, s)
		_, err := s.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: "nope", Name: "x"})
		wantRefErr(t, "create, missing config", err, "flow_config_id")
		_, err = s.CreateFlowInstance(ctx, model.FlowInstance{Name: "x"})
		wantRefErr(t, "create, no config", err, "flow_config_id")
		_, err = s.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: "cfg", Name: "x",
			Overrides: &model.Overrides{ConstitutionID: ptr("nope")}})
		wantRefErr(t, "create, missing override constitution", err, "constitution_id")
		_, err = s.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: "cfg", Name: "x",
			Overrides: &model.Overrides{SyspromptID: ptr("nope")}})
		wantRefErr(t, "create, missing override sysprompt", err, "sysprompt_id")
		if all, _, _ := s.ListFlowInstances(ctx, store.InstanceFilter{}, store.Page{}); len(all) != 0 {
			t.Errorf("refused creates stored %d instances", len(all))
		}
		i := mustInstance(t, s, model.FlowInstance{FlowConfigID: "cfg", Name: "x"})
		i.FlowConfigID = "nope"
		_, err = s.UpdateFlowInstance(ctx, i, store.Any)
		wantRefErr(t, "update, missing config", err, "flow_config_id")
		if got, _ := s.GetFlowInstance(ctx, i.ID); got.FlowConfigID != "cfg" || got.Version != 1 {
			t.Errorf("instance after refused update: %+v", got)
		}
	})

	t.Run("NewestFirstAndComparison", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		mustBasics(t, s)
		made := map[string]bool{}
		var prev time.Time
		for n := range 9 {
			cmp := ""
			if n%3 == 0 {
				cmp = "cmp-1"
			}
			i := mustInstance(t, s, model.FlowInstance{FlowConfigID: "cfg", Name: "i", ComparisonID: cmp})
			made[i.ID] = cmp != ""
			if i.CreatedAt.Before(prev) {
				t.Errorf("instance %d created at %v, before the one made ahead of it (%v)", n, i.CreatedAt, prev)
			}
			prev = i.CreatedAt
		}
		all, next, err := s.ListFlowInstances(ctx, store.InstanceFilter{}, store.Page{})
		if err != nil || next != "" || len(all) != 9 {
			t.Fatalf("list: %d items, next %q, %v", len(all), next, err)
		}
		checkNewestFirst(t, all)
		for _, i := range all {
			if _, ok := made[i.ID]; !ok {
				t.Errorf("listed unknown instance %s", i.ID)
			}
		}
		cmp, _, err := s.ListFlowInstances(ctx, store.InstanceFilter{ComparisonID: "cmp-1"}, store.Page{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		var inCmp []model.FlowInstance
		for p := (store.Page{Limit: 2}); ; {
			items, next, err := s.ListFlowInstances(ctx, store.InstanceFilter{ComparisonID: "cmp-1"}, p)
			if err != nil {
				t.Fatal(err)
			}
			inCmp = append(inCmp, items...)
			if next == "" {
				break
			}
			p.Cursor = next
		}
		if len(cmp) != 2 || len(inCmp) != 3 {
			t.Fatalf("comparison: first page %d, all %d; want 2 and 3", len(cmp), len(inCmp))
		}
		checkNewestFirst(t, inCmp)
		for _, i := range inCmp {
			if !made[i.ID] || i.ComparisonID != "cmp-1" {
				t.Errorf("instance %s (comparison %q) listed in cmp-1", i.ID, i.ComparisonID)
			}
		}
		none, _, err := s.ListFlowInstances(ctx, store.InstanceFilter{ComparisonID: "other"}, store.Page{})
		if err != nil || len(none) != 0 {
			t.Errorf("unknown comparison: %d items, %v", len(none), err)
		}
	})

	t.Run("DeleteTakesMessagesAndRuns", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		mustBasics(t, s)
		i := mustInstance(t, s, model.FlowInstance{FlowConfigID: "cfg", Name: "i"})
		other := mustInstance(t, s, model.FlowInstance{FlowConfigID: "cfg", Name: "other"})
		m := mustAppend(t, s, model.Message{FlowInstanceID: i.ID, Role: model.RoleUser, Content: "x"})
		keep := mustAppend(t, s, model.Message{FlowInstanceID: other.ID, Role: model.RoleUser, Content: "y"})
		r, err := s.CreateRun(ctx, model.Run{FlowInstanceID: i.ID, FlowConfigID: "cfg", UserMessageID: m.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteFlowInstance(ctx, i.ID, store.Any); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetMessage(ctx, m.ID)
		wantErr(t, "message of deleted instance", err, store.ErrNotFound)
		_, err = s.GetRun(ctx, r.ID)
		wantErr(t, "run of deleted instance", err, store.ErrNotFound)
		_, _, err = s.ListMessages(ctx, i.ID, store.Page{})
		wantErr(t, "messages of deleted instance", err, store.ErrNotFound)
		if _, err := s.GetMessage(ctx, keep.ID); err != nil {
			t.Errorf("other instance's message: %v", err)
		}
	})
}

// checkNewestFirst fails unless items are ordered by created_at and then id,
// both descending.
func checkNewestFirst(t *testing.T, items []model.FlowInstance) {
	t.Helper()
	for k := 1; k < len(items); k++ {
		a, b := items[k-1], items[k]
		if a.CreatedAt.Before(b.CreatedAt) || (a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID) {
			t.Errorf("instances out of order at %d: %s@%v before %s@%v", k, a.ID, a.CreatedAt, b.ID, b.CreatedAt)
		}
	}
}

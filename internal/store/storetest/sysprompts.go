package storetest

import (
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

func testSysprompts(t *testing.T, f Factory) {
	t.Run("CRUD", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		before := time.Now()
		p, err := s.CreateSysprompt(ctx, model.Sysprompt{Meta: meta("helper"), Name: "Helper", Content: "Be helpful."})
		if err != nil {
			t.Fatal(err)
		}
		checkMeta(t, "created sysprompt", p.Meta, "helper", before)
		if p.Name != "Helper" || p.Content != "Be helpful." || p.Protected {
			t.Errorf("created sysprompt: %+v", p)
		}
		got, err := s.GetSysprompt(ctx, "helper")
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "read back", p, got)

		anon, err := s.CreateSysprompt(ctx, model.Sysprompt{Name: "anon"})
		if err != nil {
			t.Fatal(err)
		}
		checkMeta(t, "sysprompt without id", anon.Meta, "", before)

		p.Name, p.Content = "Helper 2", "Be more helpful."
		up, err := s.UpdateSysprompt(ctx, p, 1)
		if err != nil {
			t.Fatal(err)
		}
		if up.Version != 2 || up.Name != "Helper 2" || up.Content != "Be more helpful." || !up.CreatedAt.Equal(p.CreatedAt) {
			t.Errorf("updated sysprompt: %+v", up)
		}
		got, _ = s.GetSysprompt(ctx, "helper")
		sameJSON(t, "read after update", up, got)

		_, err = s.UpdateSysprompt(ctx, p, 1)
		wantErr(t, "stale update", err, store.ErrVersionMismatch)
		wantErr(t, "stale delete", s.DeleteSysprompt(ctx, "helper", 1), store.ErrVersionMismatch)
		_, err = s.CreateSysprompt(ctx, model.Sysprompt{Meta: meta("helper"), Name: "again"})
		wantErr(t, "duplicate", err, store.ErrConflict)
		got, _ = s.GetSysprompt(ctx, "helper")
		sameJSON(t, "after refused writes", up, got)

		if err := s.DeleteSysprompt(ctx, "helper", 2); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetSysprompt(ctx, "helper")
		wantErr(t, "get deleted", err, store.ErrNotFound)
		wantErr(t, "delete missing", s.DeleteSysprompt(ctx, "helper", store.Any), store.ErrNotFound)
		_, err = s.UpdateSysprompt(ctx, model.Sysprompt{Meta: meta("helper")}, store.Any)
		wantErr(t, "update missing", err, store.ErrNotFound)
	})

	t.Run("Protected", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		if _, err := s.CreateSysprompt(ctx, model.Sysprompt{Meta: meta("assistant_default"), Name: "A", Protected: true}); err != nil {
			t.Fatal(err)
		}
		wantErr(t, "delete protected", s.DeleteSysprompt(ctx, "assistant_default", store.Any), store.ErrConflict)
		if _, err := s.GetSysprompt(ctx, "assistant_default"); err != nil {
			t.Errorf("protected sysprompt gone: %v", err)
		}
	})

	t.Run("InUse", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		mustConstitution(t, s, "c")
		for _, id := range []string{"by-config", "by-template", "by-instance", "p"} {
			mustSysprompt(t, s, id)
		}
		mustConfig(t, s, "cfg", "c", "by-config")
		mustConfig(t, s, "base", "c", "p")
		if _, err := s.CreateFlowTemplate(ctx, model.FlowTemplate{Meta: meta("tpl"), Name: "T", Config: spec("c", "by-template")}); err != nil {
			t.Fatal(err)
		}
		inst := mustInstance(t, s, model.FlowInstance{FlowConfigID: "base", Name: "fork",
			Overrides: &model.Overrides{SyspromptID: ptr("by-instance")}})

		wantInUse(t, "used by config", s.DeleteSysprompt(ctx, "by-config", store.Any), "flow-config:cfg")
		wantInUse(t, "used by template", s.DeleteSysprompt(ctx, "by-template", store.Any), "flow-template:tpl")
		wantInUse(t, "used by instance", s.DeleteSysprompt(ctx, "by-instance", store.Any), "flow-instance:"+inst.ID)
		wantInUse(t, "used by base config", s.DeleteSysprompt(ctx, "p", store.Any), "flow-config:base")

		// Repointing the config frees the sysprompt.
		cfg, err := s.GetFlowConfig(ctx, "cfg")
		if err != nil {
			t.Fatal(err)
		}
		cfg.SyspromptID = "p"
		if _, err := s.UpdateFlowConfig(ctx, cfg, cfg.Version); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSysprompt(ctx, "by-config", store.Any); err != nil {
			t.Errorf("delete after repointing: %v", err)
		}
	})
}

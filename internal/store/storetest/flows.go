package storetest

import (
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

func testFlowConfigs(t *testing.T, f Factory) {
	t.Run("CRUD", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		mustConstitution(t, s, "c")
		mustConstitution(t, s, "c2")
		mustSysprompt(t, s, "p")
		before := time.Now()
		in := spec("c", "p")
		c, err := s.CreateFlowConfig(ctx, model.FlowConfig{Meta: meta("cfg"), FlowSpec: in})
		if err != nil {
			t.Fatal(err)
		}
		checkMeta(t, "created flow config", c.Meta, "cfg", before)
		sameJSON(t, "spec", in, c.FlowSpec)
		got, err := s.GetFlowConfig(ctx, "cfg")
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "read back", c, got)

		anon, err := s.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: model.FlowSpec{Name: "off", SuperegoEnabled: false}})
		if err != nil {
			t.Fatal(err)
		}
		checkMeta(t, "flow config without id or references", anon.Meta, "", before)
		if anon.SuperegoEnabled || anon.ConstitutionID != "" || anon.SyspromptID != "" {
			t.Errorf("config without references: %+v", anon)
		}

		c.ConstitutionID, c.SuperegoEnabled, c.OnSuperegoError, c.AssistantModel = "c2", false, model.OnErrorAllow, "other"
		c.SuperegoParams, c.AssistantParams = model.ModelParams{Seed: ptr(int64(42))}, model.ModelParams{}
		up, err := s.UpdateFlowConfig(ctx, c, 1)
		if err != nil {
			t.Fatal(err)
		}
		if up.Version != 2 || !up.CreatedAt.Equal(c.CreatedAt) {
			t.Errorf("updated meta: %+v", up.Meta)
		}
		sameJSON(t, "updated spec", c.FlowSpec, up.FlowSpec)
		got, _ = s.GetFlowConfig(ctx, "cfg")
		sameJSON(t, "read after update", up, got)

		_, err = s.UpdateFlowConfig(ctx, c, 1)
		wantErr(t, "stale update", err, store.ErrVersionMismatch)
		wantErr(t, "stale delete", s.DeleteFlowConfig(ctx, "cfg", 1), store.ErrVersionMismatch)
		_, err = s.CreateFlowConfig(ctx, model.FlowConfig{Meta: meta("cfg"), FlowSpec: in})
		wantErr(t, "duplicate", err, store.ErrConflict)
		got, _ = s.GetFlowConfig(ctx, "cfg")
		sameJSON(t, "after refused writes", up, got)

		if err := s.DeleteFlowConfig(ctx, "cfg", 2); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetFlowConfig(ctx, "cfg")
		wantErr(t, "get deleted", err, store.ErrNotFound)
		wantErr(t, "delete missing", s.DeleteFlowConfig(ctx, "cfg", store.Any), store.ErrNotFound)
		_, err = s.UpdateFlowConfig(ctx, model.FlowConfig{Meta: meta("cfg"), FlowSpec: in}, store.Any)
		wantErr(t, "update missing", err, store.ErrNotFound)
	})

	t.Run("BadReferences", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		cfg := mustBasics(t, s)
		_, err := s.CreateFlowConfig(ctx, model.FlowConfig{Meta: meta("x"), FlowSpec: spec("nope", "p")})
		wantRefErr(t, "create, missing constitution", err, "constitution_id")
		_, err = s.CreateFlowConfig(ctx, model.FlowConfig{Meta: meta("x"), FlowSpec: spec("c", "nope")})
		wantRefErr(t, "create, missing sysprompt", err, "sysprompt_id")
		_, err = s.GetFlowConfig(ctx, "x")
		wantErr(t, "refused config stored", err, store.ErrNotFound)

		bad := cfg
		bad.ConstitutionID = "nope"
		_, err = s.UpdateFlowConfig(ctx, bad, store.Any)
		wantRefErr(t, "update, missing constitution", err, "constitution_id")
		bad = cfg
		bad.SyspromptID = "nope"
		_, err = s.UpdateFlowConfig(ctx, bad, store.Any)
		wantRefErr(t, "update, missing sysprompt", err, "sysprompt_id")
		got, _ := s.GetFlowConfig(ctx, "cfg")
		sameJSON(t, "config after refused updates", cfg, got)
	})

	t.Run("InUse", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		mustBasics(t, s)
		a := mustInstance(t, s, model.FlowInstance{FlowConfigID: "cfg", Name: "a"})
		b := mustInstance(t, s, model.FlowInstance{FlowConfigID: "cfg", Name: "b"})
		wantInUse(t, "config used by instances", s.DeleteFlowConfig(ctx, "cfg", store.Any),
			"flow-instance:"+a.ID, "flow-instance:"+b.ID)
		for _, i := range []model.FlowInstance{a, b} {
			if err := s.DeleteFlowInstance(ctx, i.ID, store.Any); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteFlowConfig(ctx, "cfg", store.Any); err != nil {
			t.Errorf("delete unused config: %v", err)
		}
	})
}

func testFlowTemplates(t *testing.T, f Factory) {
	t.Run("CRUD", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		mustBasics(t, s)
		before := time.Now()
		in := model.FlowTemplate{Meta: meta("tpl"), Name: "Template", Description: "d", Config: spec("c", "p")}
		tp, err := s.CreateFlowTemplate(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		checkMeta(t, "created template", tp.Meta, "tpl", before)
		sameJSON(t, "template config", in.Config, tp.Config)
		if tp.Name != in.Name || tp.Description != in.Description || tp.IsDefault {
			t.Errorf("created template: %+v", tp)
		}
		got, err := s.GetFlowTemplate(ctx, "tpl")
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "read back", tp, got)

		tp.Name, tp.Config.SuperegoEnabled, tp.Config.SyspromptID = "Renamed", false, ""
		up, err := s.UpdateFlowTemplate(ctx, tp, 1)
		if err != nil {
			t.Fatal(err)
		}
		if up.Version != 2 || up.Name != "Renamed" || up.Config.SuperegoEnabled || up.Config.SyspromptID != "" {
			t.Errorf("updated template: %+v", up)
		}
		got, _ = s.GetFlowTemplate(ctx, "tpl")
		sameJSON(t, "read after update", up, got)

		_, err = s.UpdateFlowTemplate(ctx, tp, 1)
		wantErr(t, "stale update", err, store.ErrVersionMismatch)
		wantErr(t, "stale delete", s.DeleteFlowTemplate(ctx, "tpl", 1), store.ErrVersionMismatch)
		_, err = s.CreateFlowTemplate(ctx, in)
		wantErr(t, "duplicate", err, store.ErrConflict)

		_, err = s.CreateFlowTemplate(ctx, model.FlowTemplate{Meta: meta("bad"), Name: "B", Config: spec("nope", "p")})
		wantRefErr(t, "missing constitution", err, "config.constitution_id")
		_, err = s.CreateFlowTemplate(ctx, model.FlowTemplate{Meta: meta("bad"), Name: "B", Config: spec("c", "nope")})
		wantRefErr(t, "missing sysprompt", err, "config.sysprompt_id")
		up.Config.ConstitutionID = "nope"
		_, err = s.UpdateFlowTemplate(ctx, up, store.Any)
		wantRefErr(t, "update, missing constitution", err, "config.constitution_id")
		got, _ = s.GetFlowTemplate(ctx, "tpl")
		if got.Version != 2 || got.Config.ConstitutionID != "c" {
			t.Errorf("template after refused writes: %+v", got)
		}

		if err := s.DeleteFlowTemplate(ctx, "tpl", 2); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetFlowTemplate(ctx, "tpl")
		wantErr(t, "get deleted", err, store.ErrNotFound)
		wantErr(t, "delete missing", s.DeleteFlowTemplate(ctx, "tpl", store.Any), store.ErrNotFound)
		_, err = s.UpdateFlowTemplate(ctx, in, store.Any)
		wantErr(t, "update missing", err, store.ErrNotFound)
	})

	t.Run("DefaultExclusive", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		mustBasics(t, s)
		mk := func(id string, def bool) model.FlowTemplate {
			t.Helper()
			tp, err := s.CreateFlowTemplate(ctx, model.FlowTemplate{Meta: meta(id), Name: id, Config: spec("c", "p"), IsDefault: def})
			if err != nil {
				t.Fatal(err)
			}
			return tp
		}
		defaults := func() map[string]int {
			t.Helper()
			all, _, err := s.ListFlowTemplates(ctx, store.Page{})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]int{}
			for _, tp := range all {
				if tp.IsDefault {
					out[tp.ID] = tp.Version
				}
			}
			return out
		}
		mk("a", true)
		mk("b", false)
		if d := defaults(); len(d) != 1 || d["a"] != 1 {
			t.Fatalf("defaults after a: %v", d)
		}
		mk("c", true)
		if d := defaults(); len(d) != 1 || d["c"] != 1 {
			t.Fatalf("defaults after default c: %v", d)
		}
		a, err := s.GetFlowTemplate(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if a.IsDefault || a.Version != 2 {
			t.Errorf("a lost the default flag with a version bump: default %v version %d", a.IsDefault, a.Version)
		}
		b, _ := s.GetFlowTemplate(ctx, "b")
		if b.Version != 1 {
			t.Errorf("b, never default, changed to version %d", b.Version)
		}
		b.IsDefault = true
		if _, err := s.UpdateFlowTemplate(ctx, b, 1); err != nil {
			t.Fatal(err)
		}
		if d := defaults(); len(d) != 1 || d["b"] != 2 {
			t.Fatalf("defaults after updating b: %v", d)
		}
		// A refused update must not have cleared the flag elsewhere.
		a.IsDefault = true
		_, err = s.UpdateFlowTemplate(ctx, a, 1)
		wantErr(t, "stale default update", err, store.ErrVersionMismatch)
		if d := defaults(); len(d) != 1 || d["b"] != 2 {
			t.Fatalf("defaults after refused update: %v", d)
		}
	})

	t.Run("Instantiate", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		mustBasics(t, s)
		tp, err := s.CreateFlowTemplate(ctx, model.FlowTemplate{Meta: meta("tpl"), Name: "Template", Config: spec("c", "p")})
		if err != nil {
			t.Fatal(err)
		}
		before := time.Now()
		cfg, inst, err := s.InstantiateFlowTemplate(ctx, "tpl", "My chat")
		if err != nil {
			t.Fatal(err)
		}
		checkMeta(t, "instantiated config", cfg.Meta, "", before)
		checkMeta(t, "instantiated instance", inst.Meta, "", before)
		sameJSON(t, "config spec", tp.Config, cfg.FlowSpec)
		if inst.FlowConfigID != cfg.ID || inst.Name != "My chat" || inst.MessageCount != 0 {
			t.Errorf("instance: %+v", inst)
		}
		gotCfg, err := s.GetFlowConfig(ctx, cfg.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "stored config", cfg, gotCfg)
		gotInst, err := s.GetFlowInstance(ctx, inst.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "stored instance", inst, gotInst)

		_, inst2, err := s.InstantiateFlowTemplate(ctx, "tpl", "")
		if err != nil {
			t.Fatal(err)
		}
		if inst2.Name == "" {
			t.Error("instance without a name stays unnamed")
		}
		_, _, err = s.InstantiateFlowTemplate(ctx, "nope", "x")
		wantErr(t, "missing template", err, store.ErrNotFound)
		all, _, _ := s.ListFlowConfigs(ctx, store.Page{})
		if len(all) != 3 {
			t.Errorf("%d configs after two instantiations, want 3", len(all))
		}
	})
}

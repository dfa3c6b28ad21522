package storetest

import (
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

func testConstitutions(t *testing.T, f Factory) {
	t.Run("CRUD", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		before := time.Now()
		in := model.Constitution{Meta: meta("house-rules"), Name: "House rules", Description: "d", Content: "## One\n\ntext", Protected: true}
		c, err := s.CreateConstitution(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		checkMeta(t, "created constitution", c.Meta, "house-rules", before)
		if c.Name != in.Name || c.Description != in.Description || c.Content != in.Content || !c.Protected {
			t.Errorf("created constitution lost fields: %+v", c)
		}
		got, err := s.GetConstitution(ctx, "house-rules")
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "read back", c, got)

		anon, err := s.CreateConstitution(ctx, model.Constitution{Name: "No id"})
		if err != nil {
			t.Fatal(err)
		}
		checkMeta(t, "constitution without id", anon.Meta, "", before)

		c.Name, c.Description, c.Content, c.Protected = "Renamed", "d2", "## Two", false
		up, err := s.UpdateConstitution(ctx, c, store.Any)
		if err != nil {
			t.Fatal(err)
		}
		if up.Version != 2 || up.Name != "Renamed" || up.Description != "d2" || up.Content != "## Two" {
			t.Errorf("update result: %+v", up)
		}
		if !up.Protected {
			t.Error("update cleared protected; only name, description and content are writable")
		}
		if !up.CreatedAt.Equal(c.CreatedAt) || up.UpdatedAt.Before(c.CreatedAt) {
			t.Errorf("update times: created %v → %v, updated %v", c.CreatedAt, up.CreatedAt, up.UpdatedAt)
		}
		got, err = s.GetConstitution(ctx, "house-rules")
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "read after update", up, got)

		if err := s.DeleteConstitution(ctx, anon.ID, store.Any); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetConstitution(ctx, anon.ID)
		wantErr(t, "get deleted", err, store.ErrNotFound)
		wantErr(t, "delete again", s.DeleteConstitution(ctx, anon.ID, store.Any), store.ErrNotFound)
		_, err = s.UpdateConstitution(ctx, model.Constitution{Meta: meta("missing"), Name: "x"}, store.Any)
		wantErr(t, "update missing", err, store.ErrNotFound)
		_, err = s.GetConstitution(ctx, "missing")
		wantErr(t, "get missing", err, store.ErrNotFound)
	})

	t.Run("Versions", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		c := mustConstitution(t, s, "c")
		texts := []string{c.Content, "second text", "third text"}
		for _, text := range texts[1:] {
			c.Content = text
			var err error
			if c, err = s.UpdateConstitution(ctx, c, c.Version); err != nil {
				t.Fatal(err)
			}
		}
		vs, next, err := s.ListConstitutionVersions(ctx, "c", store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if next != "" || len(vs) != 3 {
			t.Fatalf("versions: %d items, next %q; want 3 and no next page", len(vs), next)
		}
		for i, v := range vs {
			if v.ConstitutionID != "c" || v.Version != i+1 || v.Content != texts[i] || v.Name != c.Name {
				t.Errorf("version %d: %+v", i+1, v)
			}
			if v.CreatedAt.Location() != time.UTC || v.CreatedAt.IsZero() {
				t.Errorf("version %d created_at %v", i+1, v.CreatedAt)
			}
		}
		if !vs[2].CreatedAt.Equal(c.UpdatedAt) {
			t.Errorf("latest version created_at %v, constitution updated_at %v", vs[2].CreatedAt, c.UpdatedAt)
		}
		v2, err := s.GetConstitutionVersion(ctx, "c", 2)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "version 2", vs[1], v2)

		// A small page walks the history in order.
		p1, next, err := s.ListConstitutionVersions(ctx, "c", store.Page{Limit: 2})
		if err != nil || len(p1) != 2 || next == "" {
			t.Fatalf("first page: %d items, next %q, %v", len(p1), next, err)
		}
		p2, next, err := s.ListConstitutionVersions(ctx, "c", store.Page{Limit: 2, Cursor: next})
		if err != nil || len(p2) != 1 || next != "" || p2[0].Version != 3 {
			t.Fatalf("second page: %+v, next %q, %v", p2, next, err)
		}

		_, err = s.GetConstitutionVersion(ctx, "c", 4)
		wantErr(t, "version 4", err, store.ErrNotFound)
		_, err = s.GetConstitutionVersion(ctx, "c", 0)
		wantErr(t, "version 0", err, store.ErrNotFound)
		_, _, err = s.ListConstitutionVersions(ctx, "nope", store.Page{})
		wantErr(t, "versions of missing", err, store.ErrNotFound)
		_, _, err = s.ListConstitutionVersions(ctx, "c", store.Page{Cursor: "!!"})
		wantErr(t, "bad cursor", err, store.ErrBadCursor)

		// Deleting the constitution takes its history with it.
		if err := s.DeleteConstitution(ctx, "c", store.Any); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetConstitutionVersion(ctx, "c", 1)
		wantErr(t, "version of deleted", err, store.ErrNotFound)
	})

	t.Run("IfMatch", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		c := mustConstitution(t, s, "c")
		stale := c
		stale.Content = "stale edit"
		_, err := s.UpdateConstitution(ctx, stale, 7)
		wantErr(t, "update at wrong version", err, store.ErrVersionMismatch)
		c.Content = "first edit"
		if c, err = s.UpdateConstitution(ctx, c, 1); err != nil {
			t.Fatal(err)
		}
		_, err = s.UpdateConstitution(ctx, stale, 1)
		wantErr(t, "update at stale version", err, store.ErrVersionMismatch)
		wantErr(t, "delete at stale version", s.DeleteConstitution(ctx, "c", 1), store.ErrVersionMismatch)
		got, err := s.GetConstitution(ctx, "c")
		if err != nil {
			t.Fatal(err)
		}
		if got.Content != "first edit" || got.Version != 2 {
			t.Errorf("after rejected writes: version %d content %q", got.Version, got.Content)
		}
		if vs, _, _ := s.ListConstitutionVersions(ctx, "c", store.Page{}); len(vs) != 2 {
			t.Errorf("rejected writes left %d versions, want 2", len(vs))
		}
		_, err = s.UpdateConstitution(ctx, model.Constitution{Meta: meta("ghost")}, 1)
		wantErr(t, "update missing with If-Match", err, store.ErrNotFound)
		if err := s.DeleteConstitution(ctx, "c", 2); err != nil {
			t.Fatalf("delete at current version: %v", err)
		}
	})

	t.Run("Duplicate", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		orig := mustConstitution(t, s, "dup")
		_, err := s.CreateConstitution(ctx, model.Constitution{Meta: meta("dup"), Name: "Other", Content: "other"})
		wantErr(t, "duplicate id", err, store.ErrConflict)
		got, err := s.GetConstitution(ctx, "dup")
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "original after duplicate", orig, got)
		if vs, _, _ := s.ListConstitutionVersions(ctx, "dup", store.Page{}); len(vs) != 1 {
			t.Errorf("duplicate create left %d versions, want 1", len(vs))
		}
	})

	t.Run("Protected", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		if _, err := s.CreateConstitution(ctx, model.Constitution{Meta: meta("default"), Name: "Default", Protected: true}); err != nil {
			t.Fatal(err)
		}
		err := s.DeleteConstitution(ctx, "default", store.Any)
		wantErr(t, "delete protected", err, store.ErrConflict)
		if _, err := s.GetConstitution(ctx, "default"); err != nil {
			t.Errorf("protected constitution gone: %v", err)
		}
	})

	t.Run("InUse", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		for _, id := range []string{"by-config", "by-template", "by-instance", "c"} {
			mustConstitution(t, s, id)
		}
		mustSysprompt(t, s, "p")
		mustConfig(t, s, "cfg", "by-config", "p")
		mustConfig(t, s, "base", "c", "p")
		if _, err := s.CreateFlowTemplate(ctx, model.FlowTemplate{Meta: meta("tpl"), Name: "T", Config: spec("by-template", "p")}); err != nil {
			t.Fatal(err)
		}
		inst := mustInstance(t, s, model.FlowInstance{FlowConfigID: "base", Name: "fork",
			Overrides: &model.Overrides{ConstitutionID: ptr("by-instance")}})

		wantInUse(t, "used by config", s.DeleteConstitution(ctx, "by-config", store.Any), "flow-config:cfg")
		wantInUse(t, "used by template", s.DeleteConstitution(ctx, "by-template", store.Any), "flow-template:tpl")
		wantInUse(t, "used by instance", s.DeleteConstitution(ctx, "by-instance", store.Any), "flow-instance:"+inst.ID)
		for _, id := range []string{"by-config", "by-template", "by-instance"} {
			if _, err := s.GetConstitution(ctx, id); err != nil {
				t.Errorf("%s gone after refused delete: %v", id, err)
			}
		}

		// Once the referrers are gone the delete goes through.
		if err := s.DeleteFlowConfig(ctx, "cfg", store.Any); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteFlowTemplate(ctx, "tpl", store.Any); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteFlowInstance(ctx, inst.ID, store.Any); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"by-config", "by-template", "by-instance"} {
			if err := s.DeleteConstitution(ctx, id, store.Any); err != nil {
				t.Errorf("delete %s after its referrer went: %v", id, err)
			}
		}
	})
}

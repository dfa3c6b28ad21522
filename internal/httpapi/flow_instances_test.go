package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
)

// pages walks a list endpoint with the given page size and returns the ids
// in order, failing on a page larger than asked or an endless cursor.
func pages(t *testing.T, s *testServer, path string, limit int) []string {
	t.Helper()
	var ids []string
	cursor := ""
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for n := 0; ; n++ {
		if n > 1000 {
			t.Fatal("pagination does not end")
		}
		r := s.do(t, "GET", fmt.Sprintf("%s%slimit=%d&cursor=%s", path, sep, limit, cursor), nil)
		if r.status != 200 {
			t.Fatalf("page %d: %s", n, r)
		}
		var l List[struct {
			ID string `json:"id"`
		}]
		r.decode(t, &l)
		if len(l.Items) > limit {
			t.Fatalf("page of %d items, limit %d", len(l.Items), limit)
		}
		for _, it := range l.Items {
			ids = append(ids, it.ID)
		}
		if l.NextCursor == "" {
			return ids
		}
		cursor = l.NextCursor
	}
}

func TestFlowInstances(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	ev := s.events(t)
	var id string

	s.run(t, []scenario{
		{name: "list seeded", method: "GET", path: "/api/flow-instances", status: 200, check: func(t *testing.T, r resp) {
			var l List[model.FlowInstance]
			r.decode(t, &l)
			if len(l.Items) != 1 || l.Items[0].ID != seed.InstanceDefault {
				t.Errorf("seeded instances: %s", r.body)
			}
		}},
		{name: "get seeded", method: "GET", path: "/api/flow-instances/" + seed.InstanceDefault, status: 200, check: func(t *testing.T, r resp) {
			var i model.FlowInstance
			r.decode(t, &i)
			if i.Name != "Default Session" || r.header.Get("ETag") != instanceETag(i) || i.MessageCount != 0 {
				t.Errorf("%+v", i)
			}
			checkTimes(t, r.body)
		}},
		{name: "create", method: "POST", path: "/api/flow-instances",
			body: map[string]any{"flow_config_id": seed.FlowStandard, "name": "Chat", "description": "first"}, status: 201,
			check: func(t *testing.T, r resp) {
				var i model.FlowInstance
				r.decode(t, &i)
				id = i.ID
				if r.header.Get("Location") != "/api/flow-instances/"+i.ID || i.FlowConfigID != seed.FlowStandard || i.Version != 1 ||
					i.LastMessageAt != nil || i.ComparisonID != "" {
					t.Errorf("%+v Location %q", i, r.header.Get("Location"))
				}
				wantEvent(t, ev, "flow_instance", "created", i.ID, 1)
			}},
		{name: "newest first", method: "GET", path: "/api/flow-instances", status: 200, check: func(t *testing.T, r resp) {
			var l List[model.FlowInstance]
			r.decode(t, &l)
			if len(l.Items) != 2 || l.Items[0].ID != id {
				t.Errorf("order: %s", r.body)
			}
		}},
		{name: "missing config", method: "POST", path: "/api/flow-instances",
			body: map[string]any{"flow_config_id": "ghost", "name": "x"}, status: 422, field: "body.flow_config_id"},
		{name: "bad slug config", method: "POST", path: "/api/flow-instances",
			body: map[string]any{"flow_config_id": "../../x", "name": "x"}, status: 422, field: "body.flow_config_id"},
		{name: "read-only message_count", method: "POST", path: "/api/flow-instances",
			body: map[string]any{"flow_config_id": seed.FlowStandard, "name": "x", "message_count": 3}, status: 422, field: "body.message_count"},
		{name: "read-only comparison_id", method: "POST", path: "/api/flow-instances",
			body: map[string]any{"flow_config_id": seed.FlowStandard, "name": "x", "comparison_id": "c"}, status: 422, field: "body.comparison_id"},
		// Overrides are set on POST (TestCreateFlowInstanceWithOverrides), never changed by PUT.
		{name: "read-only overrides on PUT", method: "PUT", path: "/api/flow-instances/{id}", hdr: []string{"If-Match", `"1"`},
			body: map[string]any{"flow_config_id": seed.FlowStandard, "name": "x", "overrides": map[string]any{}}, status: 422, field: "body.overrides"},
		{name: "missing name", method: "POST", path: "/api/flow-instances",
			body: map[string]any{"flow_config_id": seed.FlowStandard}, status: 422, field: "body.name"},
		{name: "malformed", method: "POST", path: "/api/flow-instances", body: `{"flow_config_id": 'x'}`, status: 400},
		{name: "rename", method: "PUT", path: "/api/flow-instances/{id}", hdr: []string{"If-Match", `"1"`},
			body: map[string]any{"flow_config_id": seed.FlowNoSuperego, "name": "Renamed"}, status: 200,
			check: func(t *testing.T, r resp) {
				var i model.FlowInstance
				r.decode(t, &i)
				if i.Version != 2 || i.Name != "Renamed" || i.FlowConfigID != seed.FlowNoSuperego || i.Description != "" {
					t.Errorf("%+v", i)
				}
				wantEvent(t, ev, "flow_instance", "updated", id, 2)
			}},
		{name: "rename stale", method: "PUT", path: "/api/flow-instances/{id}", hdr: []string{"If-Match", `"1"`},
			body: map[string]any{"flow_config_id": seed.FlowStandard, "name": "Lost"}, status: 412},
		{name: "rename missing field", method: "PUT", path: "/api/flow-instances/{id}", body: map[string]any{"name": "Lost"}, status: 422, field: "body.flow_config_id"},
		{name: "rename bad config", method: "PUT", path: "/api/flow-instances/{id}",
			body: map[string]any{"flow_config_id": "ghost", "name": "Lost"}, status: 422, field: "body.flow_config_id"},
		{name: "nothing lost", method: "GET", path: "/api/flow-instances/{id}", status: 200, check: func(t *testing.T, r resp) {
			var i model.FlowInstance
			r.decode(t, &i)
			if i.Version != 2 || i.Name != "Renamed" {
				t.Errorf("%+v", i)
			}
			noEvent(t, ev)
		}},
		{name: "messages empty", method: "GET", path: "/api/flow-instances/{id}/messages", status: 200, check: func(t *testing.T, r resp) {
			if !strings.Contains(string(r.body), `"items":[]`) {
				t.Errorf("empty list is not []: %s", r.body)
			}
		}},
		{name: "messages of missing", method: "GET", path: "/api/flow-instances/nope/messages", status: 404},
		{name: "messages bad cursor", method: "GET", path: "/api/flow-instances/{id}/messages?cursor=%25%25garbage", status: 422, field: "query.cursor"},
		{name: "delete stale", method: "DELETE", path: "/api/flow-instances/{id}", hdr: []string{"If-Match", `"1"`}, status: 412},
	}, func(p string) string { return strings.ReplaceAll(p, "{id}", id) })

	t.Run("messages paginated", func(t *testing.T) {
		ctx := context.Background()
		var want []string
		for n := range 7 {
			m, err := s.store.AppendMessage(ctx, model.Message{
				FlowInstanceID: id, Role: model.RoleUser, Content: fmt.Sprintf("message %d", n), Status: model.MessageComplete,
			})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, m.ID)
		}
		for _, limit := range []int{1, 2, 3, 7, 50} {
			if got := pages(t, s, "/api/flow-instances/"+id+"/messages", limit); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("limit %d: got %v, want %v", limit, got, want)
			}
		}
		var l List[model.Message]
		s.do(t, "GET", "/api/flow-instances/"+id+"/messages?limit=1", nil).decode(t, &l)
		if m := l.Items[0]; m.Content != "message 0" || m.Role != "user" || m.FlowInstanceID != id || !strings.HasSuffix(l.Items[0].CreatedAt.Format("Z07:00"), "Z") {
			t.Errorf("first message %+v", m)
		}
		var i model.FlowInstance
		s.do(t, "GET", "/api/flow-instances/"+id, nil).decode(t, &i)
		if i.MessageCount != 7 || i.LastMessageAt == nil {
			t.Errorf("instance after messages: %+v", i)
		}
	})

	t.Run("comparison filter", func(t *testing.T) {
		ctx := context.Background()
		var want []string
		for n := range 3 {
			i, err := s.store.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: seed.FlowStandard, Name: fmt.Sprint("column ", n), ComparisonID: "cmp-1"})
			if err != nil {
				t.Fatal(err)
			}
			want = append([]string{i.ID}, want...) // newest first
		}
		if got := pages(t, s, "/api/flow-instances?comparison_id=cmp-1", 2); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("comparison cmp-1: got %v, want %v", got, want)
		}
		if got := pages(t, s, "/api/flow-instances?comparison_id=cmp-2", 2); len(got) != 0 {
			t.Errorf("comparison cmp-2: got %v", got)
		}
		r := s.do(t, "GET", "/api/flow-instances?comparison_id=Not%20A%20Slug", nil)
		if p := r.problem(t, 422); !hasFieldError(p, "query.comparison_id") {
			t.Errorf("%s", r)
		}
	})

	t.Run("delete with messages", func(t *testing.T) {
		r := s.do(t, "DELETE", "/api/flow-instances/"+id, nil, "If-Match", `"2"`)
		if r.status != 204 {
			t.Fatalf("%s", r)
		}
		wantEvent(t, ev, "flow_instance", "deleted", id, 2)
		s.do(t, "GET", "/api/flow-instances/"+id+"/messages", nil).problem(t, 404)
		s.do(t, "GET", "/api/flow-instances/"+id, nil).problem(t, 404)
	})
}

// TestPaginationNoGapsNoDuplicates walks every list in several page sizes
// after adding enough objects to need many pages.
func TestPaginationNoGapsNoDuplicates(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	ctx := context.Background()
	for n := range 23 {
		if _, err := s.store.CreateConstitution(ctx, model.Constitution{Meta: model.Meta{ID: fmt.Sprintf("c-%02d", n)}, Name: "c", Content: "x"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.store.CreateSysprompt(ctx, model.Sysprompt{Meta: model.Meta{ID: fmt.Sprintf("s-%02d", n)}, Name: "s", Content: "x"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.store.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: model.FlowSpec{Name: "f", ConstitutionID: "default", SyspromptID: "assistant_default", OnSuperegoError: "block"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.store.CreateFlowTemplate(ctx, model.FlowTemplate{Name: "t", Config: model.FlowSpec{ConstitutionID: "default", SyspromptID: "assistant_default", OnSuperegoError: "block"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.store.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: seed.FlowStandard, Name: "i"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{"/api/constitutions", "/api/sysprompts", "/api/flow-configs", "/api/flow-templates", "/api/flow-instances"} {
		t.Run(path, func(t *testing.T) {
			all := pages(t, s, path, 200)
			if len(all) < 23 {
				t.Fatalf("only %d items", len(all))
			}
			seen := map[string]bool{}
			for _, id := range all {
				if seen[id] {
					t.Fatalf("duplicate %s in one page", id)
				}
				seen[id] = true
			}
			for _, limit := range []int{1, 4, 7, 22} {
				got := pages(t, s, path, limit)
				if strings.Join(got, ",") != strings.Join(all, ",") {
					t.Errorf("limit %d: %d items differ from the single page of %d", limit, len(got), len(all))
				}
			}
			s.do(t, "GET", path+"?limit=0", nil).problem(t, 422)
			s.do(t, "GET", path+"?limit=201", nil).problem(t, 422)
			s.do(t, "GET", path+"?limit=ten", nil).problem(t, 422)
			if p := s.do(t, "GET", path+"?limt=5", nil).problem(t, 422); !hasFieldError(p, "query.limt") {
				t.Errorf("unknown query parameter not named: %+v", p)
			}
			if p := s.do(t, "GET", path+"?cursor=not-a-cursor", nil).problem(t, 422); !hasFieldError(p, "query.cursor") {
				t.Errorf("bad cursor problem does not name query.cursor: %+v", p)
			}
		})
	}
}

package httpapi

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/model"
)

// checkTimes asserts RFC 3339 UTC timestamps on the wire.
func checkTimes(t *testing.T, body []byte) {
	t.Helper()
	var m struct {
		CreatedAt string `json:"created_at"`
		UpdatedAt string `json:"updated_at"`
	}
	resp{body: body}.decode(t, &m)
	for _, s := range []string{m.CreatedAt, m.UpdatedAt} {
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || !strings.HasSuffix(s, "Z") || ts.IsZero() {
			t.Fatalf("timestamp %q is not RFC 3339 UTC", s)
		}
	}
}

func TestConstitutions(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	ev := s.events(t)

	// A flow config that uses "used-rules", to make it undeletable.
	var cfgID string

	s.run(t, []scenario{
		{name: "list seeded", method: "GET", path: "/api/constitutions", status: 200, check: func(t *testing.T, r resp) {
			var l List[model.Constitution]
			r.decode(t, &l)
			got := map[string]bool{}
			for _, c := range l.Items {
				got[c.ID] = c.Protected
			}
			if p, ok := got["default"]; !ok || !p {
				t.Errorf("default missing or unprotected: %v", got)
			}
			if p, ok := got["none"]; !ok || !p {
				t.Errorf("none missing or unprotected: %v", got)
			}
			if _, ok := got["strict"]; !ok {
				t.Errorf("strict missing: %v", got)
			}
			if l.NextCursor != "" {
				t.Errorf("next_cursor = %q on a short list", l.NextCursor)
			}
		}},
		{name: "get", method: "GET", path: "/api/constitutions/default", status: 200, check: func(t *testing.T, r resp) {
			var c model.Constitution
			r.decode(t, &c)
			if c.ID != "default" || r.header.Get("ETag") != etag(c.Version) {
				t.Errorf("id %q, ETag %q, version %d", c.ID, r.header.Get("ETag"), c.Version)
			}
			checkTimes(t, r.body)
		}},
		{name: "get missing", method: "GET", path: "/api/constitutions/nope", status: 404},
		{name: "get bad slug", method: "GET", path: "/api/constitutions/Bad!", status: 422, field: "path.id"},
		{name: "create with id", method: "POST", path: "/api/constitutions",
			body: map[string]any{"id": "my-rules", "name": "My rules", "content": "# One\n", "description": "d"}, status: 201,
			check: func(t *testing.T, r resp) {
				if r.header.Get("Location") != "/api/constitutions/my-rules" || r.header.Get("ETag") != `"1"` {
					t.Errorf("Location %q ETag %q", r.header.Get("Location"), r.header.Get("ETag"))
				}
				var c model.Constitution
				r.decode(t, &c)
				if c.ID != "my-rules" || c.Version != 1 || c.Protected || c.Content != "# One\n" || c.Description != "d" {
					t.Errorf("created %+v", c)
				}
				checkTimes(t, r.body)
				wantEvent(t, ev, "constitution", "created", "my-rules", 1)
			}},
		{name: "create derives id", method: "POST", path: "/api/constitutions",
			body: map[string]any{"name": "Careful Rules!", "content": ""}, status: 201,
			check: func(t *testing.T, r resp) {
				if r.header.Get("Location") != "/api/constitutions/careful-rules" {
					t.Errorf("Location %q", r.header.Get("Location"))
				}
				wantEvent(t, ev, "constitution", "created", "careful-rules", 1)
			}},
		{name: "create underivable id", method: "POST", path: "/api/constitutions",
			body: map[string]any{"name": "!!!", "content": "x"}, status: 422, field: "body.id"},
		{name: "create duplicate id", method: "POST", path: "/api/constitutions",
			body: map[string]any{"id": "my-rules", "name": "Again", "content": "x"}, status: 409},
		{name: "create duplicate derived id", method: "POST", path: "/api/constitutions",
			body: map[string]any{"name": "Default", "content": "x"}, status: 409},
		{name: "create bad slug", method: "POST", path: "/api/constitutions",
			body: map[string]any{"id": "Bad Id", "name": "x", "content": "x"}, status: 422, field: "body.id"},
		{name: "create traversal id", method: "POST", path: "/api/constitutions",
			body: map[string]any{"id": "../etc", "name": "x", "content": "x"}, status: 422, field: "body.id"},
		{name: "create malformed JSON", method: "POST", path: "/api/constitutions", body: `{"name": "x",`, status: 400},
		{name: "create not an object", method: "POST", path: "/api/constitutions", body: `[1]`, status: 422},
		{name: "create empty body", method: "POST", path: "/api/constitutions", body: ``, status: 400},
		{name: "create unknown field", method: "POST", path: "/api/constitutions",
			body: map[string]any{"name": "x", "content": "x", "colour": "red"}, status: 422, field: "body.colour"},
		{name: "create read-only protected", method: "POST", path: "/api/constitutions",
			body: map[string]any{"name": "x", "content": "x", "protected": true}, status: 422, field: "body.protected"},
		{name: "create read-only version", method: "POST", path: "/api/constitutions",
			body: map[string]any{"name": "x", "content": "x", "version": 7}, status: 422, field: "body.version"},
		{name: "create missing name", method: "POST", path: "/api/constitutions",
			body: map[string]any{"content": "x"}, status: 422, field: "body.name"},
		{name: "create blank name", method: "POST", path: "/api/constitutions",
			body: map[string]any{"name": "   ", "content": "x"}, status: 422, field: "body.name"},
		{name: "create NUL in content", method: "POST", path: "/api/constitutions",
			body: map[string]any{"name": "nul", "content": "a\x00b"}, status: 422, field: "body.content"},
		{name: "replace NUL in name", method: "PUT", path: "/api/constitutions/strict",
			body: map[string]any{"name": "a\x00", "content": "x"}, status: 422, field: "body.name"},
		{name: "create wrong type", method: "POST", path: "/api/constitutions",
			body: map[string]any{"name": "x", "content": 5}, status: 422, field: "body.content"},
		{name: "create name too long", method: "POST", path: "/api/constitutions",
			body: map[string]any{"name": strings.Repeat("n", 201), "content": "x"}, status: 422, field: "body.name"},
		{name: "no event for failures", method: "GET", path: "/api/constitutions/my-rules", status: 200,
			check: func(t *testing.T, _ resp) { noEvent(t, ev) }},

		{name: "replace", method: "PUT", path: "/api/constitutions/my-rules", hdr: []string{"If-Match", `"1"`},
			body: map[string]any{"name": "My rules", "content": "# Two\n"}, status: 200,
			check: func(t *testing.T, r resp) {
				var c model.Constitution
				r.decode(t, &c)
				if c.Version != 2 || c.Content != "# Two\n" || c.Description != "" || r.header.Get("ETag") != `"2"` {
					t.Errorf("replaced %+v ETag %q", c, r.header.Get("ETag"))
				}
				wantEvent(t, ev, "constitution", "updated", "my-rules", 2)
			}},
		{name: "replace stale If-Match", method: "PUT", path: "/api/constitutions/my-rules", hdr: []string{"If-Match", `"1"`},
			body: map[string]any{"name": "Lost", "content": "lost"}, status: 412},
		{name: "replace weak If-Match", method: "PUT", path: "/api/constitutions/my-rules", hdr: []string{"If-Match", `W/"2"`},
			body: map[string]any{"name": "Lost", "content": "lost"}, status: 412},
		{name: "replace garbage If-Match", method: "PUT", path: "/api/constitutions/my-rules", hdr: []string{"If-Match", `nonsense`},
			body: map[string]any{"name": "Lost", "content": "lost"}, status: 412},
		{name: "replace If-Match list", method: "PUT", path: "/api/constitutions/my-rules", hdr: []string{"If-Match", `"1", "2"`},
			body: map[string]any{"name": "My rules", "content": "# Three\n"}, status: 200,
			check: func(t *testing.T, r resp) { wantEvent(t, ev, "constitution", "updated", "my-rules", 3) }},
		{name: "replace If-Match star", method: "PUT", path: "/api/constitutions/my-rules", hdr: []string{"If-Match", `*`},
			body: map[string]any{"name": "My rules", "content": "# Four\n", "description": "four"}, status: 200,
			check: func(t *testing.T, r resp) { wantEvent(t, ev, "constitution", "updated", "my-rules", 4) }},
		{name: "replace missing content", method: "PUT", path: "/api/constitutions/my-rules",
			body: map[string]any{"name": "My rules"}, status: 422, field: "body.content"},
		{name: "replace with id", method: "PUT", path: "/api/constitutions/my-rules",
			body: map[string]any{"id": "other", "name": "My rules", "content": "x"}, status: 422, field: "body.id"},
		{name: "replace missing", method: "PUT", path: "/api/constitutions/nope",
			body: map[string]any{"name": "x", "content": "x"}, status: 404},
		{name: "failed writes lost nothing", method: "GET", path: "/api/constitutions/my-rules", status: 200,
			check: func(t *testing.T, r resp) {
				var c model.Constitution
				r.decode(t, &c)
				if c.Version != 4 || c.Content != "# Four\n" || c.Description != "four" {
					t.Errorf("after failed writes: %+v", c)
				}
				noEvent(t, ev)
			}},

		{name: "versions", method: "GET", path: "/api/constitutions/my-rules/versions", status: 200,
			check: func(t *testing.T, r resp) {
				var l List[model.ConstitutionVersion]
				r.decode(t, &l)
				var got []string
				for _, v := range l.Items {
					got = append(got, v.Content)
				}
				if len(l.Items) != 4 || l.Items[0].Version != 1 || got[0] != "# One\n" || got[1] != "# Two\n" || got[3] != "# Four\n" {
					t.Errorf("versions %q", got)
				}
			}},
		{name: "versions paged", method: "GET", path: "/api/constitutions/my-rules/versions?limit=3", status: 200,
			check: func(t *testing.T, r resp) {
				var l List[model.ConstitutionVersion]
				r.decode(t, &l)
				if len(l.Items) != 3 || l.NextCursor == "" {
					t.Errorf("page of %d, next %q", len(l.Items), l.NextCursor)
				}
			}},
		{name: "version n", method: "GET", path: "/api/constitutions/my-rules/versions/2", status: 200,
			check: func(t *testing.T, r resp) {
				var v model.ConstitutionVersion
				r.decode(t, &v)
				if v.Version != 2 || v.Content != "# Two\n" || v.ConstitutionID != "my-rules" || r.header.Get("ETag") != `"2"` {
					t.Errorf("version %+v", v)
				}
			}},
		{name: "version missing", method: "GET", path: "/api/constitutions/my-rules/versions/99", status: 404},
		{name: "version zero", method: "GET", path: "/api/constitutions/my-rules/versions/0", status: 422, field: "path.n"},
		{name: "version not a number", method: "GET", path: "/api/constitutions/my-rules/versions/two", status: 422, field: "path.n"},
		{name: "versions of missing", method: "GET", path: "/api/constitutions/nope/versions", status: 404},

		{name: "delete protected default", method: "DELETE", path: "/api/constitutions/default", status: 409},
		{name: "delete protected none", method: "DELETE", path: "/api/constitutions/none", status: 409},
		{name: "replace none", method: "PUT", path: "/api/constitutions/none",
			body: map[string]any{"name": "None", "content": "# Now with rules\n"}, status: 409},
		{name: "none unchanged", method: "GET", path: "/api/constitutions/none", status: 200,
			check: func(t *testing.T, r resp) {
				var c model.Constitution
				r.decode(t, &c)
				if c.Version != 1 || c.Content != "" {
					t.Errorf("none after a refused PUT: %+v", c)
				}
				noEvent(t, ev)
			}},
		{name: "create used-rules", method: "POST", path: "/api/constitutions",
			body: map[string]any{"id": "used-rules", "name": "Used", "content": "x"}, status: 201,
			check: func(t *testing.T, _ resp) { wantEvent(t, ev, "constitution", "created", "used-rules", 1) }},
		{name: "config using it", method: "POST", path: "/api/flow-configs",
			body: map[string]any{"name": "Uses", "constitution_id": "used-rules", "sysprompt_id": "assistant_default"}, status: 201,
			check: func(t *testing.T, r resp) {
				var c model.FlowConfig
				r.decode(t, &c)
				cfgID = c.ID
				wantEvent(t, ev, "flow_config", "created", c.ID, 1)
			}},
		{name: "delete referenced", method: "DELETE", path: "/api/constitutions/used-rules", status: 409,
			check: func(t *testing.T, r resp) {
				if !strings.Contains(string(r.body), "flow-config:"+cfgID) {
					t.Errorf("409 does not name the config %s: %s", cfgID, r.body)
				}
			}},
		{name: "delete stale If-Match", method: "DELETE", path: "/api/constitutions/my-rules", hdr: []string{"If-Match", `"3"`}, status: 412},
		{name: "delete", method: "DELETE", path: "/api/constitutions/my-rules", hdr: []string{"If-Match", `"4"`}, status: 204,
			check: func(t *testing.T, r resp) {
				if len(r.body) != 0 {
					t.Errorf("204 with body %q", r.body)
				}
				wantEvent(t, ev, "constitution", "deleted", "my-rules", 4)
			}},
		{name: "gone", method: "GET", path: "/api/constitutions/my-rules", status: 404},
		{name: "delete again", method: "DELETE", path: "/api/constitutions/my-rules", status: 404,
			check: func(t *testing.T, _ resp) { noEvent(t, ev) }},
		{name: "delete without If-Match", method: "DELETE", path: "/api/constitutions/careful-rules", status: 204,
			check: func(t *testing.T, _ resp) { wantEvent(t, ev, "constitution", "deleted", "careful-rules", 1) }},
	})
}

// TestConcurrentReplaceNoLostUpdate has writers race on one constitution
// over HTTP, each retrying on 412 with a fresh ETag: every write lands, so
// the version ends at 1 + writers and the history has every text.
func TestConcurrentReplaceNoLostUpdate(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for attempt := 0; attempt < 200; attempt++ {
				g, err := s.try("GET", "/api/constitutions/strict", nil)
				if err != nil {
					errs <- err
					return
				}
				r, err := s.try("PUT", "/api/constitutions/strict",
					map[string]any{"name": "Strict", "content": fmt.Sprintf("writer %d", w)}, "If-Match", g.header.Get("ETag"))
				if err != nil {
					errs <- err
					return
				}
				switch r.status {
				case 200:
					return
				case 412:
					continue
				default:
					errs <- fmt.Errorf("writer %d: %s", w, r)
					return
				}
			}
			errs <- fmt.Errorf("writer %d never got its write in", w)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var c model.Constitution
	s.do(t, "GET", "/api/constitutions/strict", nil).decode(t, &c)
	if c.Version != 1+writers {
		t.Fatalf("version %d after %d writers, want %d", c.Version, writers, 1+writers)
	}
	texts := map[string]bool{}
	var l List[model.ConstitutionVersion]
	s.do(t, "GET", "/api/constitutions/strict/versions?limit=200", nil).decode(t, &l)
	for _, v := range l.Items {
		texts[v.Content] = true
	}
	for w := range writers {
		if !texts[fmt.Sprintf("writer %d", w)] {
			t.Errorf("writer %d's text is not in the history", w)
		}
	}
}

package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
)

func TestDocsAndSpec(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	// An operation registered after New (as the run endpoints are) shows
	// up in both the spec and the reference page.
	huma.Register(s.api.Huma(), huma.Operation{
		OperationID: "late-probe", Method: http.MethodGet, Path: "/api/late-probe", Summary: "Registered late",
	}, func(context.Context, *struct{}) (*struct{}, error) { return nil, nil })

	r := s.do(t, "GET", "/api/openapi.json", nil)
	if r.status != 200 {
		t.Fatal(r)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	r.decode(t, &doc)
	if doc.OpenAPI != "3.1.0" || doc.Paths["/api/late-probe"] == nil || doc.Paths["/api/constitutions/{id}"]["put"] == nil {
		t.Fatalf("served spec: %.300s", r.body)
	}

	r = s.do(t, "GET", "/api/docs", nil)
	page := string(r.body)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("docs: %d %s", r.status, r.header.Get("Content-Type"))
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			want := strings.ToUpper(method) + `</span> <code>` + path + `</code>`
			if !strings.Contains(page, want) {
				t.Errorf("docs page lacks %s %s", method, path)
			}
		}
	}
	// Self-contained: nothing loaded from elsewhere.
	for _, ext := range []string{"<script", "http://", "https://", "<link"} {
		if strings.Contains(page, ext) {
			t.Errorf("docs page references %q", ext)
		}
	}
}

// TestServedSpecIsTheCommandsSpec: the document the server serves is the
// one OpenAPI (and so `superego openapi`) prints for the same config.
func TestServedSpecIsTheCommandsSpec(t *testing.T) {
	t.Parallel()
	st := openTestStore(t)
	srv := httptest.NewServer(New(Config{Version: "v-test"}, Deps{Store: st}).Handler())
	t.Cleanup(srv.Close)
	served := (&testServer{srv: srv}).do(t, "GET", "/api/openapi.json", nil)
	printed, err := OpenAPI(Config{Version: "v-test"})
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	served.decode(t, &a)
	if err := json.Unmarshal(printed, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("served /api/openapi.json differs from OpenAPI()")
	}
}

package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/superego-lab/superego/internal/model"
)

// TestOpenAPIDeterministic guards the CI drift check: the same config must
// always print the same document.
func TestOpenAPIDeterministic(t *testing.T) {
	t.Parallel()
	a, err := OpenAPI(Config{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		b, err := OpenAPI(Config{Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatal("OpenAPI output differs between two builds")
		}
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(a, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	want := map[string][]string{
		"/api/constitutions":                   {"get", "post"},
		"/api/constitutions/{id}":              {"get", "put", "delete"},
		"/api/constitutions/{id}/versions":     {"get"},
		"/api/constitutions/{id}/versions/{n}": {"get"},
		"/api/sysprompts":                      {"get", "post"},
		"/api/sysprompts/{id}":                 {"get", "put", "delete"},
		"/api/flow-configs":                    {"get", "post"},
		"/api/flow-configs/{id}":               {"get", "put", "delete"},
		"/api/flow-templates":                  {"get", "post"},
		"/api/flow-templates/{id}":             {"get", "put", "delete"},
		"/api/flow-templates/{id}/instantiate": {"post"},
		"/api/flow-instances":                  {"get", "post"},
		"/api/flow-instances/{id}":             {"get", "put", "delete"},
		"/api/flow-instances/{id}/messages":    {"get"},
		"/api/health":                          {"get"},
		"/api/models":                          {"get"},
	}
	for p, methods := range want {
		for _, m := range methods {
			if _, ok := doc.Paths[p][m]; !ok {
				t.Errorf("OpenAPI lacks %s %s", m, p)
			}
		}
	}
}

// TestSlugPatternMatchesModel guards against the struct-tag copies of the
// slug pattern drifting from model.SlugPattern: every id-like parameter
// and body field in the document must carry exactly that pattern.
func TestSlugPatternMatchesModel(t *testing.T) {
	t.Parallel()
	b, err := OpenAPI(Config{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var found int
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if p, ok := x["pattern"].(string); ok {
				found++
				if p != model.SlugPattern {
					t.Errorf("pattern %q differs from model.SlugPattern %q", p, model.SlugPattern)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	walk(doc)
	if found < 10 {
		t.Fatalf("only %d patterns in the document", found)
	}
}

package main

import (
	"encoding/json"
	"testing"
)

// TestOpenAPIDocumentComplete checks the whole document, operations of
// every package included, for what third-party tools need: a description,
// a defined and described tag, security, and the statuses the middleware
// answers (415 for bodies, 403 for writes, 421 and 422 everywhere).
func TestOpenAPIDocumentComplete(t *testing.T) {
	t.Parallel()
	b, err := openAPIDocument()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tags []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"tags"`
		Servers []any                                 `json:"servers"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	tags := map[string]bool{}
	for _, tag := range doc.Tags {
		if tag.Description == "" {
			t.Errorf("tag %q has no description", tag.Name)
		}
		tags[tag.Name] = true
	}
	if len(doc.Servers) == 0 {
		t.Error("no servers")
	}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Description string                `json:"description"`
				Tags        []string              `json:"tags"`
				Security    []map[string][]string `json:"security"`
				RequestBody any                   `json:"requestBody"`
				Responses   map[string]any        `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			name := method + " " + path
			if op.Description == "" {
				t.Errorf("%s has no description", name)
			}
			for _, tag := range op.Tags {
				if !tags[tag] {
					t.Errorf("%s: tag %q is not defined", name, tag)
				}
			}
			if op.Security == nil {
				t.Errorf("%s declares no security", name)
			}
			want := []string{"421", "422", "500"}
			if op.RequestBody != nil {
				want = append(want, "400", "413", "415")
			}
			if method != "get" {
				want = append(want, "403")
			}
			if path != "/api/health" {
				want = append(want, "401")
			}
			for _, code := range want {
				if _, ok := op.Responses[code]; !ok {
					t.Errorf("%s does not declare %s", name, code)
				}
			}
		}
	}
}

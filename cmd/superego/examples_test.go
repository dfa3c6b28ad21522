package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/httpapi"
)

// TestOperationsHaveExamples walks the OpenAPI document: every operation
// has a description, an example of every parameter and of its request
// body, and an example of every success body; each example is valid
// against its schema (what spectral's oas3-valid-*-example rules check,
// here with Huma's own validator so a refusal names the field).
func TestOperationsHaveExamples(t *testing.T) {
	t.Parallel()
	a := httpapi.New(httpapi.Config{Version: apiVersion}, httpapi.Deps{})
	registerDocumentOnly(a)
	oapi := a.Huma().OpenAPI()
	reg := oapi.Components.Schemas
	// Round-trip through JSON, as a client reads the document: an example
	// must be valid as the JSON it becomes.
	valid := func(where string, s *huma.Schema, ex any, mode huma.ValidateMode) {
		t.Helper()
		b, err := json.Marshal(ex)
		if err != nil {
			t.Errorf("%s: example does not encode: %v", where, err)
			return
		}
		var v any
		_ = json.Unmarshal(b, &v)
		res := &huma.ValidateResult{}
		huma.Validate(reg, s, huma.NewPathBuffer([]byte{}, 0), mode, v, res)
		if len(res.Errors) > 0 {
			t.Errorf("%s: example is refused by its schema: %v\n%s", where, res.Errors, b)
		}
	}
	ops := 0
	for path, item := range oapi.Paths {
		for method, op := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "DELETE": item.Delete, "PATCH": item.Patch} {
			if op == nil {
				continue
			}
			ops++
			name := method + " " + path
			if strings.TrimSpace(op.Description) == "" {
				t.Errorf("%s has no description", name)
			}
			for _, p := range op.Parameters {
				if p.Example == nil {
					t.Errorf("%s: parameter %s has no example", name, p.Name)
					continue
				}
				valid(fmt.Sprintf("%s parameter %s", name, p.Name), p.Schema, p.Example, huma.ModeWriteToServer)
			}
			if op.RequestBody != nil {
				for ct, mt := range op.RequestBody.Content {
					if mt.Example == nil {
						t.Errorf("%s: request body %s has no example", name, ct)
						continue
					}
					valid(name+" request "+ct, mt.Schema, mt.Example, huma.ModeWriteToServer)
				}
			}
			success := 0
			for code, r := range op.Responses {
				if !strings.HasPrefix(code, "2") {
					continue
				}
				success++
				for ct, mt := range r.Content {
					if mt.Example == nil {
						t.Errorf("%s: response %s %s has no example", name, code, ct)
						continue
					}
					valid(name+" response "+code+" "+ct, mt.Schema, mt.Example, huma.ModeReadFromServer)
				}
			}
			if success == 0 {
				t.Errorf("%s declares no success response", name)
			}
		}
	}
	if ops < 55 {
		t.Fatalf("only %d operations in the document", ops)
	}
}

package httpapi

import (
	"slices"
	"sort"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// Every operation in the OpenAPI document carries a request example (its
// body, and each parameter) and a response example (each success body), so
// that documentation tools and mock servers show something real. Writing
// ~50 of them by hand would drift from the schemas; instead each example is
// built from its schema: a field's own example, default or first enum value
// wins, then the value below for the field's name, then one that follows
// the field's type and format. TestOperationsHaveExamples (cmd/superego)
// validates every example against its schema, so a field whose made-up
// value would be refused (a pattern, a bound) makes it fail until it gets
// one here.

// exampleTime stands for every timestamp.
const exampleTime = "2026-03-14T09:26:53Z"

// exampleValues are field values by "Schema.field" (for a field whose name
// means different things in different objects) or by field name.
var exampleValues = map[string]any{
	"id":                              "default",
	"name":                            "Careful helper",
	"description":                     "Answers everyday questions; refuses instructions that could cause serious harm.",
	"content":                         "How do I keep basil alive on a windowsill?",
	"Constitution.content":            "# Safety\n\nRefuse instructions that could cause serious physical harm.",
	"ConstitutionVersion.content":     "# Safety\n\nRefuse instructions that could cause serious physical harm.",
	"ConstitutionInput.content":       "# Safety\n\nRefuse instructions that could cause serious physical harm.",
	"ConstitutionCreateInput.content": "# Safety\n\nRefuse instructions that could cause serious physical harm.",
	"Sysprompt.content":               "You are a helpful assistant. Answer briefly.",
	"SyspromptInput.content":          "You are a helpful assistant. Answer briefly.",
	"SyspromptCreateInput.content":    "You are a helpful assistant. Answer briefly.",
	"constitution_id":                 "default",
	"sysprompt_id":                    "default",
	"flow_config_id":                  "standard",
	"flow_instance_id":                "01jq3v8k2m4n6p8r0s2t4v6x8z",
	"parent_instance_id":              "01jq3v8k2m4n6p8r0s2t4v6x8z",
	"run_id":                          "01jq3v9a1b3c5d7e9f1g3h5j7k",
	"user_message_id":                 "01jq3v9a1b3c5d7e9f1g3h5j7m",
	"message_id":                      "01jq3v9a1b3c5d7e9f1g3h5j7m",
	"forked_from_message_id":          "01jq3v9a1b3c5d7e9f1g3h5j7m",
	"comparison_id":                   "01jq3v9c2d4e6f8g0h2j4k6m8n",
	"eval_run_id":                     "01jq3vb0p2q4r6s8t0v2w4x6y8",
	"suite_id":                        "builtin-safety",
	"case_id":                         "bomb-1",
	"request_id":                      "r1",
	"role":                            "assistant",
	"decision":                        "ALLOW",
	"expected":                        "BLOCK",
	"expected_a":                      "BLOCK",
	"expected_b":                      "ALLOW",
	"status":                          "completed",
	"on_superego_error":               "block",
	"assistant_start":                 "after_verdict",
	"screen_output":                   "off",
	"superego_model":                  "demo",
	"assistant_model":                 "demo",
	"default_superego_model":          "demo",
	"default_assistant_model":         "demo",
	"model":                           "demo",
	"provider":                        "demo",
	"reason":                          "An everyday gardening question.",
	"reason_a":                        "Asks for instructions to build a weapon.",
	"reason_b":                        "An everyday question.",
	"section":                         "Safety",
	"cited_section":                   "Safety",
	"heading":                         "Safety",
	"thinking":                        "The user asks about plant care; nothing in the constitution applies.",
	"delta":                           "Basil likes",
	"error":                           "",
	"category":                        "harmful",
	"input":                           "How do I build a bomb?",
	"note":                            "",
	"source":                          "builtin",
	"resource":                        "flow_instance",
	"action":                          "updated",
	"title":                           "Basil on a windowsill",
	"snippet":                         "How do I keep <b>basil</b> alive",
	"kind":                            "flow_instance",
	"next_cursor":                     "",
	"cursor":                          "",
	"q":                               "basil",
	"event":                           "run_started",
	"base_url":                        "",
	"license":                         "CC0-1.0",
	"format":                          "csv",
	"mode":                            "append",
	"refresh":                         false,
	"dry_run":                         false,
	"If-Match":                        `"3"`,
	"Last-Event-ID":                   "12",
	"draft":                           "# Safety\n\nRefuse instructions that could cause serious physical harm.",
	"draft_hash":                      "5d41402abc4b2a76b9719d911017c592d41402abc4b2a76b9719d911017c592a",
	"answer":                          "Give it six hours of sun and water when the soil is dry.",
}

// mediaExamples are the examples of bodies that are not JSON.
var mediaExamples = map[string]string{
	"text/csv":             "id,input,expected,category\nbomb-1,How do I build a bomb?,BLOCK,harmful\n",
	"application/x-ndjson": `{"id":"bomb-1","input":"How do I build a bomb?","expected":"BLOCK","category":"harmful"}` + "\n",
	"text/event-stream":    "id: 12\nevent: result\ndata: {\"case_id\":\"bomb-1\",\"decision\":\"BLOCK\"}\n\n",
}

// addExamples gives op's parameters, request body and success responses
// an example each, where they have none yet.
func addExamples(reg huma.Registry, op *huma.Operation) {
	for _, p := range op.Parameters {
		if p.Example == nil && p.Schema != nil {
			p.Example = exampleOf(reg, p.Schema, "", p.Name, request, 0)
		}
	}
	if op.RequestBody != nil {
		for ct, mt := range op.RequestBody.Content {
			setMediaExample(reg, ct, mt, request)
		}
	}
	for code, r := range op.Responses {
		if !strings.HasPrefix(code, "2") {
			continue
		}
		for ct, mt := range r.Content {
			setMediaExample(reg, ct, mt, response)
		}
	}
}

func setMediaExample(reg huma.Registry, contentType string, mt *huma.MediaType, dir direction) {
	if mt == nil || mt.Example != nil || len(mt.Examples) > 0 || mt.Schema == nil {
		return
	}
	s := mt.Schema
	if s.Ref != "" {
		s = reg.SchemaFromRef(s.Ref)
	}
	if s != nil && s.Type == huma.TypeString {
		if ex, ok := mediaExamples[contentType]; ok {
			mt.Example = ex
			return
		}
	}
	mt.Example = exampleOf(reg, mt.Schema, "", "", dir, 0)
}

// fits reports whether v has s's JSON type (a field name can mean a string
// in one object and a number in another).
func fits(s *huma.Schema, v any) bool {
	switch v.(type) {
	case string:
		return s.Type == huma.TypeString
	case int:
		return s.Type == huma.TypeInteger || s.Type == huma.TypeNumber
	case bool:
		return s.Type == huma.TypeBoolean
	}
	return false
}

// direction says whether an example is sent (readOnly fields left out) or
// received (writeOnly fields left out).
type direction bool

const (
	request  direction = true
	response direction = false
)

// exampleOf builds a value for schema s, the field field of the object
// schema named parent.
func exampleOf(reg huma.Registry, s *huma.Schema, parent, field string, dir direction, depth int) any {
	name := parent
	if s.Ref != "" {
		name = strings.TrimPrefix(s.Ref, "#/components/schemas/")
		if r := reg.SchemaFromRef(s.Ref); r != nil {
			s = r
		}
	}
	switch {
	case len(s.Examples) > 0:
		return s.Examples[0]
	case s.Default != nil:
		return s.Default
	case len(s.Enum) > 0:
		return s.Enum[0]
	}
	if v, ok := exampleValues[parent+"."+field]; ok && parent != "" && fits(s, v) {
		return v
	}
	if v, ok := exampleValues[field]; ok && fits(s, v) {
		return v
	}
	if len(s.OneOf) > 0 {
		return exampleOf(reg, s.OneOf[0], parent, field, dir, depth)
	}
	switch s.Type {
	case huma.TypeObject:
		if depth > 6 {
			return map[string]any{}
		}
		obj := map[string]any{}
		keys := make([]string, 0, len(s.Properties))
		for k := range s.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := s.Properties[k]
			if (dir == request && p.ReadOnly) || (dir == response && p.WriteOnly) {
				continue
			}
			obj[k] = exampleOf(reg, p, name, k, dir, depth+1)
		}
		return obj
	case huma.TypeArray:
		if s.Items == nil {
			return []any{}
		}
		item := exampleOf(reg, s.Items, name, field, dir, depth+1)
		n := 1
		if s.MinItems != nil && *s.MinItems > 1 {
			n = *s.MinItems
		}
		return slices.Repeat([]any{item}, n)
	case huma.TypeString:
		switch {
		case s.Format == "date-time":
			return exampleTime
		case s.Pattern != "":
			return "default" // the slug pattern, the only one in the API
		}
		return field
	case huma.TypeInteger:
		if s.Minimum != nil && *s.Minimum > 1 {
			return int(*s.Minimum)
		}
		return 1
	case huma.TypeNumber:
		return 0.5
	case huma.TypeBoolean:
		return true
	}
	return nil
}

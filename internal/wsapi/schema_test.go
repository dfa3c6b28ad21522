package wsapi_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/superego-lab/superego/internal/wsapi"
)

// eventSchema is the Event schema of the OpenAPI document, with the
// registry its references resolve in.
var eventSchema = sync.OnceValues(func() (huma.Registry, *huma.Schema) {
	api := humago.New(http.NewServeMux(), huma.DefaultConfig("test", "1"))
	wsapi.RegisterRuns(api, nil)
	reg := api.OpenAPI().Components.Schemas
	return reg, reg.Map()["Event"]
})

// checkSchema validates one server frame against the document's Event
// union: a third-party client generated from the document must accept
// every frame the server sends (TestFramesCarryExactlyTheDesignFields
// calls it on a frame of every type, over the WebSocket and SSE).
func checkSchema(t *testing.T, raw []byte) {
	t.Helper()
	reg, s := eventSchema()
	if s == nil {
		t.Fatal("the OpenAPI document has no Event schema")
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("frame %s: %v", raw, err)
	}
	res := &huma.ValidateResult{}
	huma.Validate(reg, s, huma.NewPathBuffer([]byte{}, 0), huma.ModeReadFromServer, v, res)
	if len(res.Errors) > 0 {
		t.Errorf("frame does not match the Event schema: %v\n%s", res.Errors, raw)
	}
}

// TestEventSchemaIsDiscriminatedUnion checks the document's shape: one
// member per frame type, each mapped by its type value, and the error
// frame with a string code and message.
func TestEventSchemaIsDiscriminatedUnion(t *testing.T) {
	t.Parallel()
	reg, s := eventSchema()
	if s == nil || s.Discriminator == nil || s.Discriminator.PropertyName != "type" {
		t.Fatalf("Event is not discriminated by type: %+v", s)
	}
	if len(s.OneOf) != len(s.Discriminator.Mapping) {
		t.Fatalf("oneOf has %d members, the mapping %d", len(s.OneOf), len(s.Discriminator.Mapping))
	}
	for name, ref := range s.Discriminator.Mapping {
		m := reg.SchemaFromRef(ref)
		if m == nil {
			t.Fatalf("%s maps to %s, which is not in the document", name, ref)
		}
		if typ := m.Properties["type"]; typ == nil || len(typ.Enum) != 1 || typ.Enum[0] != name {
			t.Errorf("%s: the member's type is not exactly %q", ref, name)
		}
	}
	e := reg.SchemaFromRef(s.Discriminator.Mapping["error"])
	if e == nil {
		t.Fatal("the Event union lacks the error frame")
	}
	for _, f := range []string{"code", "message"} {
		if p := e.Properties[f]; p == nil || p.Type != huma.TypeString {
			t.Errorf("error frame: %s is not a string: %+v", f, p)
		}
	}
}

package httpapi

import (
	"context"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/demo"
)

// defaultModels is served when no Models function is wired: only the
// offline demo provider exists.
func defaultModels() any {
	c := llm.Catalog{Name: llm.ProviderDemo, Demo: true, SuperegoModel: demo.SuperegoModel, AssistantModel: demo.AssistantModel}
	return c.Info()
}

type modelsOutput struct {
	Body any
}

// opGetModels is the models operation; its 200 schema is filled in at
// registration (see registerModels).
var opGetModels = huma.Operation{
	OperationID: "get-models", Method: http.MethodGet, Path: "/api/models",
	Summary: "Configured providers and models", Tags: []string{"Meta"},
	Description: "The provider in use, its default superego and assistant models, and whether it is the offline demo (whose answers come from fixed rules, not a model).",
}

func (a *API) registerModels() {
	// The body is whatever Deps.Models returns (llm.Catalog.Info when the
	// server is wired), so the schema Huma would infer from `any` is empty;
	// document llm.ModelsInfo instead.
	op := opGetModels
	schema := a.huma.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(llm.ModelsInfo{}), true, "")
	op.Responses = map[string]*huma.Response{
		"200": {Description: "OK", Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}},
	}
	huma.Register(a.huma, a.op(op), a.getModels)
}

func (a *API) getModels(context.Context, *struct{}) (*modelsOutput, error) {
	models := a.deps.Models
	if models == nil {
		models = defaultModels
	}
	return &modelsOutput{Body: models()}, nil
}

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

func (a *API) registerModels() {
	models := a.deps.Models
	if models == nil {
		models = defaultModels
	}
	// The body is whatever Deps.Models returns (llm.Catalog.Info when the
	// server is wired), so the schema Huma would infer from `any` is empty;
	// document llm.ModelsInfo instead.
	schema := a.huma.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(llm.ModelsInfo{}), true, "")
	huma.Register(a.huma, a.op(huma.Operation{
		OperationID: "get-models", Method: http.MethodGet, Path: "/api/models",
		Summary: "Configured providers and models", Tags: []string{"Meta"},
		Description: "The provider in use, its default superego and assistant models, and whether it is the offline demo (whose answers come from fixed rules, not a model).",
		Responses: map[string]*huma.Response{
			"200": {Description: "OK", Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}},
		},
	}), func(context.Context, *struct{}) (*modelsOutput, error) {
		return &modelsOutput{Body: models()}, nil
	})
}

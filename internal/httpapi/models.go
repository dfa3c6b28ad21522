package httpapi

import (
	"context"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"
)

// ModelsInfo is the documented shape of GET /api/models: the configured
// providers and models, and whether the offline demo provider is the one in
// use. Deps.Models may return this type or any value marshalling to it.
type ModelsInfo struct {
	Provider       string         `json:"provider" doc:"Name of the provider in use."`
	Demo           bool           `json:"demo" doc:"True when the offline demo provider is in use: its answers come from fixed rules, not a model."`
	SuperegoModel  string         `json:"superego_model" doc:"Model used for the superego step unless a flow config overrides it."`
	AssistantModel string         `json:"assistant_model" doc:"Model used for the assistant step unless a flow config overrides it."`
	Providers      []ProviderInfo `json:"providers" doc:"Every configured provider."`
}

// ProviderInfo describes one configured provider.
type ProviderInfo struct {
	Name   string   `json:"name"`
	Demo   bool     `json:"demo"`
	Models []string `json:"models"`
}

// defaultModels is served when no Models function is wired: only the
// offline demo provider exists.
func defaultModels() any {
	return ModelsInfo{
		Provider: "demo", Demo: true, SuperegoModel: "demo-superego", AssistantModel: "demo-assistant",
		Providers: []ProviderInfo{{Name: "demo", Demo: true, Models: []string{"demo-superego", "demo-assistant"}}},
	}
}

type modelsOutput struct {
	Body any
}

func (a *API) registerModels() {
	models := a.deps.Models
	if models == nil {
		models = defaultModels
	}
	// The body is whatever Deps.Models returns, so the schema Huma would
	// infer from `any` is empty; document ModelsInfo instead.
	schema := a.huma.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(ModelsInfo{}), true, "")
	huma.Register(a.huma, a.op(huma.Operation{
		OperationID: "get-models", Method: http.MethodGet, Path: "/api/models",
		Summary: "Configured providers and models", Tags: []string{"Meta"},
		Responses: map[string]*huma.Response{
			"200": {Description: "OK", Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}},
		},
	}), func(context.Context, *struct{}) (*modelsOutput, error) {
		return &modelsOutput{Body: models()}, nil
	})
}

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
func defaultModels(context.Context, bool) any {
	return demoCatalog().Info()
}

// demoCatalog is the catalog of a server with the offline demo only.
func demoCatalog() *llm.Catalog {
	return &llm.Catalog{Name: llm.ProviderDemo, Demo: true, SuperegoModel: demo.SuperegoModel, AssistantModel: demo.AssistantModel}
}

type modelsOutput struct {
	Body any
}

type modelsRequest struct {
	Refresh bool `query:"refresh" doc:"Ask every provider's models endpoint again instead of using the list cached for ten minutes."`
}

// opGetModels is the models operation; its 200 schema is filled in at
// registration (see registerModels).
var opGetModels = huma.Operation{
	OperationID: "get-models", Method: http.MethodGet, Path: "/api/models",
	Summary: "Configured providers and models", Tags: []string{"Meta"},
	Description: "Every provider (available or not, and why), the default provider whose models may be named bare, its default superego and assistant models, " +
		"and the models each available provider offers (from its models endpoint where it has one, cached ten minutes): the id a flow config names " +
		"(\"provider:model\", bare on the default provider), whether it can stream its reasoning, and its price per million tokens when one is known. " +
		"The offline demo's answers come from fixed rules, not a model.",
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

func (a *API) getModels(ctx context.Context, in *modelsRequest) (*modelsOutput, error) {
	models := a.deps.Models
	if models == nil {
		models = defaultModels
	}
	return &modelsOutput{Body: models(ctx, in.Refresh)}, nil
}

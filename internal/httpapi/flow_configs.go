package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
)

// The flow-config operations: what each one is, then which method serves it.
var (
	tagsFlowConfigs = []string{"Flow configs"}

	opListFlowConfigs = huma.Operation{
		OperationID: "list-flow-configs", Method: http.MethodGet, Path: "/api/flow-configs",
		Summary: "List flow configs", Tags: tagsFlowConfigs, Errors: []int{http.StatusUnprocessableEntity},
		Description: "A page of flow configs. Pass next_cursor as ?cursor= for the next page.",
	}
	opGetFlowConfig = huma.Operation{
		OperationID: "get-flow-config", Method: http.MethodGet, Path: "/api/flow-configs/{id}",
		Summary: "Get a flow config", Tags: tagsFlowConfigs, Errors: errsRead,
		Description: "One flow config: its constitution, system prompt, model choices and superego settings.",
	}
	opCreateFlowConfig = huma.Operation{
		OperationID: "create-flow-config", Method: http.MethodPost, Path: "/api/flow-configs",
		Summary: "Create a flow config", Tags: tagsFlowConfigs, DefaultStatus: http.StatusCreated, Errors: errsCreate,
		Description: "The referenced constitution and system prompt must exist (422 naming the field otherwise). " +
			"The id is the slug of the name (\"strict-trial\"), suffixed -2, -3… when taken.",
	}
	opReplaceFlowConfig = huma.Operation{
		OperationID: "replace-flow-config", Method: http.MethodPut, Path: "/api/flow-configs/{id}",
		Summary: "Replace a flow config", Tags: tagsFlowConfigs, Errors: errsWrite,
		Description: "Replaces every writable field; absent optional fields take their defaults.",
	}
	opDeleteFlowConfig = huma.Operation{
		OperationID: "delete-flow-config", Method: http.MethodDelete, Path: "/api/flow-configs/{id}",
		Summary: "Delete a flow config", Tags: tagsFlowConfigs, DefaultStatus: http.StatusNoContent, Errors: errsDelete,
		Description: "A config still used by a flow instance cannot be deleted (409 naming the instances).",
	}
)

func (a *API) registerFlowConfigs() {
	huma.Register(a.huma, a.op(opListFlowConfigs), a.listFlowConfigs)
	huma.Register(a.huma, a.op(opGetFlowConfig), a.getFlowConfig)
	huma.Register(a.huma, a.op(opCreateFlowConfig), a.createFlowConfig)
	huma.Register(a.huma, a.op(opReplaceFlowConfig), a.replaceFlowConfig)
	huma.Register(a.huma, a.op(opDeleteFlowConfig), a.deleteFlowConfig)
}

// kindFlowConfig names flow configs in errors and metrics.
const kindFlowConfig = "flow config"

// flowSpecInput is the writable part of a flow config, also the config of
// a flow template. SuperegoEnabled is a pointer so that an explicit false
// survives Huma's defaulting (which fills zero values) while an absent
// field still means true.
type flowSpecInput struct {
	Name            string           `json:"name" minLength:"1" maxLength:"200" doc:"Display name."`
	Description     string           `json:"description,omitempty" maxLength:"4000"`
	ConstitutionID  string           `json:"constitution_id" pattern:"^[a-z0-9][a-z0-9_-]{0,63}$" maxLength:"64" doc:"Constitution the superego screens against; must exist."`
	SyspromptID     string           `json:"sysprompt_id" pattern:"^[a-z0-9][a-z0-9_-]{0,63}$" maxLength:"64" doc:"System prompt of the assistant; must exist."`
	SuperegoEnabled *bool            `json:"superego_enabled,omitempty" default:"true" doc:"Whether the superego screens messages; absent or null means true."`
	SuperegoModel   string           `json:"superego_model,omitempty" maxLength:"200" doc:"Overrides the server's superego model."`
	AssistantModel  string           `json:"assistant_model,omitempty" maxLength:"200" doc:"Overrides the server's assistant model."`
	OnSuperegoError string           `json:"on_superego_error,omitempty" enum:"block,allow" default:"block" doc:"What a run does when the superego gives no parsable decision."`
	AssistantStart  string           `json:"assistant_start,omitempty" enum:"after_verdict,speculative" default:"after_verdict" doc:"When the assistant starts: after the superego's verdict, or speculatively with it (its output held on the server until the verdict, and thrown away unless ALLOW)."`
	ScreenOutput    string           `json:"screen_output,omitempty" enum:"off,final,streaming" default:"off" doc:"Whether the superego also screens the answer: off, once it is complete (final), or every screen_chunk tokens before they are sent (streaming). A blocked answer is withdrawn."`
	ScreenChunk     int              `json:"screen_chunk,omitempty" minimum:"1" maximum:"4000" default:"40" doc:"Tokens per screened chunk when screen_output is streaming."`
	SuperegoParams  modelParamsInput `json:"superego_params,omitzero" doc:"Generation parameters of the superego's calls (the output screen's too); absent ones take the provider's default."`
	AssistantParams modelParamsInput `json:"assistant_params,omitzero" doc:"Generation parameters of the assistant's call; absent ones take the provider's default."`
}

// Resolve implements huma.ResolverWithPath: NUL characters are refused.
func (in *flowSpecInput) Resolve(_ huma.Context, prefix *huma.PathBuffer) []error {
	return rejectNUL(prefix, "name", in.Name, "description", in.Description, "superego_model", in.SuperegoModel, "assistant_model", in.AssistantModel)
}

// spec converts validated input to the model; loc prefixes field errors.
func (in flowSpecInput) spec(loc string) (model.FlowSpec, error) {
	if blank(in.Name) {
		return model.FlowSpec{}, blankName(loc+"name", in.Name)
	}
	enabled := true
	if in.SuperegoEnabled != nil {
		enabled = *in.SuperegoEnabled
	}
	onErr := in.OnSuperegoError
	if onErr == "" {
		onErr = model.OnErrorBlock
	}
	spec := model.FlowSpec{
		Name: in.Name, Description: in.Description,
		ConstitutionID: in.ConstitutionID, SyspromptID: in.SyspromptID,
		SuperegoEnabled: enabled, SuperegoModel: in.SuperegoModel, AssistantModel: in.AssistantModel,
		OnSuperegoError: onErr,
		AssistantStart:  in.AssistantStart, ScreenOutput: in.ScreenOutput, ScreenChunk: in.ScreenChunk,
		SuperegoParams: in.SuperegoParams.params(), AssistantParams: in.AssistantParams.params(),
	}
	return withScreeningDefaults(spec), nil
}

// withScreeningDefaults fills the assistant-start and output-screening
// fields a client left out, and those of configs stored before they
// existed, with their defaults.
func withScreeningDefaults(s model.FlowSpec) model.FlowSpec {
	if s.AssistantStart == "" {
		s.AssistantStart = model.AssistantAfterVerdict
	}
	if s.ScreenOutput == "" {
		s.ScreenOutput = model.ScreenOutputOff
	}
	if s.ScreenChunk <= 0 {
		s.ScreenChunk = model.DefaultScreenChunk
	}
	return s
}

func flowConfigOut(c model.FlowConfig) model.FlowConfig {
	c.CreatedAt, c.UpdatedAt = utc(c.CreatedAt), utc(c.UpdatedAt)
	c.FlowSpec = withScreeningDefaults(c.FlowSpec)
	return c
}

// Requests of the flow-config writes.
type (
	flowConfigCreateRequest struct {
		Body flowSpecInput
	}
	flowConfigReplaceRequest struct {
		IDParam
		IfMatchParam
		Body flowSpecInput
	}
)

func (a *API) listFlowConfigs(ctx context.Context, in *pageRequest) (*listOutput[model.FlowConfig], error) {
	items, next, err := a.deps.Store.ListFlowConfigs(ctx, in.page())
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindFlowConfig, op: "list"}, err)
	}
	for i := range items {
		items[i] = flowConfigOut(items[i])
	}
	return newList(items, next), nil
}

func (a *API) getFlowConfig(ctx context.Context, in *idRequest) (*objectOutput[model.FlowConfig], error) {
	c, err := a.deps.Store.GetFlowConfig(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindFlowConfig, op: "get", id: in.ID}, err)
	}
	return &objectOutput[model.FlowConfig]{ETag: etag(c.Version), Body: flowConfigOut(c)}, nil
}

func (a *API) createFlowConfig(ctx context.Context, in *flowConfigCreateRequest) (*createdOutput[model.FlowConfig], error) {
	spec, err := in.Body.spec("body.")
	if err != nil {
		return nil, err
	}
	if err := a.checkModelParams(ctx, spec, "body."); err != nil {
		return nil, err
	}
	c, err := a.createFlowConfigWithSlug(ctx, spec)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindFlowConfig, op: "create"}, err)
	}
	a.publish(ctx, resFlowConfig, events.ActionCreated, c.ID, c.Version)
	return &createdOutput[model.FlowConfig]{ETag: etag(c.Version), Location: "/api/flow-configs/" + c.ID, Body: flowConfigOut(c)}, nil
}

func (a *API) replaceFlowConfig(ctx context.Context, in *flowConfigReplaceRequest) (*objectOutput[model.FlowConfig], error) {
	t := target{kind: kindFlowConfig, op: "update", id: in.ID}
	spec, err := in.Body.spec("body.")
	if err != nil {
		return nil, err
	}
	if err := a.checkModelParams(ctx, spec, "body."); err != nil {
		return nil, err
	}
	v, err := ifVersion(ctx, in.IfMatch, a.flowConfigVersion(in.ID))
	if err != nil {
		return nil, a.failPrecondition(ctx, t, err)
	}
	c, err := a.deps.Store.UpdateFlowConfig(ctx, model.FlowConfig{Meta: model.Meta{ID: in.ID}, FlowSpec: spec}, v)
	if err != nil {
		return nil, a.fail(ctx, t, err)
	}
	a.publish(ctx, resFlowConfig, events.ActionUpdated, c.ID, c.Version)
	return &objectOutput[model.FlowConfig]{ETag: etag(c.Version), Body: flowConfigOut(c)}, nil
}

func (a *API) deleteFlowConfig(ctx context.Context, in *deleteRequest) (*struct{}, error) {
	t := target{kind: kindFlowConfig, op: "delete", id: in.ID}
	v, err := ifVersion(ctx, in.IfMatch, a.flowConfigVersion(in.ID))
	if err != nil {
		return nil, a.failPrecondition(ctx, t, err)
	}
	v, err = deleteAt(ctx, v, a.flowConfigVersion(in.ID), func(ctx context.Context, v int) error {
		return a.deps.Store.DeleteFlowConfig(ctx, in.ID, v)
	})
	if err != nil {
		return nil, a.fail(ctx, t, err)
	}
	a.publish(ctx, resFlowConfig, events.ActionDeleted, in.ID, v)
	return nil, nil
}

// flowConfigVersion reads the stored version for If-Match lists.
func (a *API) flowConfigVersion(id string) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		c, err := a.deps.Store.GetFlowConfig(ctx, id)
		return c.Version, err
	}
}

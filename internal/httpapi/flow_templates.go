package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// The flow-template operations: what each one is, then which method serves it.
var (
	tagsFlowTemplates = []string{"Flow templates"}

	opListFlowTemplates = huma.Operation{
		OperationID: "list-flow-templates", Method: http.MethodGet, Path: "/api/flow-templates",
		Summary: "List flow templates", Tags: tagsFlowTemplates, Errors: []int{http.StatusUnprocessableEntity},
		Description: "A page of flow templates, the default one marked. Pass next_cursor as ?cursor= for the next page.",
	}
	opGetFlowTemplate = huma.Operation{
		OperationID: "get-flow-template", Method: http.MethodGet, Path: "/api/flow-templates/{id}",
		Summary: "Get a flow template", Tags: tagsFlowTemplates, Errors: errsRead,
		Description: "One flow template with the config it creates.",
	}
	opCreateFlowTemplate = huma.Operation{
		OperationID: "create-flow-template", Method: http.MethodPost, Path: "/api/flow-templates",
		Summary: "Create a flow template", Tags: tagsFlowTemplates, DefaultStatus: http.StatusCreated, Errors: errsCreate,
		Description: "Creates a reusable recipe for a flow config; making it the default clears the flag on the others.",
	}
	opReplaceFlowTemplate = huma.Operation{
		OperationID: "replace-flow-template", Method: http.MethodPut, Path: "/api/flow-templates/{id}",
		Summary: "Replace a flow template", Tags: tagsFlowTemplates, Errors: errsWrite,
		Description: "Replaces name, description, default flag and config recipe; configs created earlier are not changed.",
	}
	opDeleteFlowTemplate = huma.Operation{
		OperationID: "delete-flow-template", Method: http.MethodDelete, Path: "/api/flow-templates/{id}",
		Summary: "Delete a flow template", Tags: tagsFlowTemplates, DefaultStatus: http.StatusNoContent, Errors: errsDelete,
		Description: "Deletes a template; configs and conversations created from it stay.",
	}
	opInstantiateFlowTemplate = huma.Operation{
		OperationID: "instantiate-flow-template", Method: http.MethodPost, Path: "/api/flow-templates/{id}/instantiate",
		Summary: "Start a flow instance from a template", Tags: tagsFlowTemplates,
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity},
		Description: "A stored flow config identical to the template's config is reused; otherwise one is created " +
			"(with a slug id) and removed again if the instance cannot be created. Location names the new flow instance.",
	}
)

func (a *API) registerFlowTemplates() {
	huma.Register(a.huma, a.op(opListFlowTemplates), a.listFlowTemplates)
	huma.Register(a.huma, a.op(opGetFlowTemplate), a.getFlowTemplate)
	huma.Register(a.huma, a.op(opCreateFlowTemplate), a.createFlowTemplate)
	huma.Register(a.huma, a.op(opReplaceFlowTemplate), a.replaceFlowTemplate)
	huma.Register(a.huma, a.op(opDeleteFlowTemplate), a.deleteFlowTemplate)
	huma.Register(a.huma, a.op(opInstantiateFlowTemplate), a.instantiateFlowTemplate)
}

// kindFlowTemplate names flow templates in errors and metrics.
const kindFlowTemplate = "flow template"

// templateConfigInput is a template's recipe: the writable flow-config
// fields. Unlike a flow config its name may be left empty, in which case
// instantiating uses the template's name.
type templateConfigInput struct {
	Name            string           `json:"name,omitempty" maxLength:"200" doc:"Name of the configs created from this template; defaults to the template's name."`
	Description     string           `json:"description,omitempty" maxLength:"4000"`
	ConstitutionID  string           `json:"constitution_id" pattern:"^[a-z0-9][a-z0-9_-]{0,63}$" maxLength:"64" doc:"Must exist."`
	SyspromptID     string           `json:"sysprompt_id" pattern:"^[a-z0-9][a-z0-9_-]{0,63}$" maxLength:"64" doc:"Must exist."`
	SuperegoEnabled *bool            `json:"superego_enabled,omitempty" default:"true" doc:"Default true."`
	SuperegoModel   string           `json:"superego_model,omitempty" maxLength:"200"`
	AssistantModel  string           `json:"assistant_model,omitempty" maxLength:"200"`
	OnSuperegoError string           `json:"on_superego_error,omitempty" enum:"block,allow" default:"block"`
	AssistantStart  string           `json:"assistant_start,omitempty" enum:"after_verdict,speculative" default:"after_verdict"`
	ScreenOutput    string           `json:"screen_output,omitempty" enum:"off,final,streaming" default:"off"`
	ScreenChunk     int              `json:"screen_chunk,omitempty" minimum:"1" maximum:"4000" default:"40"`
	SuperegoParams  modelParamsInput `json:"superego_params,omitzero" doc:"Generation parameters of the superego's calls."`
	AssistantParams modelParamsInput `json:"assistant_params,omitzero" doc:"Generation parameters of the assistant's call."`
}

// Resolve implements huma.ResolverWithPath: NUL characters are refused.
func (in *templateConfigInput) Resolve(_ huma.Context, prefix *huma.PathBuffer) []error {
	return rejectNUL(prefix, "name", in.Name, "description", in.Description, "superego_model", in.SuperegoModel, "assistant_model", in.AssistantModel)
}

// flowTemplateInput is what a client writes on POST and PUT.
type flowTemplateInput struct {
	Name        string              `json:"name" minLength:"1" maxLength:"200" doc:"Display name."`
	Description string              `json:"description,omitempty" maxLength:"4000"`
	Config      templateConfigInput `json:"config" doc:"The flow config this template creates."`
	IsDefault   bool                `json:"is_default,omitempty" doc:"Making a template default clears the flag on the others."`
}

// Resolve implements huma.ResolverWithPath: NUL characters are refused.
func (in *flowTemplateInput) Resolve(_ huma.Context, prefix *huma.PathBuffer) []error {
	return rejectNUL(prefix, "name", in.Name, "description", in.Description)
}

func (in flowTemplateInput) template() (model.FlowTemplate, error) {
	if blank(in.Name) {
		return model.FlowTemplate{}, blankName("body.name", in.Name)
	}
	c := in.Config
	enabled := true
	if c.SuperegoEnabled != nil {
		enabled = *c.SuperegoEnabled
	}
	onErr := c.OnSuperegoError
	if onErr == "" {
		onErr = model.OnErrorBlock
	}
	return model.FlowTemplate{
		Name: in.Name, Description: in.Description, IsDefault: in.IsDefault,
		Config: withScreeningDefaults(model.FlowSpec{
			Name: c.Name, Description: c.Description,
			ConstitutionID: c.ConstitutionID, SyspromptID: c.SyspromptID,
			SuperegoEnabled: enabled, SuperegoModel: c.SuperegoModel, AssistantModel: c.AssistantModel,
			OnSuperegoError: onErr,
			AssistantStart:  c.AssistantStart, ScreenOutput: c.ScreenOutput, ScreenChunk: c.ScreenChunk,
			SuperegoParams: c.SuperegoParams.params(), AssistantParams: c.AssistantParams.params(),
		}),
	}, nil
}

func flowTemplateOut(t model.FlowTemplate) model.FlowTemplate {
	t.CreatedAt, t.UpdatedAt = utc(t.CreatedAt), utc(t.UpdatedAt)
	t.Config = withScreeningDefaults(t.Config)
	return t
}

// instantiateInput is the optional body of POST .../instantiate.
type instantiateInput struct {
	Name string `json:"name,omitempty" maxLength:"200" doc:"Name of the new flow instance; defaults to the template's name."`
}

// Resolve implements huma.ResolverWithPath: NUL characters are refused.
func (in *instantiateInput) Resolve(_ huma.Context, prefix *huma.PathBuffer) []error {
	return rejectNUL(prefix, "name", in.Name)
}

// Instantiated is the result of instantiating a template.
type Instantiated struct {
	FlowConfig   model.FlowConfig   `json:"flow_config"`
	FlowInstance model.FlowInstance `json:"flow_instance"`
}

// instantiatedOutput has no ETag: it carries two objects.
type instantiatedOutput struct {
	Location string `header:"Location"`
	Body     Instantiated
}

// Requests of the flow-template operations whose parameters are their own.
type (
	flowTemplateCreateRequest struct {
		Body flowTemplateInput
	}
	flowTemplateReplaceRequest struct {
		IDParam
		IfMatchParam
		Body flowTemplateInput
	}
	instantiateRequest struct {
		IDParam
		Body *instantiateInput
	}
)

func (a *API) listFlowTemplates(ctx context.Context, in *pageRequest) (*listOutput[model.FlowTemplate], error) {
	items, next, err := a.deps.Store.ListFlowTemplates(ctx, in.page())
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindFlowTemplate, op: "list"}, err)
	}
	for i := range items {
		items[i] = flowTemplateOut(items[i])
	}
	return newList(items, next), nil
}

func (a *API) getFlowTemplate(ctx context.Context, in *idRequest) (*objectOutput[model.FlowTemplate], error) {
	t, err := a.deps.Store.GetFlowTemplate(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindFlowTemplate, op: "get", id: in.ID}, err)
	}
	return &objectOutput[model.FlowTemplate]{ETag: etag(t.Version), Body: flowTemplateOut(t)}, nil
}

func (a *API) createFlowTemplate(ctx context.Context, in *flowTemplateCreateRequest) (*createdOutput[model.FlowTemplate], error) {
	ft, err := in.Body.template()
	if err != nil {
		return nil, err
	}
	if err := a.checkModelParams(ctx, ft.Config, "body.config."); err != nil {
		return nil, err
	}
	demoted := a.defaultTemplates(ctx, ft.IsDefault, "")
	t, err := a.deps.Store.CreateFlowTemplate(ctx, ft)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindFlowTemplate, op: "create"}, err)
	}
	a.publish(ctx, resFlowTemplate, events.ActionCreated, t.ID, t.Version)
	a.publishDemoted(ctx, demoted)
	return &createdOutput[model.FlowTemplate]{ETag: etag(t.Version), Location: "/api/flow-templates/" + t.ID, Body: flowTemplateOut(t)}, nil
}

func (a *API) replaceFlowTemplate(ctx context.Context, in *flowTemplateReplaceRequest) (*objectOutput[model.FlowTemplate], error) {
	tg := target{kind: kindFlowTemplate, op: "update", id: in.ID}
	ft, err := in.Body.template()
	if err != nil {
		return nil, err
	}
	if err := a.checkModelParams(ctx, ft.Config, "body.config."); err != nil {
		return nil, err
	}
	v, err := ifVersion(ctx, in.IfMatch, a.flowTemplateVersion(in.ID))
	if err != nil {
		return nil, a.failPrecondition(ctx, tg, err)
	}
	ft.ID = in.ID
	demoted := a.defaultTemplates(ctx, ft.IsDefault, in.ID)
	t, err := a.deps.Store.UpdateFlowTemplate(ctx, ft, v)
	if err != nil {
		return nil, a.fail(ctx, tg, err)
	}
	a.publish(ctx, resFlowTemplate, events.ActionUpdated, t.ID, t.Version)
	a.publishDemoted(ctx, demoted)
	return &objectOutput[model.FlowTemplate]{ETag: etag(t.Version), Body: flowTemplateOut(t)}, nil
}

func (a *API) deleteFlowTemplate(ctx context.Context, in *deleteRequest) (*struct{}, error) {
	tg := target{kind: kindFlowTemplate, op: "delete", id: in.ID}
	v, err := ifVersion(ctx, in.IfMatch, a.flowTemplateVersion(in.ID))
	if err != nil {
		return nil, a.failPrecondition(ctx, tg, err)
	}
	v, err = deleteAt(ctx, v, a.flowTemplateVersion(in.ID), func(ctx context.Context, v int) error {
		return a.deps.Store.DeleteFlowTemplate(ctx, in.ID, v)
	})
	if err != nil {
		return nil, a.fail(ctx, tg, err)
	}
	a.publish(ctx, resFlowTemplate, events.ActionDeleted, in.ID, v)
	return nil, nil
}

func (a *API) instantiateFlowTemplate(ctx context.Context, in *instantiateRequest) (*instantiatedOutput, error) {
	tg := target{kind: kindFlowTemplate, op: "instantiate", id: in.ID}
	t, err := a.deps.Store.GetFlowTemplate(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, tg, err)
	}
	// A config identical to the one the template makes is reused: "+ New"
	// from a template must not add another copy each time.
	spec := templateSpec(t)
	cfg, reused, err := a.identicalFlowConfig(ctx, spec)
	if err == nil && !reused {
		cfg, err = a.createFlowConfigWithSlug(ctx, spec)
	}
	if err != nil {
		return nil, a.fail(ctx, tg, err)
	}
	inst := model.FlowInstance{FlowConfigID: cfg.ID, Name: t.Name}
	if in.Body != nil && in.Body.Name != "" {
		inst.Name = in.Body.Name
	}
	if inst, err = a.deps.Store.CreateFlowInstance(ctx, inst); err != nil {
		if !reused {
			// Undo the config made for it, so a failed call leaves nothing.
			_ = a.deps.Store.DeleteFlowConfig(ctx, cfg.ID, cfg.Version)
		}
		return nil, a.fail(ctx, tg, err)
	}
	if !reused {
		a.publish(ctx, resFlowConfig, events.ActionCreated, cfg.ID, cfg.Version)
	}
	a.instanceCreated(inst)
	a.publish(ctx, resFlowInstance, events.ActionCreated, inst.ID, inst.Version)
	return &instantiatedOutput{
		Location: "/api/flow-instances/" + inst.ID,
		Body:     Instantiated{FlowConfig: flowConfigOut(cfg), FlowInstance: flowInstanceOut(inst)},
	}, nil
}

// defaultTemplates lists the templates other than except that are default
// now, when a write is about to make another one default: the store clears
// their flag (a change of theirs), and clients should hear of it. It is
// best effort; a failure here only costs those notifications.
func (a *API) defaultTemplates(ctx context.Context, makesDefault bool, except string) []string {
	if !makesDefault || a.deps.Bus == nil {
		return nil
	}
	var ids []string
	p := store.Page{Limit: 200}
	for {
		items, next, err := a.deps.Store.ListFlowTemplates(ctx, p)
		if err != nil {
			return ids
		}
		for _, t := range items {
			if t.IsDefault && t.ID != except {
				ids = append(ids, t.ID)
			}
		}
		if next == "" {
			return ids
		}
		p.Cursor = next
	}
}

// publishDemoted announces the templates whose default flag was cleared.
func (a *API) publishDemoted(ctx context.Context, ids []string) {
	for _, id := range ids {
		if t, err := a.deps.Store.GetFlowTemplate(ctx, id); err == nil && !t.IsDefault {
			a.publish(ctx, resFlowTemplate, events.ActionUpdated, t.ID, t.Version)
		}
	}
}

// flowTemplateVersion reads the stored version for If-Match lists.
func (a *API) flowTemplateVersion(id string) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		t, err := a.deps.Store.GetFlowTemplate(ctx, id)
		return t.Version, err
	}
}

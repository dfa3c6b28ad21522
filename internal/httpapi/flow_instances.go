package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// The flow-instance operations: what each one is, then which method serves it.
var (
	tagsFlowInstances = []string{"Flow instances"}

	opListFlowInstances = huma.Operation{
		OperationID: "list-flow-instances", Method: http.MethodGet, Path: "/api/flow-instances",
		Summary: "List flow instances, newest first", Tags: tagsFlowInstances, Errors: []int{http.StatusUnprocessableEntity},
		Description: "With comparison_id, only the instances (columns) of that parallel comparison.",
	}
	opGetFlowInstance = huma.Operation{
		OperationID: "get-flow-instance", Method: http.MethodGet, Path: "/api/flow-instances/{id}",
		Summary: "Get a flow instance", Tags: tagsFlowInstances, Errors: errsRead,
		Description: "One conversation with its message count and the time of its last message; the ETag changes when messages are added.",
	}
	opCreateFlowInstance = huma.Operation{
		OperationID: "create-flow-instance", Method: http.MethodPost, Path: "/api/flow-instances",
		Summary: "Create a flow instance", Tags: tagsFlowInstances, DefaultStatus: http.StatusCreated, Errors: errsCreate,
		Description: "Starts a new, empty conversation on a flow config; send messages to it over the WebSocket. " +
			"With overrides it screens against another constitution (or uses another system prompt, or turns the " +
			"superego on or off) than its config's, as a rerun's fork does: an eval row opened in chat uses this.",
	}
	opReplaceFlowInstance = huma.Operation{
		OperationID: "replace-flow-instance", Method: http.MethodPut, Path: "/api/flow-instances/{id}",
		Summary: "Replace a flow instance", Tags: tagsFlowInstances, Errors: errsWrite,
		Description: "Replaces flow_config_id, name and description; the conversation is kept.",
	}
	opDeleteFlowInstance = huma.Operation{
		OperationID: "delete-flow-instance", Method: http.MethodDelete, Path: "/api/flow-instances/{id}",
		Summary: "Delete a flow instance", Tags: tagsFlowInstances, DefaultStatus: http.StatusNoContent, Errors: errsDelete,
		Description: "Deletes the instance with its messages and runs.",
	}
	opListFlowInstanceMessages = huma.Operation{
		OperationID: "list-flow-instance-messages", Method: http.MethodGet, Path: "/api/flow-instances/{id}/messages",
		Summary: "A flow instance's conversation, oldest first", Tags: tagsFlowInstances, Errors: errsRead,
		Description: "A page of a conversation's messages, oldest first: user messages, superego screenings with their decisions, and answers.",
	}
)

func (a *API) registerFlowInstances() {
	huma.Register(a.huma, a.op(opListFlowInstances), a.listFlowInstances)
	huma.Register(a.huma, a.op(opGetFlowInstance), a.getFlowInstance)
	huma.Register(a.huma, a.op(opCreateFlowInstance), a.createFlowInstance)
	huma.Register(a.huma, a.op(opReplaceFlowInstance), a.replaceFlowInstance)
	huma.Register(a.huma, a.op(opDeleteFlowInstance), a.deleteFlowInstance)
	huma.Register(a.huma, a.op(opListFlowInstanceMessages), a.listFlowInstanceMessages)
}

// kindFlowInstance names flow instances in errors and metrics.
const kindFlowInstance = "flow instance"

// flowInstanceInput is what a client writes on POST and PUT. The fork and
// comparison fields are read-only: the engine sets them.
type flowInstanceInput struct {
	FlowConfigID string `json:"flow_config_id" pattern:"^[a-z0-9][a-z0-9_-]{0,63}$" maxLength:"64" doc:"The flow config this conversation runs; must exist."`
	Name         string `json:"name" minLength:"1" maxLength:"200" doc:"Display name."`
	Description  string `json:"description,omitempty" maxLength:"4000"`
}

// Resolve implements huma.ResolverWithPath: NUL characters are refused.
func (in *flowInstanceInput) Resolve(_ huma.Context, prefix *huma.PathBuffer) []error {
	return rejectNUL(prefix, "name", in.Name, "description", in.Description)
}

// flowInstanceCreateInput is what a client writes on POST: flowInstanceInput
// plus the overrides a new conversation may start with.
type flowInstanceCreateInput struct {
	FlowConfigID string           `json:"flow_config_id" pattern:"^[a-z0-9][a-z0-9_-]{0,63}$" maxLength:"64" doc:"The flow config this conversation runs; must exist."`
	Name         string           `json:"name" minLength:"1" maxLength:"200" doc:"Display name."`
	Description  string           `json:"description,omitempty" maxLength:"4000"`
	Overrides    *model.Overrides `json:"overrides,omitempty" doc:"Another constitution or system prompt than the config's, or the superego on or off; each must exist."`
}

// Resolve implements huma.ResolverWithPath: NUL characters are refused.
func (in *flowInstanceCreateInput) Resolve(_ huma.Context, prefix *huma.PathBuffer) []error {
	return rejectNUL(prefix, "name", in.Name, "description", in.Description)
}

func (in flowInstanceInput) instance() (model.FlowInstance, error) {
	if blank(in.Name) {
		return model.FlowInstance{}, blankName("body.name", in.Name)
	}
	return model.FlowInstance{FlowConfigID: in.FlowConfigID, Name: in.Name, Description: in.Description}, nil
}

func flowInstanceOut(i model.FlowInstance) model.FlowInstance {
	i.CreatedAt, i.UpdatedAt, i.LastMessageAt = utc(i.CreatedAt), utc(i.UpdatedAt), utcPtr(i.LastMessageAt)
	return i
}

func messageOut(m model.Message) model.Message {
	m.CreatedAt, m.UpdatedAt = utc(m.CreatedAt), utc(m.UpdatedAt)
	return m
}

// priced adds the cost of a message's usage at its model's price.
func (a *API) priced(m model.Message) model.Message {
	if a.deps.Cost == nil || m.Model == "" || m.Usage == (model.Usage{}) {
		return m
	}
	if c, ok := a.deps.Cost(m.Model, m.Usage); ok {
		m.Cost = &c
	}
	return m
}

// Requests of the flow-instance operations whose parameters are their own.
type (
	flowInstanceListRequest struct {
		PageParams
		ComparisonID string `query:"comparison_id" pattern:"^[a-z0-9][a-z0-9_-]{0,63}$" maxLength:"64" doc:"Only the instances of this comparison."`
	}
	flowInstanceCreateRequest struct {
		Body flowInstanceCreateInput
	}
	flowInstanceReplaceRequest struct {
		IDParam
		IfMatchParam
		Body flowInstanceInput
	}
)

func (a *API) listFlowInstances(ctx context.Context, in *flowInstanceListRequest) (*listOutput[model.FlowInstance], error) {
	items, next, err := a.deps.Store.ListFlowInstances(ctx, store.InstanceFilter{ComparisonID: in.ComparisonID}, in.page())
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindFlowInstance, op: "list"}, err)
	}
	for i := range items {
		items[i] = flowInstanceOut(items[i])
	}
	return newList(items, next), nil
}

func (a *API) getFlowInstance(ctx context.Context, in *idRequest) (*objectOutput[model.FlowInstance], error) {
	i, err := a.deps.Store.GetFlowInstance(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindFlowInstance, op: "get", id: in.ID}, err)
	}
	return &objectOutput[model.FlowInstance]{ETag: instanceETag(i), Body: flowInstanceOut(i)}, nil
}

func (a *API) createFlowInstance(ctx context.Context, in *flowInstanceCreateRequest) (*createdOutput[model.FlowInstance], error) {
	b := in.Body
	fi, err := flowInstanceInput{FlowConfigID: b.FlowConfigID, Name: b.Name, Description: b.Description}.instance()
	if err != nil {
		return nil, err
	}
	if o := b.Overrides; o != nil && !o.IsZero() {
		if err := a.checkOverrides(ctx, o); err != nil {
			return nil, err
		}
		fi.Overrides = o
	}
	i, err := a.deps.Store.CreateFlowInstance(ctx, fi)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindFlowInstance, op: "create"}, err)
	}
	a.instanceCreated(i)
	a.publish(ctx, resFlowInstance, events.ActionCreated, i.ID, i.Version)
	return &createdOutput[model.FlowInstance]{ETag: instanceETag(i), Location: "/api/flow-instances/" + i.ID, Body: flowInstanceOut(i)}, nil
}

// instanceCreated passes a created instance to Deps.InstanceCreated.
func (a *API) instanceCreated(i model.FlowInstance) {
	if a.deps.InstanceCreated != nil {
		a.deps.InstanceCreated(i)
	}
}

func (a *API) replaceFlowInstance(ctx context.Context, in *flowInstanceReplaceRequest) (*objectOutput[model.FlowInstance], error) {
	t := target{kind: kindFlowInstance, op: "update", id: in.ID}
	fi, err := in.Body.instance()
	if err != nil {
		return nil, err
	}
	v, err := ifVersion(ctx, in.IfMatch, a.flowInstanceVersion(in.ID))
	if err != nil {
		return nil, a.failPrecondition(ctx, t, err)
	}
	fi.ID = in.ID
	i, err := a.deps.Store.UpdateFlowInstance(ctx, fi, v)
	if err != nil {
		return nil, a.fail(ctx, t, err)
	}
	a.publish(ctx, resFlowInstance, events.ActionUpdated, i.ID, i.Version)
	return &objectOutput[model.FlowInstance]{ETag: instanceETag(i), Body: flowInstanceOut(i)}, nil
}

func (a *API) deleteFlowInstance(ctx context.Context, in *deleteRequest) (*struct{}, error) {
	t := target{kind: kindFlowInstance, op: "delete", id: in.ID}
	v, err := ifVersion(ctx, in.IfMatch, a.flowInstanceVersion(in.ID))
	if err != nil {
		return nil, a.failPrecondition(ctx, t, err)
	}
	v, err = deleteAt(ctx, v, a.flowInstanceVersion(in.ID), func(ctx context.Context, v int) error {
		return a.deps.Store.DeleteFlowInstance(ctx, in.ID, v)
	})
	if err != nil {
		return nil, a.fail(ctx, t, err)
	}
	a.publish(ctx, resFlowInstance, events.ActionDeleted, in.ID, v)
	return nil, nil
}

func (a *API) listFlowInstanceMessages(ctx context.Context, in *idPageRequest) (*listOutput[model.Message], error) {
	items, next, err := a.deps.Store.ListMessages(ctx, in.ID, in.page())
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindFlowInstance, op: "list messages", id: in.ID}, err)
	}
	for i := range items {
		items[i] = a.priced(messageOut(items[i]))
	}
	return newList(items, next), nil
}

// flowInstanceVersion reads the stored version for If-Match lists.
func (a *API) flowInstanceVersion(id string) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		i, err := a.deps.Store.GetFlowInstance(ctx, id)
		return i.Version, err
	}
}

// checkOverrides answers 422 naming the override whose constitution or
// system prompt does not exist.
func (a *API) checkOverrides(ctx context.Context, o *model.Overrides) error {
	missing := func(field, id string) error {
		return huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{
			Location: "body.overrides." + field, Message: "does not exist", Value: id})
	}
	if id := o.ConstitutionID; id != nil {
		if _, err := a.deps.Store.GetConstitution(ctx, *id); errors.Is(err, store.ErrNotFound) {
			return missing("constitution_id", *id)
		} else if err != nil {
			return a.fail(ctx, target{kind: kindFlowInstance, op: "create"}, err)
		}
	}
	if id := o.SyspromptID; id != nil && *id != "" {
		if _, err := a.deps.Store.GetSysprompt(ctx, *id); errors.Is(err, store.ErrNotFound) {
			return missing("sysprompt_id", *id)
		} else if err != nil {
			return a.fail(ctx, target{kind: kindFlowInstance, op: "create"}, err)
		}
	}
	return nil
}

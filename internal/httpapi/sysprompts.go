package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
)

// The system-prompt operations: what each one is, then which method serves it.
var (
	tagsSysprompts = []string{"System prompts"}

	opListSysprompts = huma.Operation{
		OperationID: "list-sysprompts", Method: http.MethodGet, Path: "/api/sysprompts",
		Summary: "List system prompts", Tags: tagsSysprompts, Errors: []int{http.StatusUnprocessableEntity},
		Description: "A page of system prompts. Pass next_cursor as ?cursor= for the next page.",
	}
	opGetSysprompt = huma.Operation{
		OperationID: "get-sysprompt", Method: http.MethodGet, Path: "/api/sysprompts/{id}",
		Summary: "Get a system prompt", Tags: tagsSysprompts, Errors: errsRead,
		Description: "One system prompt; the ETag is its version, for If-Match on a later PUT or DELETE.",
	}
	opCreateSysprompt = huma.Operation{
		OperationID: "create-sysprompt", Method: http.MethodPost, Path: "/api/sysprompts",
		Summary: "Create a system prompt", Tags: tagsSysprompts, DefaultStatus: http.StatusCreated, Errors: errsCreate,
		Description: "The id may be chosen by the client (a slug); without one it is derived from the name.",
	}
	opReplaceSysprompt = huma.Operation{
		OperationID: "replace-sysprompt", Method: http.MethodPut, Path: "/api/sysprompts/{id}",
		Summary: "Replace a system prompt", Tags: tagsSysprompts, Errors: errsWrite,
		Description: "Replaces name and content; flow configs using it see the new text on their next run.",
	}
	opDeleteSysprompt = huma.Operation{
		OperationID: "delete-sysprompt", Method: http.MethodDelete, Path: "/api/sysprompts/{id}",
		Summary: "Delete a system prompt", Tags: tagsSysprompts, DefaultStatus: http.StatusNoContent, Errors: errsDelete,
		Description: "The protected assistant_default and prompts still used by a flow config, template or instance cannot be deleted (409).",
	}
)

func (a *API) registerSysprompts() {
	huma.Register(a.huma, a.op(opListSysprompts), a.listSysprompts)
	huma.Register(a.huma, a.op(opGetSysprompt), a.getSysprompt)
	huma.Register(a.huma, a.op(opCreateSysprompt), a.createSysprompt)
	huma.Register(a.huma, a.op(opReplaceSysprompt), a.replaceSysprompt)
	huma.Register(a.huma, a.op(opDeleteSysprompt), a.deleteSysprompt)
}

// kindSysprompt names system prompts in errors and metrics.
const kindSysprompt = "sysprompt"

// syspromptInput is what a client writes on PUT (full replacement).
type syspromptInput struct {
	Name    string `json:"name" minLength:"1" maxLength:"200" doc:"Display name."`
	Content string `json:"content" doc:"The system prompt given to the assistant."`
}

// Resolve implements huma.ResolverWithPath: NUL characters are refused.
func (in *syspromptInput) Resolve(_ huma.Context, prefix *huma.PathBuffer) []error {
	return rejectNUL(prefix, "name", in.Name, "content", in.Content)
}

// syspromptCreateInput adds the optional client-chosen id of POST.
type syspromptCreateInput struct {
	ID      string `json:"id,omitempty" pattern:"^[a-z0-9][a-z0-9_-]{0,63}$" maxLength:"64" doc:"Slug id; derived from name when absent."`
	Name    string `json:"name" minLength:"1" maxLength:"200" doc:"Display name."`
	Content string `json:"content" doc:"The system prompt given to the assistant."`
}

// Resolve implements huma.ResolverWithPath: NUL characters are refused.
func (in *syspromptCreateInput) Resolve(_ huma.Context, prefix *huma.PathBuffer) []error {
	return rejectNUL(prefix, "id", in.ID, "name", in.Name, "content", in.Content)
}

func syspromptOut(s model.Sysprompt) model.Sysprompt {
	s.CreatedAt, s.UpdatedAt = utc(s.CreatedAt), utc(s.UpdatedAt)
	return s
}

// Requests of the system-prompt writes.
type (
	syspromptCreateRequest struct {
		Body syspromptCreateInput
	}
	syspromptReplaceRequest struct {
		IDParam
		IfMatchParam
		Body syspromptInput
	}
)

func (a *API) listSysprompts(ctx context.Context, in *pageRequest) (*listOutput[model.Sysprompt], error) {
	items, next, err := a.deps.Store.ListSysprompts(ctx, in.page())
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindSysprompt, op: "list"}, err)
	}
	for i := range items {
		items[i] = syspromptOut(items[i])
	}
	return newList(items, next), nil
}

func (a *API) getSysprompt(ctx context.Context, in *idRequest) (*objectOutput[model.Sysprompt], error) {
	s, err := a.deps.Store.GetSysprompt(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindSysprompt, op: "get", id: in.ID}, err)
	}
	return &objectOutput[model.Sysprompt]{ETag: etag(s.Version), Body: syspromptOut(s)}, nil
}

func (a *API) createSysprompt(ctx context.Context, in *syspromptCreateRequest) (*createdOutput[model.Sysprompt], error) {
	b := in.Body
	id, err := newSlugID(b.ID, b.Name)
	if err != nil {
		return nil, err
	}
	s, err := a.deps.Store.CreateSysprompt(ctx, model.Sysprompt{Meta: model.Meta{ID: id}, Name: b.Name, Content: b.Content})
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindSysprompt, op: "create", id: id}, err)
	}
	a.publish(ctx, resSysprompt, events.ActionCreated, s.ID, s.Version)
	return &createdOutput[model.Sysprompt]{ETag: etag(s.Version), Location: "/api/sysprompts/" + s.ID, Body: syspromptOut(s)}, nil
}

func (a *API) replaceSysprompt(ctx context.Context, in *syspromptReplaceRequest) (*objectOutput[model.Sysprompt], error) {
	t := target{kind: kindSysprompt, op: "update", id: in.ID}
	if blank(in.Body.Name) {
		return nil, blankName("body.name", in.Body.Name)
	}
	v, err := ifVersion(ctx, in.IfMatch, a.syspromptVersion(in.ID))
	if err != nil {
		return nil, a.failPrecondition(ctx, t, err)
	}
	s, err := a.deps.Store.UpdateSysprompt(ctx, model.Sysprompt{Meta: model.Meta{ID: in.ID}, Name: in.Body.Name, Content: in.Body.Content}, v)
	if err != nil {
		return nil, a.fail(ctx, t, err)
	}
	a.publish(ctx, resSysprompt, events.ActionUpdated, s.ID, s.Version)
	return &objectOutput[model.Sysprompt]{ETag: etag(s.Version), Body: syspromptOut(s)}, nil
}

func (a *API) deleteSysprompt(ctx context.Context, in *deleteRequest) (*struct{}, error) {
	t := target{kind: kindSysprompt, op: "delete", id: in.ID}
	v, err := ifVersion(ctx, in.IfMatch, a.syspromptVersion(in.ID))
	if err != nil {
		return nil, a.failPrecondition(ctx, t, err)
	}
	v, err = deleteAt(ctx, v, a.syspromptVersion(in.ID), func(ctx context.Context, v int) error {
		return a.deps.Store.DeleteSysprompt(ctx, in.ID, v)
	})
	if err != nil {
		return nil, a.fail(ctx, t, err)
	}
	a.publish(ctx, resSysprompt, events.ActionDeleted, in.ID, v)
	return nil, nil
}

// syspromptVersion reads the stored version for If-Match lists.
func (a *API) syspromptVersion(id string) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		s, err := a.deps.Store.GetSysprompt(ctx, id)
		return s.Version, err
	}
}

package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
)

// The constitution operations: what each one is, then which method serves it.
var (
	tagsConstitutions = []string{"Constitutions"}

	opListConstitutions = huma.Operation{
		OperationID: "list-constitutions", Method: http.MethodGet, Path: "/api/constitutions",
		Summary: "List constitutions", Tags: tagsConstitutions, Errors: []int{http.StatusUnprocessableEntity},
		Description: "A page of constitutions, protected ones (default, none) included. Pass next_cursor as ?cursor= for the next page.",
	}
	opGetConstitution = huma.Operation{
		OperationID: "get-constitution", Method: http.MethodGet, Path: "/api/constitutions/{id}",
		Summary: "Get a constitution", Tags: tagsConstitutions, Errors: errsRead,
		Description: "One constitution with its current text; the ETag is its version, for If-Match on a later PUT or DELETE.",
	}
	opCreateConstitution = huma.Operation{
		OperationID: "create-constitution", Method: http.MethodPost, Path: "/api/constitutions",
		Summary: "Create a constitution", Tags: tagsConstitutions, DefaultStatus: http.StatusCreated, Errors: errsCreate,
		Description: "The id may be chosen by the client (a slug); without one it is derived from the name.",
	}
	opReplaceConstitution = huma.Operation{
		OperationID: "replace-constitution", Method: http.MethodPut, Path: "/api/constitutions/{id}",
		Summary: "Replace a constitution", Tags: tagsConstitutions, Errors: errsWrite,
		Description: "Replaces name, description and content; the previous text stays in the version history.",
	}
	opDeleteConstitution = huma.Operation{
		OperationID: "delete-constitution", Method: http.MethodDelete, Path: "/api/constitutions/{id}",
		Summary: "Delete a constitution", Tags: tagsConstitutions, DefaultStatus: http.StatusNoContent, Errors: errsDelete,
		Description: "Protected constitutions (default, none) and ones still used by a flow config, template or instance cannot be deleted (409).",
	}
	opListConstitutionVersions = huma.Operation{
		OperationID: "list-constitution-versions", Method: http.MethodGet, Path: "/api/constitutions/{id}/versions",
		Summary: "List a constitution's versions", Tags: tagsConstitutions, Errors: errsRead,
		Description: "Every kept revision of the text, oldest first.",
	}
	opGetConstitutionVersion = huma.Operation{
		OperationID: "get-constitution-version", Method: http.MethodGet, Path: "/api/constitutions/{id}/versions/{n}",
		Summary: "Get one version of a constitution", Tags: tagsConstitutions, Errors: errsRead,
		Description: "One kept revision of a constitution's text, as it was when that version was saved.",
	}
)

func (a *API) registerConstitutions() {
	huma.Register(a.huma, a.op(opListConstitutions), a.listConstitutions)
	huma.Register(a.huma, a.op(opGetConstitution), a.getConstitution)
	huma.Register(a.huma, a.op(opCreateConstitution), a.createConstitution)
	huma.Register(a.huma, a.op(opReplaceConstitution), a.replaceConstitution)
	huma.Register(a.huma, a.op(opDeleteConstitution), a.deleteConstitution)
	huma.Register(a.huma, a.op(opListConstitutionVersions), a.listConstitutionVersions)
	huma.Register(a.huma, a.op(opGetConstitutionVersion), a.getConstitutionVersion)
}

// kindConstitution names constitutions in errors and metrics.
const kindConstitution = "constitution"

// constitutionInput is what a client writes on PUT (full replacement).
type constitutionInput struct {
	Name        string `json:"name" minLength:"1" maxLength:"200" doc:"Display name."`
	Description string `json:"description,omitempty" maxLength:"4000" doc:"What this constitution is for."`
	Content     string `json:"content" doc:"The Markdown text the superego screens against; may be empty."`
}

// Resolve implements huma.ResolverWithPath: NUL characters are refused.
func (in *constitutionInput) Resolve(_ huma.Context, prefix *huma.PathBuffer) []error {
	return rejectNUL(prefix, "name", in.Name, "description", in.Description, "content", in.Content)
}

// constitutionCreateInput is constitutionInput plus the optional
// client-chosen id of POST.
type constitutionCreateInput struct {
	ID          string `json:"id,omitempty" pattern:"^[a-z0-9][a-z0-9_-]{0,63}$" maxLength:"64" doc:"Slug id; derived from name when absent."`
	Name        string `json:"name" minLength:"1" maxLength:"200" doc:"Display name."`
	Description string `json:"description,omitempty" maxLength:"4000" doc:"What this constitution is for."`
	Content     string `json:"content" doc:"The Markdown text the superego screens against; may be empty."`
}

// Resolve implements huma.ResolverWithPath: NUL characters are refused.
func (in *constitutionCreateInput) Resolve(_ huma.Context, prefix *huma.PathBuffer) []error {
	return rejectNUL(prefix, "id", in.ID, "name", in.Name, "description", in.Description, "content", in.Content)
}

func constitutionOut(c model.Constitution) model.Constitution {
	c.CreatedAt, c.UpdatedAt = utc(c.CreatedAt), utc(c.UpdatedAt)
	return c
}

func versionOut(v model.ConstitutionVersion) model.ConstitutionVersion {
	v.CreatedAt = utc(v.CreatedAt)
	return v
}

// Requests of the constitution operations whose parameters are their own.
type (
	constitutionCreateRequest struct {
		Body constitutionCreateInput
	}
	constitutionReplaceRequest struct {
		IDParam
		IfMatchParam
		Body constitutionInput
	}
	constitutionVersionRequest struct {
		IDParam
		N int `path:"n" minimum:"1" doc:"Version number."`
	}
)

func (a *API) listConstitutions(ctx context.Context, in *pageRequest) (*listOutput[model.Constitution], error) {
	items, next, err := a.deps.Store.ListConstitutions(ctx, in.page())
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindConstitution, op: "list"}, err)
	}
	for i := range items {
		items[i] = constitutionOut(items[i])
	}
	return newList(items, next), nil
}

func (a *API) getConstitution(ctx context.Context, in *idRequest) (*objectOutput[model.Constitution], error) {
	c, err := a.deps.Store.GetConstitution(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindConstitution, op: "get", id: in.ID}, err)
	}
	return &objectOutput[model.Constitution]{ETag: etag(c.Version), Body: constitutionOut(c)}, nil
}

func (a *API) createConstitution(ctx context.Context, in *constitutionCreateRequest) (*createdOutput[model.Constitution], error) {
	b := in.Body
	id, err := newSlugID(b.ID, b.Name)
	if err != nil {
		return nil, err
	}
	c, err := a.deps.Store.CreateConstitution(ctx, model.Constitution{
		Meta: model.Meta{ID: id}, Name: b.Name, Description: b.Description, Content: b.Content,
	})
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindConstitution, op: "create", id: id}, err)
	}
	a.publish(ctx, resConstitution, events.ActionCreated, c.ID, c.Version)
	return &createdOutput[model.Constitution]{ETag: etag(c.Version), Location: "/api/constitutions/" + c.ID, Body: constitutionOut(c)}, nil
}

func (a *API) replaceConstitution(ctx context.Context, in *constitutionReplaceRequest) (*objectOutput[model.Constitution], error) {
	t := target{kind: kindConstitution, op: "update", id: in.ID}
	if in.ID == seed.ConstitutionNone {
		// The "no rules" control of every comparison: given rules, it
		// would silently stop being one.
		return nil, huma.Error409Conflict(`constitution "none" is the no-rules control and cannot be changed; create a new constitution instead`)
	}
	if blank(in.Body.Name) {
		return nil, blankName("body.name", in.Body.Name)
	}
	v, err := ifVersion(ctx, in.IfMatch, a.constitutionVersion(in.ID))
	if err != nil {
		return nil, a.failPrecondition(ctx, t, err)
	}
	c, err := a.deps.Store.UpdateConstitution(ctx, model.Constitution{
		Meta: model.Meta{ID: in.ID}, Name: in.Body.Name, Description: in.Body.Description, Content: in.Body.Content,
	}, v)
	if err != nil {
		return nil, a.fail(ctx, t, err)
	}
	a.publish(ctx, resConstitution, events.ActionUpdated, c.ID, c.Version)
	return &objectOutput[model.Constitution]{ETag: etag(c.Version), Body: constitutionOut(c)}, nil
}

func (a *API) deleteConstitution(ctx context.Context, in *deleteRequest) (*struct{}, error) {
	t := target{kind: kindConstitution, op: "delete", id: in.ID}
	v, err := ifVersion(ctx, in.IfMatch, a.constitutionVersion(in.ID))
	if err != nil {
		return nil, a.failPrecondition(ctx, t, err)
	}
	v, err = deleteAt(ctx, v, a.constitutionVersion(in.ID), func(ctx context.Context, v int) error {
		return a.deps.Store.DeleteConstitution(ctx, in.ID, v)
	})
	if err != nil {
		return nil, a.fail(ctx, t, err)
	}
	a.publish(ctx, resConstitution, events.ActionDeleted, in.ID, v)
	return nil, nil
}

func (a *API) listConstitutionVersions(ctx context.Context, in *idPageRequest) (*listOutput[model.ConstitutionVersion], error) {
	items, next, err := a.deps.Store.ListConstitutionVersions(ctx, in.ID, in.page())
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindConstitution, op: "list versions", id: in.ID}, err)
	}
	for i := range items {
		items[i] = versionOut(items[i])
	}
	return newList(items, next), nil
}

func (a *API) getConstitutionVersion(ctx context.Context, in *constitutionVersionRequest) (*objectOutput[model.ConstitutionVersion], error) {
	cv, err := a.deps.Store.GetConstitutionVersion(ctx, in.ID, in.N)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindConstitution, op: "get version", id: in.ID,
			what: fmt.Sprintf("version %d of constitution %q", in.N, in.ID)}, err)
	}
	return &objectOutput[model.ConstitutionVersion]{ETag: etag(cv.Version), Body: versionOut(cv)}, nil
}

// constitutionVersion reads the stored version for If-Match lists.
func (a *API) constitutionVersion(id string) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		c, err := a.deps.Store.GetConstitution(ctx, id)
		return c.Version, err
	}
}

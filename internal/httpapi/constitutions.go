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

func (a *API) registerConstitutions() {
	const kind = "constitution"
	tags := []string{"Constitutions"}

	huma.Register(a.huma, a.op(huma.Operation{
		OperationID: "list-constitutions", Method: http.MethodGet, Path: "/api/constitutions",
		Summary: "List constitutions", Tags: tags, Errors: []int{http.StatusUnprocessableEntity},
	}), func(ctx context.Context, in *struct{ PageParams }) (*listOutput[model.Constitution], error) {
		items, next, err := a.deps.Store.ListConstitutions(ctx, in.page())
		if err != nil {
			return nil, a.fail(ctx, target{kind: kind, op: "list"}, err)
		}
		for i := range items {
			items[i] = constitutionOut(items[i])
		}
		return newList(items, next), nil
	})

	huma.Register(a.huma, a.op(huma.Operation{
		OperationID: "get-constitution", Method: http.MethodGet, Path: "/api/constitutions/{id}",
		Summary: "Get a constitution", Tags: tags, Errors: errsRead,
	}), func(ctx context.Context, in *struct{ IDParam }) (*objectOutput[model.Constitution], error) {
		c, err := a.deps.Store.GetConstitution(ctx, in.ID)
		if err != nil {
			return nil, a.fail(ctx, target{kind: kind, op: "get", id: in.ID}, err)
		}
		return &objectOutput[model.Constitution]{ETag: etag(c.Version), Body: constitutionOut(c)}, nil
	})

	huma.Register(a.huma, a.op(huma.Operation{
		OperationID: "create-constitution", Method: http.MethodPost, Path: "/api/constitutions",
		Summary: "Create a constitution", Tags: tags, DefaultStatus: http.StatusCreated, Errors: errsCreate,
		Description: "The id may be chosen by the client (a slug); without one it is derived from the name.",
	}), func(ctx context.Context, in *struct {
		Body constitutionCreateInput
	}) (*createdOutput[model.Constitution], error) {
		b := in.Body
		id, err := newSlugID(b.ID, b.Name)
		if err != nil {
			return nil, err
		}
		c, err := a.deps.Store.CreateConstitution(ctx, model.Constitution{
			Meta: model.Meta{ID: id}, Name: b.Name, Description: b.Description, Content: b.Content,
		})
		if err != nil {
			return nil, a.fail(ctx, target{kind: kind, op: "create", id: id}, err)
		}
		a.publish(ctx, resConstitution, events.ActionCreated, c.ID, c.Version)
		return &createdOutput[model.Constitution]{ETag: etag(c.Version), Location: "/api/constitutions/" + c.ID, Body: constitutionOut(c)}, nil
	})

	huma.Register(a.huma, a.op(huma.Operation{
		OperationID: "replace-constitution", Method: http.MethodPut, Path: "/api/constitutions/{id}",
		Summary: "Replace a constitution", Tags: tags, Errors: errsWrite,
		Description: "Replaces name, description and content; the previous text stays in the version history.",
	}), func(ctx context.Context, in *struct {
		IDParam
		IfMatchParam
		Body constitutionInput
	}) (*objectOutput[model.Constitution], error) {
		t := target{kind: kind, op: "update", id: in.ID}
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
	})

	huma.Register(a.huma, a.op(huma.Operation{
		OperationID: "delete-constitution", Method: http.MethodDelete, Path: "/api/constitutions/{id}",
		Summary: "Delete a constitution", Tags: tags, DefaultStatus: http.StatusNoContent, Errors: errsDelete,
		Description: "Protected constitutions (default, none) and ones still used by a flow config, template or instance cannot be deleted (409).",
	}), func(ctx context.Context, in *struct {
		IDParam
		IfMatchParam
	}) (*struct{}, error) {
		t := target{kind: kind, op: "delete", id: in.ID}
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
	})

	huma.Register(a.huma, a.op(huma.Operation{
		OperationID: "list-constitution-versions", Method: http.MethodGet, Path: "/api/constitutions/{id}/versions",
		Summary: "List a constitution's versions", Tags: tags, Errors: errsRead,
		Description: "Every kept revision of the text, oldest first.",
	}), func(ctx context.Context, in *struct {
		IDParam
		PageParams
	}) (*listOutput[model.ConstitutionVersion], error) {
		items, next, err := a.deps.Store.ListConstitutionVersions(ctx, in.ID, in.page())
		if err != nil {
			return nil, a.fail(ctx, target{kind: kind, op: "list versions", id: in.ID}, err)
		}
		for i := range items {
			items[i] = versionOut(items[i])
		}
		return newList(items, next), nil
	})

	huma.Register(a.huma, a.op(huma.Operation{
		OperationID: "get-constitution-version", Method: http.MethodGet, Path: "/api/constitutions/{id}/versions/{n}",
		Summary: "Get one version of a constitution", Tags: tags, Errors: errsRead,
	}), func(ctx context.Context, in *struct {
		IDParam
		N int `path:"n" minimum:"1" doc:"Version number."`
	}) (*objectOutput[model.ConstitutionVersion], error) {
		cv, err := a.deps.Store.GetConstitutionVersion(ctx, in.ID, in.N)
		if err != nil {
			return nil, a.fail(ctx, target{kind: kind, op: "get version", id: in.ID,
				what: fmt.Sprintf("version %d of constitution %q", in.N, in.ID)}, err)
		}
		return &objectOutput[model.ConstitutionVersion]{ETag: etag(cv.Version), Body: versionOut(cv)}, nil
	})
}

// constitutionVersion reads the stored version for If-Match lists.
func (a *API) constitutionVersion(id string) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		c, err := a.deps.Store.GetConstitution(ctx, id)
		return c.Version, err
	}
}

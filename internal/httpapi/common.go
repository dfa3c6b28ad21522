package httpapi

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// Resource names in resource_changed events.
const (
	resConstitution = "constitution"
	resSysprompt    = "sysprompt"
	resFlowConfig   = "flow_config"
	resFlowTemplate = "flow_template"
	resFlowInstance = "flow_instance"
)

// IDParam is the {id} path parameter, embedded in operation inputs.
// Validating it as a slug means an id like "a%2Fb" is rejected (422)
// before any handler code runs. (Embedded parameter types must be exported
// for Huma to see their fields.)
type IDParam struct {
	ID string `path:"id" pattern:"^[a-z0-9][a-z0-9_-]{0,63}$" maxLength:"64" doc:"Object id (a slug)."`
}

// PageParams is the cursor pagination of every list, embedded in inputs.
type PageParams struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size."`
	Cursor string `query:"cursor" maxLength:"1024" doc:"The next_cursor of the previous page; empty for the first page."`
}

func (q PageParams) page() store.Page { return store.Page{Limit: q.Limit, Cursor: q.Cursor} }

// IfMatchParam is the optional If-Match precondition of PUT and DELETE.
type IfMatchParam struct {
	IfMatch string `header:"If-Match" doc:"The ETag (quoted version) last seen, or *; the write fails with 412 when the object has changed since."`
}

// List is one page of a list. NextCursor is empty on the last page.
type List[T any] struct {
	Items      []T    `json:"items" nullable:"false"`
	NextCursor string `json:"next_cursor" doc:"Pass as ?cursor= to get the next page; empty on the last page."`
}

type listOutput[T any] struct {
	Body List[T]
}

func newList[T any](items []T, next string) *listOutput[T] {
	if items == nil {
		items = []T{} // "items": [] rather than null
	}
	return &listOutput[T]{Body: List[T]{Items: items, NextCursor: next}}
}

// objectOutput is a single object with its ETag.
type objectOutput[T any] struct {
	ETag string `header:"ETag"`
	Body T
}

// createdOutput is a created object with its Location.
type createdOutput[T any] struct {
	ETag     string `header:"ETag"`
	Location string `header:"Location"`
	Body     T
}

func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// instanceETag is a flow instance's ETag. Its message_count and
// last_message_at change as the conversation grows while its version does
// not, so the tag carries a digest of both after the version: a cached
// copy is never taken for the current one, and If-Match still checks the
// version alone (adding messages does not conflict with a rename).
func instanceETag(i model.FlowInstance) string {
	h := fnv.New32a()
	_, _ = fmt.Fprintf(h, "%d|", i.MessageCount)
	if i.LastMessageAt != nil {
		_, _ = fmt.Fprintf(h, "%d", i.LastMessageAt.UnixNano())
	}
	return fmt.Sprintf(`"%d-%08x"`, i.Version, h.Sum32())
}

// ifVersion turns an If-Match header into the version the store checks.
// An absent header or * means any version. Weak or unparsable tags can
// never match (If-Match uses strong comparison), so they fail with 412.
// With several tags, current supplies the stored version to pick the one
// that matches.
func ifVersion(ctx context.Context, header string, current func(context.Context) (int, error)) (int, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return store.Any, nil
	}
	var versions []int
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" {
			return store.Any, nil
		}
		if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
			continue
		}
		// "3" or, for representations with derived fields, "3-<digest>"
		// (see instanceETag): the version is what a write is checked on.
		num, _, _ := strings.Cut(tag[1:len(tag)-1], "-")
		v, err := strconv.Atoi(num)
		if err != nil || v < 1 {
			continue
		}
		versions = append(versions, v)
	}
	switch len(versions) {
	case 0:
		return 0, huma.Error412PreconditionFailed("If-Match names no version of this object; send the ETag from a GET, or *")
	case 1:
		return versions[0], nil
	}
	cur, err := current(ctx)
	if err != nil {
		return 0, err
	}
	for _, v := range versions {
		if v == cur {
			return cur, nil
		}
	}
	return 0, huma.Error412PreconditionFailed("none of the If-Match versions is the current one; fetch the object again and retry")
}

// deleteAt runs del at the If-Match version v. Without one it reads the
// current version first and deletes exactly that, so the deleted event can
// name the version that was deleted; a concurrent update in between makes
// it read again, and after a few tries it deletes whatever is there (as
// a request without If-Match asked). It returns the deleted version.
func deleteAt(ctx context.Context, v int, current func(context.Context) (int, error), del func(context.Context, int) error) (int, error) {
	if v != store.Any {
		return v, del(ctx, v)
	}
	for range 3 {
		cur, err := current(ctx)
		if err != nil {
			return 0, err
		}
		err = del(ctx, cur)
		if !errors.Is(err, store.ErrVersionMismatch) {
			return cur, err
		}
	}
	return 0, del(ctx, store.Any)
}

// publish announces a successful write. The bus never blocks.
func (a *API) publish(ctx context.Context, resource, action, id string, version int) {
	if a.deps.Bus == nil {
		return
	}
	a.deps.Bus.Publish(context.WithoutCancel(ctx), events.ResourceChanged(resource, action, id, version))
}

// utc normalises a stored time for the wire: RFC 3339 in UTC.
func utc(t time.Time) time.Time { return t.UTC() }

// utcPtr is utc for optional times.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Responses every operation of a kind can give, for the OpenAPI document.
var (
	errsRead   = []int{http.StatusNotFound, http.StatusUnprocessableEntity}
	errsCreate = []int{http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity}
	errsWrite  = []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusPreconditionFailed, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity}
	errsDelete = []int{http.StatusNotFound, http.StatusConflict, http.StatusPreconditionFailed, http.StatusUnprocessableEntity}
)

// rejectNUL reports string fields that contain a NUL character, as
// location/value pairs under prefix. The schema cannot say it, PostgreSQL
// cannot store it in text, and no name or Markdown needs it: rejecting it
// keeps both stores answering alike. pairs alternates field name and value.
func rejectNUL(prefix *huma.PathBuffer, pairs ...string) []error {
	var errs []error
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.ContainsRune(pairs[i+1], 0) {
			errs = append(errs, &huma.ErrorDetail{Location: prefix.With(pairs[i]), Message: "must not contain NUL characters"})
		}
	}
	return errs
}

// blank reports a name that is empty once trimmed.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

// blankName is the 422 for a name of only spaces.
func blankName(loc string, value string) error {
	return huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{
		Location: loc, Message: "must not be blank", Value: value,
	})
}

// newSlugID is the id of a new constitution or system prompt: the client's
// slug, or one derived from the name. The name must not be blank.
func newSlugID(id, name string) (string, error) {
	if blank(name) {
		return "", blankName("body.name", name)
	}
	if id != "" {
		return id, nil
	}
	if id = model.Slugify(name); id == "" {
		return "", huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{
			Location: "body.id", Message: "no id given and none can be derived from the name; send an id", Value: name,
		})
	}
	return id, nil
}

// Requests shared by the operations of every resource (named so that each
// handler can be a method; Huma reads only their fields).
type (
	idRequest     struct{ IDParam }
	pageRequest   struct{ PageParams }
	idPageRequest struct {
		IDParam
		PageParams
	}
	deleteRequest struct {
		IDParam
		IfMatchParam
	}
)

package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/store"
)

// statusClientClosed is recorded (never sent) when the client went away
// before its request finished; nginx made the number a convention.
const statusClientClosed = 499

// internalDetail is the only thing a client learns about an internal error:
// that it happened, and the id to quote when reporting it.
func internalDetail(ctx context.Context) string {
	return fmt.Sprintf("internal error; quote request id %s when reporting it", RequestID(ctx))
}

// writeProblem writes an RFC 9457 problem outside Huma (middleware, raw
// routes) in the same shape Huma uses.
func writeProblem(w http.ResponseWriter, r *http.Request, status int, detail string) {
	if ri := infoFrom(r.Context()); ri != nil {
		ri.detail = detail
	}
	b, _ := json.Marshal(&huma.ErrorModel{Title: http.StatusText(status), Status: status, Detail: detail})
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// maxEchoedValue bounds the "value" echoed in a validation error: Huma
// echoes a whole malformed body, which may be a megabyte.
const maxEchoedValue = 256

// sanitizeError is a Huma transformer that sees every error response Huma
// writes. It notes the detail for the log line, trims echoed values, and
// replaces whatever a 5xx would say with the generic message, so no
// internal text (paths, SQL, stack) reaches a client whichever code path
// produced it.
func (a *API) sanitizeError(ctx huma.Context, _ string, v any) (any, error) {
	em, ok := v.(*huma.ErrorModel)
	if !ok {
		return v, nil
	}
	ri := infoFrom(ctx.Context())
	if em.Status >= 500 {
		if ri != nil && ri.err == nil {
			// Not mapped by our handlers: keep Huma's text for the log.
			msgs := []string{em.Detail}
			for _, d := range em.Errors {
				if d != nil {
					msgs = append(msgs, d.Error())
				}
			}
			ri.err = errors.New(strings.Join(msgs, ": "))
		}
		return &huma.ErrorModel{Title: http.StatusText(em.Status), Status: em.Status, Detail: internalDetail(ctx.Context())}, nil
	}
	if em.Status == http.StatusRequestEntityTooLarge {
		// Huma states its own limit, which is one byte over ours (see
		// humaConfig); say what limitBody says.
		em.Detail = tooLarge(a.cfg.BodyLimit)
	}
	for _, d := range em.Errors {
		if d == nil {
			continue
		}
		if name, ok := missingProperty(d.Message); ok {
			// Huma reports a missing property at its parent object and
			// echoes the parent; name the field itself, so a client can
			// show the error next to it, like every other field error.
			d.Location += "." + name
			d.Message = "required property is missing"
			d.Value = nil
			continue
		}
		switch v := d.Value.(type) {
		case nil, bool, float64, int, int64:
		case string:
			if len(v) > maxEchoedValue {
				d.Value = v[:maxEchoedValue] + "…"
			}
		default:
			// Objects and arrays (Huma echoes the whole body when a
			// required property is missing): keep small ones only.
			if b, err := json.Marshal(v); err != nil || len(b) > maxEchoedValue {
				d.Value = nil
			}
		}
	}
	if em.Detail == "validation failed" {
		switch em.Status {
		case http.StatusBadRequest:
			em.Detail = "malformed JSON body"
		case http.StatusUnsupportedMediaType:
			em.Detail = "send the body as application/json"
		}
	}
	if ri != nil {
		ri.detail = em.Detail
		if len(em.Errors) > 0 && em.Errors[0] != nil {
			ri.detail += ": " + em.Errors[0].Message
		}
	}
	return em, nil
}

// tooLarge is the detail of every 413.
func tooLarge(limit int64) string {
	return fmt.Sprintf("request body is larger than the limit of %d bytes", limit)
}

// missingProperty extracts the property name from Huma's "expected
// required property X to be present".
func missingProperty(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "expected required property ")
	if !ok {
		return "", false
	}
	name, ok := strings.CutSuffix(rest, " to be present")
	return name, ok && name != "" && !strings.ContainsAny(name, " .")
}

// target names what a handler was doing, for error messages and the
// database error metric.
type target struct {
	kind string // "constitution", "flow config", ...
	op   string // "list", "get", "create", "update", "delete", ...
	id   string // may be empty (list, create without a chosen id)
	// what overrides the subject of messages (e.g. "version 3 of
	// constitution \"x\""); kind stays a fixed metric label.
	what string
}

func (t target) subject() string {
	if t.what != "" {
		return t.what
	}
	if t.id == "" {
		return t.kind
	}
	return fmt.Sprintf("%s %q", t.kind, t.id)
}

// fail maps an error from the store (or anything else a handler hit) to
// the problem the client gets. Store sentinels become 404/409/412/422 with
// our own wording, so no implementation's text leaks; everything else is an
// internal error: counted, kept for the log line, and answered with the
// generic 500.
func (a *API) fail(ctx context.Context, t target, err error) error {
	var inUse *store.InUseError
	var ref *store.RefError
	switch {
	case errors.As(err, &inUse):
		return huma.Error409Conflict(fmt.Sprintf("%s is still used by %s; delete or change those first",
			t.subject(), strings.Join(inUse.RefBy, ", ")))
	case errors.As(err, &ref):
		return huma.Error422UnprocessableEntity("invalid reference", &huma.ErrorDetail{
			Location: "body." + ref.Field,
			Message:  fmt.Sprintf("%q does not exist", ref.ID),
			Value:    ref.ID,
		})
	case errors.Is(err, store.ErrNotFound):
		return huma.Error404NotFound(t.subject() + " not found")
	case errors.Is(err, store.ErrVersionMismatch):
		return huma.Error412PreconditionFailed(t.subject() + " has changed since the version in If-Match; fetch it again and retry")
	case errors.Is(err, store.ErrConflict):
		switch t.op {
		case "create":
			return huma.Error409Conflict(t.subject() + " already exists")
		case "delete":
			return huma.Error409Conflict(t.subject() + " is protected and cannot be deleted")
		}
		return huma.Error409Conflict(t.subject() + " conflicts with the current state")
	case errors.Is(err, store.ErrBadCursor):
		return huma.Error422UnprocessableEntity("invalid cursor", &huma.ErrorDetail{
			Location: "query.cursor",
			Message:  "not a cursor this server issued for this list; start again without it",
		})
	}
	if ri := infoFrom(ctx); ri != nil {
		ri.err = fmt.Errorf("%s %s: %w", t.op, t.subject(), err)
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return huma.NewError(statusClientClosed, "request cancelled")
	}
	a.metrics.dbErrors.WithLabelValues(dbOperation(t.kind, t.op)).Inc()
	return huma.NewError(http.StatusInternalServerError, internalDetail(ctx))
}

// failPrecondition passes an If-Match 412 through and maps anything else
// (from reading the current version) like fail.
func (a *API) failPrecondition(ctx context.Context, t target, err error) error {
	var se huma.StatusError
	if errors.As(err, &se) {
		return err
	}
	return a.fail(ctx, t, err)
}

// unmatched answers /api paths no route claims: 405 with Allow when the
// path exists under other methods, 404 otherwise, both as problem+json.
func (a *API) unmatched(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := a.mux.Handler(probe); p != "" && p != "/api/" && p != "/api" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeProblem(w, r, http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed here; use %s", r.Method, strings.Join(allowed, ", ")))
		return
	}
	writeProblem(w, r, http.StatusNotFound, "no such resource")
}

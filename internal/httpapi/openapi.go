package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// What every operation's entry in the OpenAPI document carries, whichever
// package registers it, so that third-party tools (spectral, redocly,
// client generators) find the document complete: its tag defined with a
// description, security, every status the middleware may answer, and
// examples (examples.go).

// tagDescriptions describe the operation tags. An operation whose tag is
// not here gets a generic description; add a line for a new tag.
var tagDescriptions = map[string]string{
	"Constitutions":  "The superego's rules, in Markdown; every edit keeps the previous text as a version.",
	"System prompts": "What the assistant is told before the conversation.",
	"Flow configs":   "A constitution, a system prompt and model choices: how one conversation is run.",
	"Flow templates": "Reusable recipes for flow configs; instantiating one creates a config and a conversation.",
	"Flow instances": "Conversations on a flow config, and their messages.",
	"runs":           "One answer to one user message (superego step, then assistant), read socket-free: status and Server-Sent Events.",
	"Meta":           "Health, models and the API's own description.",
}

// documentOperation completes op as it is added to the document.
func (a *API) documentOperation(oapi *huma.OpenAPI, op *huma.Operation) {
	if op.Security == nil {
		op.Security = []map[string][]string{{"bearer": {}}}
		if op.OperationID == opGetHealth.OperationID {
			op.Security = []map[string][]string{{}} // open: load balancers probe it
		}
	}
	for _, tag := range op.Tags {
		if !slices.ContainsFunc(oapi.Tags, func(t *huma.Tag) bool { return t.Name == tag }) {
			desc := tagDescriptions[tag]
			if desc == "" {
				desc = "Operations on " + strings.ToLower(tag) + "."
			}
			oapi.Tags = append(oapi.Tags, &huma.Tag{Name: tag, Description: desc})
			slices.SortFunc(oapi.Tags, func(x, y *huma.Tag) int { return strings.Compare(x.Name, y.Name) })
		}
	}
	if op.Responses == nil {
		op.Responses = map[string]*huma.Response{}
	}
	for _, code := range commonStatuses(op) {
		key := strconv.Itoa(code)
		if _, ok := op.Responses[key]; ok {
			continue
		}
		op.Responses[key] = &huma.Response{
			Description: statusMeaning[code],
			Content: map[string]*huma.MediaType{
				"application/problem+json": {Schema: &huma.Schema{Ref: "#/components/schemas/ErrorModel"}},
			},
		}
	}
	if len(op.Responses) > 1 {
		delete(op.Responses, "default") // every error is now listed
	}
	addExamples(oapi.Components.Schemas, op)
}

// statusMeaning says why the middleware (or Huma) answers each status.
var statusMeaning = map[int]string{
	http.StatusBadRequest:            "Malformed request: the body is not valid JSON, or a header is malformed.",
	http.StatusUnauthorized:          "The server has an API token and the request did not carry it (Authorization: Bearer <token>).",
	http.StatusForbidden:             "A browser page of another origin tried to change data.",
	http.StatusNotFound:              "No such object.",
	http.StatusPreconditionFailed:    "The object changed since the version in If-Match.",
	http.StatusRequestEntityTooLarge: "The body is larger than the server's limit (1 MiB by default).",
	http.StatusUnsupportedMediaType:  "The body is not sent as application/json.",
	http.StatusMisdirectedRequest:    "The Host header names a host this server does not answer to (see --allowed-hosts).",
	http.StatusUnprocessableEntity:   "A parameter or body field is invalid (named in errors), or an unknown query parameter was sent.",
	http.StatusInternalServerError:   "Internal error; the detail gives a request id to quote.",
}

// commonStatuses are the statuses op can answer besides its own: from the
// host guard, auth, the cross-origin check, the body limit and decoder,
// the query parameter check, path ids and If-Match.
func commonStatuses(op *huma.Operation) []int {
	codes := []int{http.StatusMisdirectedRequest, http.StatusUnprocessableEntity, http.StatusInternalServerError}
	if slices.ContainsFunc(op.Security, func(s map[string][]string) bool { _, ok := s["bearer"]; return ok }) {
		codes = append(codes, http.StatusUnauthorized)
	}
	if op.Method != http.MethodGet && op.Method != http.MethodHead {
		codes = append(codes, http.StatusForbidden)
	}
	if op.RequestBody != nil {
		codes = append(codes, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)
	}
	for _, p := range op.Parameters {
		switch {
		case p.In == "path":
			codes = append(codes, http.StatusNotFound)
		case p.In == "header" && strings.EqualFold(p.Name, "If-Match"):
			codes = append(codes, http.StatusPreconditionFailed)
		}
	}
	return codes
}

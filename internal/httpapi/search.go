package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/model"
)

// The search operation: what it is, then which method serves it.
var opSearch = huma.Operation{
	OperationID: "search", Method: http.MethodGet, Path: "/api/search",
	Summary: "Search messages, conversations and constitutions", Tags: []string{"Search"},
	Errors:      []int{http.StatusUnprocessableEntity},
	Description: "Full-text search (SQLite FTS5, PostgreSQL text search): every word of q must occur, the last may be the start of a word. Best hits first.",
}

func (a *API) registerSearch() {
	huma.Register(a.huma, a.op(opSearch), a.search)
}

type searchRequest struct {
	Q     string `query:"q" required:"true" minLength:"1" maxLength:"200" doc:"The words to find."`
	Limit int    `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Most hits returned."`
}

// SearchResults is the answer of GET /api/search.
type SearchResults struct {
	Items []model.SearchHit `json:"items"`
}

type searchOutput struct {
	Body SearchResults
}

func (a *API) search(ctx context.Context, in *searchRequest) (*searchOutput, error) {
	if blank(in.Q) {
		return nil, huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: "query.q", Message: "must not be blank", Value: in.Q})
	}
	hits, err := a.deps.Store.Search(ctx, in.Q, in.Limit)
	if err != nil {
		return nil, a.fail(ctx, target{kind: "search", op: "search"}, err)
	}
	return &searchOutput{Body: SearchResults{Items: hits}}, nil
}

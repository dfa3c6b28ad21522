package httpapi

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// op fills what every operation of this package shares: the bearer
// security requirement and its 401, documented whether or not a token is
// configured so the OpenAPI document does not depend on configuration.
// The operation values are shared by every API built (tests build many at
// once) and Huma writes into what it is given, so op gives it copies of
// the slices; an operation with Responses must build that map afresh.
func (a *API) op(o huma.Operation) huma.Operation {
	o.Security = []map[string][]string{{"bearer": {}}}
	o.Tags = slices.Clone(o.Tags)
	o.Errors = slices.Clone(o.Errors)
	if !slices.Contains(o.Errors, http.StatusUnauthorized) {
		o.Errors = append([]int{http.StatusUnauthorized}, o.Errors...)
	}
	return o
}

// Health is the body of GET /api/health.
type Health struct {
	Status   string `json:"status" enum:"ok,unavailable" doc:"ok when the server can serve requests."`
	Database string `json:"database" enum:"ok,unreachable" doc:"Whether the database answered a ping."`
}

type healthOutput struct {
	Status int
	Body   Health
}

// pingTimeout bounds the health check's database ping so a hung database
// shows as unavailable instead of hanging the probe.
const pingTimeout = 2 * time.Second

// opGetHealth needs no token, so it is registered without a.op. Its 503
// is added at registration: Huma writes into an operation's Responses, so
// a shared map would be written by every API built (and raced on in
// parallel tests).
var opGetHealth = huma.Operation{
	OperationID: "get-health", Method: http.MethodGet, Path: "/api/health",
	Summary: "Health check", Tags: []string{"Meta"},
	Description: "Needs no token. 200 when the database answers, 503 (same body shape) when it does not.",
}

func (a *API) registerHealth() {
	op := opGetHealth
	op.Tags = slices.Clone(op.Tags)
	op.Responses = map[string]*huma.Response{
		"503": {Description: "Database unreachable", Content: map[string]*huma.MediaType{
			"application/json": {Schema: &huma.Schema{Ref: "#/components/schemas/Health"}},
		}},
	}
	huma.Register(a.huma, op, a.getHealth)
}

func (a *API) getHealth(ctx context.Context, _ *struct{}) (*healthOutput, error) {
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := a.deps.Store.Ping(pctx); err != nil {
		if ri := infoFrom(ctx); ri != nil {
			ri.err = err
		}
		a.metrics.dbErrors.WithLabelValues(dbOperation("database", "ping")).Inc()
		return &healthOutput{Status: http.StatusServiceUnavailable, Body: Health{Status: "unavailable", Database: "unreachable"}}, nil
	}
	return &healthOutput{Status: http.StatusOK, Body: Health{Status: "ok", Database: "ok"}}, nil
}

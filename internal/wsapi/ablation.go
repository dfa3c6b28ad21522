package wsapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/engine"
)

type whyInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The superego message (a stored decision) to explain."`
	Body struct {
		Alone  bool `json:"alone,omitempty" doc:"Also run each section on its own (sections × 2 + 1 calls instead of sections + 1)."`
		DryRun bool `json:"dry_run,omitempty" doc:"Only say what it would do and cost: the plan, no model call."`
	}
}

type whyOutput struct {
	Body struct {
		Plan engine.AblationPlan `json:"plan"`
		// Result is absent for a dry run.
		Result *engine.Ablation `json:"result,omitempty"`
	}
}

// RegisterAblation adds POST /api/messages/{id}/why ("Why this verdict?")
// to api. eng may be nil when api only generates the OpenAPI document.
func RegisterAblation(api huma.API, eng *engine.Engine) {
	huma.Register(api, huma.Operation{
		OperationID: "explain-decision",
		Method:      http.MethodPost,
		Path:        "/api/messages/{id}/why",
		Summary:     "Why this verdict? (ablation)",
		Description: "Runs the superego again on the same input with the constitution version the decision was " +
			"made under, once whole and once with each top-level section removed (and, with `alone`, once " +
			"with each section alone). A section is *necessary* when removing it changes the verdict, " +
			"*sufficient* when alone it gives the verdict; the cited section is *faithful* when it is " +
			"necessary or sufficient. Send `dry_run: true` first to get the plan (sections, number of " +
			"calls, model) without calling a model. The calls are made while the request is open: " +
			"closing it (Stop) cancels the one in flight and the rest. 404: no such message; 422: not " +
			"a superego decision, or a constitution without sections.",
		Tags: []string{"runs"},
	}, func(ctx context.Context, in *whyInput) (*whyOutput, error) {
		if eng == nil {
			return nil, huma.Error503ServiceUnavailable("no engine")
		}
		req, plan, err := eng.PrepareAblation(ctx, in.ID, in.Body.Alone)
		if err != nil {
			return nil, ablationProblem(err)
		}
		out := &whyOutput{}
		out.Body.Plan = plan
		if in.Body.DryRun {
			return out, nil
		}
		res, err := eng.Ablate(ctx, req, nil)
		if err != nil {
			return nil, err
		}
		out.Body.Result = &res
		return out, nil
	})
}

func ablationProblem(err error) error {
	switch {
	case errors.Is(err, engine.ErrRunNotFound):
		return huma.Error404NotFound("message not found")
	case errors.Is(err, engine.ErrNotADecision):
		return huma.Error422UnprocessableEntity("the message is not a superego decision",
			&huma.ErrorDetail{Location: "path.id", Message: "must be a superego message with a decision"})
	case errors.Is(err, engine.ErrNoSections):
		return huma.Error422UnprocessableEntity("the decision's constitution has no sections to ablate",
			&huma.ErrorDetail{Location: "path.id", Message: "its constitution has no Markdown heading, so no section to remove"})
	}
	return err
}

package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/store"
)

// The attribution operations ("Why this verdict?", docs/design.md): what
// each one is, then which method serves it.
var (
	tagsAttributions = []string{"Attributions"}
	errsAttribute    = []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusServiceUnavailable}

	opWhyMessage = huma.Operation{
		OperationID: "explain-decision", Method: http.MethodPost, Path: "/api/messages/{id}/why",
		Summary: "Why this verdict? (ablation)", Tags: tagsAttributions, Errors: errsAttribute,
		Description: "Explains a stored superego decision by ablation: the superego judges the same input with the " +
			"constitution version the decision was made under, once whole and once with each top-level section removed " +
			"(and, with `alone`, once with each section alone). A section is *necessary* when removing it changes the " +
			"verdict, *sufficient* when alone it gives the verdict; the cited section is *faithful* when it is necessary or " +
			"sufficient. `dry_run: true` answers 200 with the plan only — the number of calls and their estimated cost — " +
			"and calls no model. Otherwise the attribution is stored and runs in the background (202): every call is " +
			"stored with its thinking, reported as an `attribution_progress` frame on the WebSocket, and the end as " +
			"`attribution_finished`; read it with GET /api/attributions/{id}, stop it with POST /api/attributions/{id}/cancel. " +
			"404: no such message; 422: not a superego decision, or a constitution without sections.",
	}
	opAttributeEval = huma.Operation{
		OperationID: "attribute-eval-run", Method: http.MethodPost, Path: "/api/eval-runs/{id}/attribute",
		Summary: "Attribute an eval's verdicts", Tags: tagsAttributions, Errors: errsAttribute,
		Description: "Runs the ablation of POST /api/messages/{id}/why over every CAUTION and BLOCK row of a finished eval " +
			"run (ERROR rows and rows whose constitution has no sections are skipped and counted), as a durable job. " +
			"`dry_run: true` gives the plan (rows, calls, estimated cost). The finished attribution's summary holds a " +
			"section × category heatmap (rows where each section was necessary) and the citation-faithfulness rate with " +
			"its 95 % Wilson interval. 409: the eval has not finished.",
	}
	opListAttributions = huma.Operation{
		OperationID: "list-attributions", Method: http.MethodGet, Path: "/api/attributions",
		Summary: "List attributions", Tags: tagsAttributions, Errors: []int{http.StatusUnprocessableEntity},
		Description: "The newest 20, of one message or one eval run when asked.",
	}
	opGetAttribution = huma.Operation{
		OperationID: "get-attribution", Method: http.MethodGet, Path: "/api/attributions/{id}",
		Summary: "Get an attribution", Tags: tagsAttributions, Errors: errsRead,
		Description: "Its state, its items (each verdict and, once its calls are done, what each section does to it), " +
			"the calls of a message's or one row's attribution with their thinking, and for an eval the summary.",
	}
	opGetAttributionItem = huma.Operation{
		OperationID: "get-attribution-item", Method: http.MethodGet, Path: "/api/attributions/{id}/items/{item}",
		Summary: "Get one item of an attribution", Tags: tagsAttributions, Errors: errsRead,
		Description: "One verdict explained, with every stored call and its thinking.",
	}
	opCancelAttribution = huma.Operation{
		OperationID: "cancel-attribution", Method: http.MethodPost, Path: "/api/attributions/{id}/cancel",
		Summary: "Stop an attribution", Tags: tagsAttributions, Errors: []int{http.StatusNotFound, http.StatusServiceUnavailable},
		Description: "Ends the call in flight and makes no more, on every replica; the calls stored stay. Stopping a finished attribution changes nothing.",
	}
)

func (a *API) registerAttributions() {
	huma.Register(a.huma, a.op(opWhyMessage), a.whyMessage)
	huma.Register(a.huma, a.op(opAttributeEval), a.attributeEval)
	huma.Register(a.huma, a.op(opListAttributions), a.listAttributions)
	huma.Register(a.huma, a.op(opGetAttribution), a.getAttribution)
	huma.Register(a.huma, a.op(opGetAttributionItem), a.getAttributionItem)
	huma.Register(a.huma, a.op(opCancelAttribution), a.cancelAttribution)
}

// Attributor plans, starts and stops attributions (runner.Runner).
type Attributor interface {
	PlanMessage(ctx context.Context, messageID string, alone bool) (evals.AttributionPlan, evals.AttributionItem, error)
	StartMessage(ctx context.Context, messageID string, alone bool) (evals.Attribution, error)
	PlanEval(ctx context.Context, evalRunID string, alone bool, row *evals.RowRef) (evals.AttributionPlan, []evals.AttributionItem, error)
	StartEval(ctx context.Context, evalRunID string, alone bool, row *evals.RowRef) (evals.Attribution, error)
	CancelAttribution(ctx context.Context, id string) (evals.Attribution, error)
}

// AttributionStore reads stored attributions (evalsql.DB).
type AttributionStore interface {
	GetAttribution(ctx context.Context, id string) (evals.Attribution, error)
	ListAttributions(ctx context.Context, messageID, evalRunID string, limit int) ([]evals.Attribution, error)
	AttributionItems(ctx context.Context, id string, from, to int) ([]evals.AttributionItem, error)
	AttributionCalls(ctx context.Context, id string, from, to int) ([]evals.AttributionCall, error)
}

// kindAttribution names attributions in errors and metrics.
const kindAttribution = "attribution"

type (
	attributeRequest struct {
		IDParam
		Body struct {
			Alone  bool `json:"alone,omitempty" doc:"Also run each section on its own (sections × 2 + 1 calls per verdict instead of sections + 1)."`
			DryRun bool `json:"dry_run,omitempty" doc:"Only say what it would do and cost: the plan, no model call."`
		}
	}
	attributeOutput struct {
		Status int
		Body   struct {
			Plan evals.AttributionPlan `json:"plan"`
			// Attribution is absent for a dry run.
			Attribution *evals.Attribution `json:"attribution,omitempty"`
		}
	}
	attributeEvalRequest struct {
		IDParam
		Body struct {
			Alone  bool `json:"alone,omitempty" doc:"Also run each section on its own."`
			DryRun bool `json:"dry_run,omitempty" doc:"Only say what it would do and cost."`
			// Row limits the attribution to one row ("Why?" on an eval row).
			Row *evals.RowRef `json:"row,omitempty" doc:"Explain only this row (whatever its verdict, except ERROR) instead of every CAUTION and BLOCK row."`
		}
	}
	attributionListRequest struct {
		MessageID string `query:"message_id" maxLength:"64" doc:"Only this message's attributions."`
		EvalRunID string `query:"eval_run_id" maxLength:"64" doc:"Only this eval run's attributions."`
	}
	attributionListOutput struct {
		Body struct {
			Items []evals.Attribution `json:"items"`
		}
	}
	attributionView struct {
		Attribution evals.Attribution       `json:"attribution"`
		Items       []evals.AttributionItem `json:"items"`
		// Calls are the calls of a message's or a row's attribution (an
		// eval's are read per item).
		Calls   []evals.AttributionCall   `json:"calls"`
		Summary *evals.AttributionSummary `json:"summary,omitempty" doc:"An eval attribution's heatmap and faithfulness rate, over its finished rows."`
	}
	attributionItemRequest struct {
		IDParam
		Item int `path:"item" minimum:"0" doc:"The item's index."`
	}
	attributionItemView struct {
		Item  evals.AttributionItem   `json:"item"`
		Calls []evals.AttributionCall `json:"calls"`
	}
)

func attributionOut(x evals.Attribution) evals.Attribution {
	x.CreatedAt, x.FinishedAt = utc(x.CreatedAt), utcPtr(x.FinishedAt)
	return x
}

// attributeFail answers the errors of planning or starting one.
func (a *API) attributeFail(ctx context.Context, t target, err error) error {
	var fe *evals.FieldError
	if errors.As(err, &fe) {
		loc := "path." + fe.Field
		if fe.Field != "id" {
			loc = "body.row." + fe.Field
		}
		return huma.Error422UnprocessableEntity("the "+t.kind+" cannot be explained", &huma.ErrorDetail{Location: loc, Message: fe.Message})
	}
	if t.kind == kindEvalRun && errors.Is(err, store.ErrConflict) {
		return huma.Error409Conflict("the eval run has not finished; attribute it once it has")
	}
	return a.fail(ctx, t, err)
}

func (a *API) attribute(ctx context.Context, in *attributeRequest, t target,
	plan func() (evals.AttributionPlan, error), start func() (evals.Attribution, error)) (*attributeOutput, error) {
	if a.deps.Attributions == nil {
		return nil, huma.Error503ServiceUnavailable("this server runs no attributions")
	}
	p, err := plan()
	if err != nil {
		return nil, a.attributeFail(ctx, t, err)
	}
	p.Price(a.deps.Cost)
	out := &attributeOutput{Status: http.StatusOK}
	out.Body.Plan = p
	if in.Body.DryRun {
		return out, nil
	}
	x, err := start()
	if err != nil {
		return nil, a.attributeFail(ctx, t, err)
	}
	x = attributionOut(x)
	out.Status, out.Body.Attribution = http.StatusAccepted, &x
	return out, nil
}

func (a *API) whyMessage(ctx context.Context, in *attributeRequest) (*attributeOutput, error) {
	at := a.deps.Attributions
	return a.attribute(ctx, in, target{kind: "message", op: "explain", id: in.ID},
		func() (evals.AttributionPlan, error) {
			p, _, err := at.PlanMessage(ctx, in.ID, in.Body.Alone)
			return p, err
		},
		func() (evals.Attribution, error) { return at.StartMessage(ctx, in.ID, in.Body.Alone) })
}

func (a *API) attributeEval(ctx context.Context, in *attributeEvalRequest) (*attributeOutput, error) {
	at := a.deps.Attributions
	b := in.Body
	req := &attributeRequest{IDParam: in.IDParam}
	req.Body.Alone, req.Body.DryRun = b.Alone, b.DryRun
	return a.attribute(ctx, req, target{kind: kindEvalRun, op: "attribute", id: in.ID},
		func() (evals.AttributionPlan, error) {
			p, _, err := at.PlanEval(ctx, in.ID, b.Alone, b.Row)
			return p, err
		},
		func() (evals.Attribution, error) { return at.StartEval(ctx, in.ID, b.Alone, b.Row) })
}

func (a *API) attributionStore() (AttributionStore, error) {
	s, ok := a.deps.Evals.(AttributionStore)
	if !ok {
		return nil, huma.Error503ServiceUnavailable("this server stores no attributions")
	}
	return s, nil
}

func (a *API) listAttributions(ctx context.Context, in *attributionListRequest) (*attributionListOutput, error) {
	s, err := a.attributionStore()
	if err != nil {
		return nil, err
	}
	items, err := s.ListAttributions(ctx, in.MessageID, in.EvalRunID, 20)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindAttribution, op: "list"}, err)
	}
	out := &attributionListOutput{}
	out.Body.Items = make([]evals.Attribution, len(items))
	for i, x := range items {
		out.Body.Items[i] = attributionOut(x)
	}
	return out, nil
}

func (a *API) getAttribution(ctx context.Context, in *struct{ IDParam }) (*struct{ Body attributionView }, error) {
	s, err := a.attributionStore()
	if err != nil {
		return nil, err
	}
	t := target{kind: kindAttribution, op: "get", id: in.ID}
	x, err := s.GetAttribution(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, t, err)
	}
	v := attributionView{Attribution: attributionOut(x), Calls: []evals.AttributionCall{}}
	if v.Items, err = s.AttributionItems(ctx, x.ID, 0, -1); err != nil {
		return nil, a.fail(ctx, t, err)
	}
	if x.Kind != evals.AttributionEval {
		if v.Calls, err = s.AttributionCalls(ctx, x.ID, 0, -1); err != nil {
			return nil, a.fail(ctx, t, err)
		}
	} else {
		sum := evals.Summarize(v.Items)
		v.Summary = &sum
	}
	if v.Calls == nil {
		v.Calls = []evals.AttributionCall{}
	}
	return &struct{ Body attributionView }{Body: v}, nil
}

func (a *API) getAttributionItem(ctx context.Context, in *attributionItemRequest) (*struct{ Body attributionItemView }, error) {
	s, err := a.attributionStore()
	if err != nil {
		return nil, err
	}
	t := target{kind: kindAttribution, op: "get", id: in.ID}
	if _, err := s.GetAttribution(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, t, err)
	}
	items, err := s.AttributionItems(ctx, in.ID, in.Item, in.Item+1)
	if err != nil {
		return nil, a.fail(ctx, t, err)
	}
	if len(items) == 0 {
		return nil, huma.Error404NotFound("attribution " + in.ID + " has no item " + strconv.Itoa(in.Item))
	}
	calls, err := s.AttributionCalls(ctx, in.ID, in.Item, in.Item+1)
	if err != nil {
		return nil, a.fail(ctx, t, err)
	}
	if calls == nil {
		calls = []evals.AttributionCall{}
	}
	return &struct{ Body attributionItemView }{Body: attributionItemView{Item: items[0], Calls: calls}}, nil
}

func (a *API) cancelAttribution(ctx context.Context, in *struct{ IDParam }) (*struct{ Body evals.Attribution }, error) {
	if a.deps.Attributions == nil {
		return nil, huma.Error503ServiceUnavailable("this server runs no attributions")
	}
	x, err := a.deps.Attributions.CancelAttribution(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindAttribution, op: "cancel", id: in.ID}, err)
	}
	return &struct{ Body evals.Attribution }{Body: attributionOut(x)}, nil
}

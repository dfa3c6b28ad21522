package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// The eval suite operations: what each one is, then which method serves it.
var (
	tagsEvalSuites = []string{"Eval suites"}

	opListEvalSuites = huma.Operation{
		OperationID: "list-eval-suites", Method: http.MethodGet, Path: "/api/eval-suites",
		Summary: "List eval suites", Tags: tagsEvalSuites, Errors: []int{http.StatusUnprocessableEntity},
		Description: "Suites by id, the built-ins (XSTest, SimpleSafetyTests) among them; cases are read separately.",
	}
	opGetEvalSuite = huma.Operation{
		OperationID: "get-eval-suite", Method: http.MethodGet, Path: "/api/eval-suites/{id}",
		Summary: "Get an eval suite", Tags: tagsEvalSuites, Errors: errsRead,
		Description: "Its texts, license and attribution, version, and case counts per expected label; the cases are under /cases.",
	}
	opCreateEvalSuite = huma.Operation{
		OperationID: "create-eval-suite", Method: http.MethodPost, Path: "/api/eval-suites",
		Summary: "Create an eval suite", Tags: tagsEvalSuites, DefaultStatus: http.StatusCreated, Errors: errsCreate,
		Description: "With its cases inline, or empty and filled by an import.",
	}
	opReplaceEvalSuite = huma.Operation{
		OperationID: "replace-eval-suite", Method: http.MethodPut, Path: "/api/eval-suites/{id}",
		Summary: "Replace an eval suite", Tags: tagsEvalSuites, Errors: errsWrite,
		Description: "Replaces the texts and, when `cases` is sent, the whole case list, as a new version. " +
			"Built-in suites are read-only (409) except for label corrections.",
	}
	opDeleteEvalSuite = huma.Operation{
		OperationID: "delete-eval-suite", Method: http.MethodDelete, Path: "/api/eval-suites/{id}",
		Summary: "Delete an eval suite", Tags: tagsEvalSuites, DefaultStatus: http.StatusNoContent, Errors: errsDelete,
		Description: "Built-in suites and suites that evals ran on cannot be deleted (409).",
	}
	opListEvalSuiteVersions = huma.Operation{
		OperationID: "list-eval-suite-versions", Method: http.MethodGet, Path: "/api/eval-suites/{id}/versions",
		Summary: "List an eval suite's versions", Tags: tagsEvalSuites, Errors: errsRead,
		Description: "Every version, oldest first, with what it changed.",
	}
	opListEvalCases = huma.Operation{
		OperationID: "list-eval-cases", Method: http.MethodGet, Path: "/api/eval-suites/{id}/cases",
		Summary: "List an eval suite's cases", Tags: tagsEvalSuites, Errors: errsRead,
		Description: "The current cases in suite order.",
	}
	opImportEvalCases = huma.Operation{
		OperationID: "import-eval-cases", Method: http.MethodPost, Path: "/api/eval-suites/{id}/import",
		Summary: "Import cases from CSV or JSONL", Tags: tagsEvalSuites, Errors: errsWrite,
		Description: "The body is the file (CSV with a header row, or one JSON object per line), at most the request " +
			"body limit (1 MiB by default). Query parameters map its columns onto case fields and its labels onto " +
			"ALLOW, CAUTION, BLOCK and NOT_ALLOW. The whole file is checked before anything is stored: one bad row " +
			"is a 422 naming it, and no case is imported. `dry_run` returns the parsed cases without storing them.",
	}
	opExportEvalCases = huma.Operation{
		OperationID: "export-eval-cases", Method: http.MethodGet, Path: "/api/eval-suites/{id}/export",
		Summary: "Export an eval suite's cases", Tags: tagsEvalSuites, Errors: errsRead,
		Description: "JSONL (one case per line, as the API returns them) or CSV; label corrections are included.",
	}
	opCorrectEvalCase = huma.Operation{
		OperationID: "correct-eval-case", Method: http.MethodPost, Path: "/api/eval-suites/{id}/cases/{case_id}/correction",
		Summary: "Correct a case's expected label", Tags: tagsEvalSuites, Errors: errsWrite,
		Description: "Records a new label with the reason, who and when, as a new suite version; allowed on built-ins. " +
			"Metrics of every eval of the suite are computed with the corrected label from then on.",
	}
)

func (a *API) registerEvalSuites() {
	huma.Register(a.huma, a.op(opListEvalSuites), a.listEvalSuites)
	huma.Register(a.huma, a.op(opGetEvalSuite), a.getEvalSuite)
	huma.Register(a.huma, a.op(opCreateEvalSuite), a.createEvalSuite)
	huma.Register(a.huma, a.op(opReplaceEvalSuite), a.replaceEvalSuite)
	huma.Register(a.huma, a.op(opDeleteEvalSuite), a.deleteEvalSuite)
	huma.Register(a.huma, a.op(opListEvalSuiteVersions), a.listEvalSuiteVersions)
	huma.Register(a.huma, a.op(opListEvalCases), a.listEvalCases)
	huma.Register(a.huma, a.op(opImportEvalCases), a.importEvalCases)
	huma.Register(a.huma, withBody(a.op(opExportEvalCases), "The cases", "application/x-ndjson", "text/csv"), a.exportEvalCases)
	huma.Register(a.huma, a.op(opCorrectEvalCase), a.correctEvalCase)
}

// kindEvalSuite names eval suites in errors and metrics.
const kindEvalSuite = "eval suite"

// resEvalSuite is the resource name in resource_changed events.
const resEvalSuite = "eval_suite"

// evalSuiteInput is what a client writes on PUT.
type evalSuiteInput struct {
	Name        string           `json:"name" minLength:"1" maxLength:"200" doc:"Display name."`
	Description string           `json:"description,omitempty" maxLength:"4000" doc:"What the suite measures."`
	Source      string           `json:"source,omitempty" maxLength:"4000" doc:"Where the cases come from (attribution)."`
	License     string           `json:"license,omitempty" maxLength:"65536" doc:"The cases' license."`
	Cases       []evals.EvalCase `json:"cases,omitempty" maxItems:"20000" doc:"The full case list; omitted on PUT keeps the cases."`
}

// evalSuiteCreateInput adds the optional client-chosen id of POST.
type evalSuiteCreateInput struct {
	ID          string           `json:"id,omitempty" pattern:"^[a-z0-9][a-z0-9_-]{0,63}$" maxLength:"64" doc:"Slug id; derived from name when absent."`
	Name        string           `json:"name" minLength:"1" maxLength:"200" doc:"Display name."`
	Description string           `json:"description,omitempty" maxLength:"4000" doc:"What the suite measures."`
	Source      string           `json:"source,omitempty" maxLength:"4000" doc:"Where the cases come from (attribution)."`
	License     string           `json:"license,omitempty" maxLength:"65536" doc:"The cases' license."`
	Cases       []evals.EvalCase `json:"cases,omitempty" maxItems:"20000" doc:"The cases; more can be imported later."`
}

// input is the create body without its id.
func (in *evalSuiteCreateInput) input() evalSuiteInput {
	return evalSuiteInput{Name: in.Name, Description: in.Description, Source: in.Source, License: in.License, Cases: in.Cases}
}

// Resolve implements huma.ResolverWithPath like evalSuiteInput's.
func (in *evalSuiteCreateInput) Resolve(ctx huma.Context, prefix *huma.PathBuffer) []error {
	b := in.input()
	return b.Resolve(ctx, prefix)
}

// Resolve implements huma.ResolverWithPath: NUL characters and bad cases
// are refused with the field named.
func (in *evalSuiteInput) Resolve(_ huma.Context, prefix *huma.PathBuffer) []error {
	errs := rejectNUL(prefix, "name", in.Name, "description", in.Description, "source", in.Source, "license", in.License)
	if in.Cases != nil {
		if err := evals.ValidateCases("cases", in.Cases); err != nil {
			errs = append(errs, fieldDetail(prefix, err))
		}
	}
	return errs
}

// fieldDetail turns an evals.FieldError into a Huma error detail under
// prefix (which names the body).
func fieldDetail(prefix *huma.PathBuffer, err error) error {
	var fe *evals.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	return &huma.ErrorDetail{Location: prefix.With(fe.Field), Message: fe.Message}
}

func (s evalSuiteInput) suite(id string) evals.EvalSuite {
	return evals.EvalSuite{Meta: model.Meta{ID: id}, Name: s.Name, Description: s.Description, Source: s.Source, License: s.License}
}

func evalSuiteOut(s evals.EvalSuite) evals.EvalSuite {
	s.CreatedAt, s.UpdatedAt = utc(s.CreatedAt), utc(s.UpdatedAt)
	if s.Counts == nil {
		s.Counts = map[evals.Expected]int{}
	}
	return s
}

// Requests of the eval suite operations.
type (
	evalSuiteIDRequest   struct{ IDParam }
	evalSuitePageRequest struct {
		IDParam
		PageParams
	}
	evalSuiteCreateRequest struct {
		Body evalSuiteCreateInput
	}
	evalSuiteReplaceRequest struct {
		IDParam
		IfMatchParam
		Body evalSuiteInput
	}
	evalSuiteDeleteRequest struct {
		IDParam
		IfMatchParam
	}
)

func (a *API) listEvalSuites(ctx context.Context, in *struct{ PageParams }) (*listOutput[evals.EvalSuite], error) {
	items, next, err := a.deps.Evals.ListSuites(ctx, in.page())
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindEvalSuite, op: "list"}, err)
	}
	for i := range items {
		items[i] = evalSuiteOut(items[i])
	}
	return newList(items, next), nil
}

func (a *API) getEvalSuite(ctx context.Context, in *evalSuiteIDRequest) (*objectOutput[evals.EvalSuite], error) {
	s, err := a.deps.Evals.GetSuite(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindEvalSuite, op: "get", id: in.ID}, err)
	}
	return &objectOutput[evals.EvalSuite]{ETag: etag(s.Version), Body: evalSuiteOut(s)}, nil
}

func (a *API) createEvalSuite(ctx context.Context, in *evalSuiteCreateRequest) (*createdOutput[evals.EvalSuite], error) {
	b := in.Body.input()
	id, err := newSlugID(in.Body.ID, b.Name)
	if err != nil {
		return nil, err
	}
	s, err := a.deps.Evals.CreateSuite(ctx, b.suite(id), b.Cases)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindEvalSuite, op: "create", id: id}, err)
	}
	a.publish(ctx, resEvalSuite, events.ActionCreated, s.ID, s.Version)
	return &createdOutput[evals.EvalSuite]{ETag: etag(s.Version), Location: "/api/eval-suites/" + s.ID, Body: evalSuiteOut(s)}, nil
}

func (a *API) replaceEvalSuite(ctx context.Context, in *evalSuiteReplaceRequest) (*objectOutput[evals.EvalSuite], error) {
	t := target{kind: kindEvalSuite, op: "update", id: in.ID}
	if blank(in.Body.Name) {
		return nil, blankName("body.name", in.Body.Name)
	}
	change := "edited"
	if in.Body.Cases != nil {
		change = fmt.Sprintf("edited; %d cases", len(in.Body.Cases))
	}
	return a.writeEvalSuite(ctx, t, in.IfMatch, func(ctx context.Context, v int) (evals.EvalSuite, error) {
		return a.deps.Evals.UpdateSuite(ctx, in.Body.suite(in.ID), in.Body.Cases, change, v)
	})
}

// writeEvalSuite runs a versioned write of a suite under If-Match and
// announces it.
func (a *API) writeEvalSuite(ctx context.Context, t target, ifMatch string, write func(context.Context, int) (evals.EvalSuite, error)) (*objectOutput[evals.EvalSuite], error) {
	v, err := ifVersion(ctx, ifMatch, a.evalSuiteVersion(t.id))
	if err != nil {
		return nil, a.failPrecondition(ctx, t, err)
	}
	s, err := write(ctx, v)
	if err != nil {
		return nil, a.failEvalSuite(ctx, t, err)
	}
	a.publish(ctx, resEvalSuite, events.ActionUpdated, s.ID, s.Version)
	return &objectOutput[evals.EvalSuite]{ETag: etag(s.Version), Body: evalSuiteOut(s)}, nil
}

// failEvalSuite is fail with the read-only rule of built-ins spelled out.
func (a *API) failEvalSuite(ctx context.Context, t target, err error) error {
	var se huma.StatusError
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, evals.ErrInvalid) {
		return importProblem(err)
	}
	var inUse *store.InUseError
	if errors.Is(err, store.ErrConflict) && !errors.As(err, &inUse) && t.op != "create" {
		return huma.Error409Conflict(t.subject() + " is built in and read-only; only its labels can be corrected (copy it by export and import to edit it)")
	}
	return a.fail(ctx, t, err)
}

func (a *API) deleteEvalSuite(ctx context.Context, in *evalSuiteDeleteRequest) (*struct{}, error) {
	t := target{kind: kindEvalSuite, op: "delete", id: in.ID}
	v, err := ifVersion(ctx, in.IfMatch, a.evalSuiteVersion(in.ID))
	if err != nil {
		return nil, a.failPrecondition(ctx, t, err)
	}
	v, err = deleteAt(ctx, v, a.evalSuiteVersion(in.ID), func(ctx context.Context, v int) error {
		return a.deps.Evals.DeleteSuite(ctx, in.ID, v)
	})
	if err != nil {
		return nil, a.failEvalSuite(ctx, t, err)
	}
	a.publish(ctx, resEvalSuite, events.ActionDeleted, in.ID, v)
	return nil, nil
}

func (a *API) listEvalSuiteVersions(ctx context.Context, in *evalSuitePageRequest) (*listOutput[evals.EvalSuiteVersion], error) {
	items, next, err := a.deps.Evals.ListSuiteVersions(ctx, in.ID, in.page())
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindEvalSuite, op: "list versions", id: in.ID}, err)
	}
	for i := range items {
		items[i].CreatedAt = utc(items[i].CreatedAt)
	}
	return newList(items, next), nil
}

func (a *API) listEvalCases(ctx context.Context, in *evalSuitePageRequest) (*listOutput[evals.EvalCase], error) {
	items, next, err := a.deps.Evals.ListCases(ctx, in.ID, in.page())
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindEvalSuite, op: "list cases", id: in.ID}, err)
	}
	return newList(items, next), nil
}

// evalSuiteVersion reads the stored version for If-Match lists.
func (a *API) evalSuiteVersion(id string) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		s, err := a.deps.Evals.GetSuite(ctx, id)
		return s.Version, err
	}
}

// exportRequest selects the export format.
type exportRequest struct {
	IDParam
	Format string `query:"format" enum:"jsonl,csv" default:"jsonl" doc:"jsonl or csv."`
}

type exportOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

func (a *API) exportEvalCases(ctx context.Context, in *exportRequest) (*exportOutput, error) {
	cases, err := a.deps.Evals.Cases(ctx, in.ID, 0)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindEvalSuite, op: "export", id: in.ID}, err)
	}
	var buf bytes.Buffer
	out := &exportOutput{ContentType: "application/x-ndjson", ContentDisposition: `attachment; filename="` + in.ID + `.jsonl"`}
	if in.Format == evals.FormatCSV {
		out.ContentType, out.ContentDisposition = "text/csv; charset=utf-8", strings.Replace(out.ContentDisposition, ".jsonl", ".csv", 1)
		err = evals.WriteCSV(&buf, cases)
	} else {
		err = evals.WriteJSONL(&buf, cases)
	}
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindEvalSuite, op: "export", id: in.ID}, err)
	}
	out.Body = buf.Bytes()
	return out, nil
}

// withBody documents the 200 body of an operation that writes raw bytes.
// Huma writes into Responses, so each registration builds its own map.
func withBody(op huma.Operation, desc string, types ...string) huma.Operation {
	content := map[string]*huma.MediaType{}
	for _, t := range types {
		content[t] = &huma.MediaType{Schema: &huma.Schema{Type: "string"}}
	}
	op.Responses = map[string]*huma.Response{"200": {Description: desc, Content: content}}
	return op
}

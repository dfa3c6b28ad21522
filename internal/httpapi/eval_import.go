package httpapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/store"
)

// EvalStore is the evaluation persistence the API reads and writes
// (implemented by evalsql.DB on both databases).
type EvalStore interface {
	ListSuites(ctx context.Context, p store.Page) ([]evals.EvalSuite, string, error)
	GetSuite(ctx context.Context, id string) (evals.EvalSuite, error)
	CreateSuite(ctx context.Context, s evals.EvalSuite, cases []evals.EvalCase) (evals.EvalSuite, error)
	UpdateSuite(ctx context.Context, s evals.EvalSuite, cases []evals.EvalCase, change string, ifVersion int) (evals.EvalSuite, error)
	DeleteSuite(ctx context.Context, id string, ifVersion int) error
	ListSuiteVersions(ctx context.Context, id string, p store.Page) ([]evals.EvalSuiteVersion, string, error)
	ListCases(ctx context.Context, suiteID string, p store.Page) ([]evals.EvalCase, string, error)
	Cases(ctx context.Context, suiteID string, version int) ([]evals.EvalCase, error)
	CorrectCase(ctx context.Context, suiteID, caseID string, to evals.Expected, reason, by string, ifVersion int) (evals.EvalSuite, evals.EvalCase, error)
	GetRun(ctx context.Context, id string) (evals.EvalRun, error)
	ListRuns(ctx context.Context, suiteID string, p store.Page) ([]evals.EvalRun, string, error)
	ListResults(ctx context.Context, runID string, f evals.EvalResultFilter, p store.Page) ([]evals.EvalResult, string, error)
	AllResults(ctx context.Context, runID string, texts bool) ([]evals.EvalResult, error)
	ResultsSince(ctx context.Context, runID string, seq int64, limit int) ([]evals.EvalResult, error)
}

// importRequest is the file to import and how to read it.
type importRequest struct {
	IDParam
	IfMatchParam
	Format          string `query:"format" required:"true" enum:"csv,jsonl" doc:"The file's format."`
	Mode            string `query:"mode" enum:"replace,append" default:"replace" doc:"replace the suite's cases, or append to them (ids must stay unique)."`
	DryRun          bool   `query:"dry_run" doc:"Parse and check only; return the cases without storing them."`
	ColID           string `query:"col_id" maxLength:"200" doc:"Column (CSV) or key (JSONL) of the case id; default id, else the row number."`
	ColInput        string `query:"col_input" maxLength:"200" doc:"Column of the user message; default input."`
	ColExpected     string `query:"col_expected" maxLength:"200" doc:"Column of the label; default expected."`
	ColCategory     string `query:"col_category" maxLength:"200" doc:"Column of the category; default category when present."`
	ColNote         string `query:"col_note" maxLength:"200" doc:"Column of the note; default note when present."`
	ColTurns        string `query:"col_turns" maxLength:"200" doc:"Column holding earlier turns as a JSON array of {role, content}."`
	Labels          string `query:"labels" maxLength:"2000" doc:"Label translations, e.g. safe=ALLOW,unsafe=NOT_ALLOW (source labels compare case-insensitively)."`
	DefaultExpected string `query:"default_expected" enum:"ALLOW,CAUTION,BLOCK,NOT_ALLOW" doc:"Label of every case when the file has no label column."`
	RawBody         []byte `contentType:"text/csv" doc:"The CSV or JSONL file."`
}

// ImportResult answers an import.
type ImportResult struct {
	Suite    *evals.EvalSuite `json:"suite,omitempty" doc:"The suite after the import (absent on a dry run)."`
	Imported int              `json:"imported" doc:"Cases read from the file."`
	Cases    []evals.EvalCase `json:"cases,omitempty" doc:"The parsed cases (dry run only)."`
}

type importOutput struct {
	ETag string `header:"ETag"`
	Body ImportResult
}

// mapping reads the column mapping from the query.
func (in *importRequest) mapping() (evals.Mapping, error) {
	m := evals.Mapping{ID: in.ColID, Input: in.ColInput, Expected: in.ColExpected, Category: in.ColCategory,
		Note: in.ColNote, Turns: in.ColTurns, DefaultExpected: evals.Expected(in.DefaultExpected)}
	if strings.TrimSpace(in.Labels) == "" {
		return m, nil
	}
	m.Labels = map[string]evals.Expected{}
	for _, pair := range strings.Split(in.Labels, ",") {
		from, to, ok := strings.Cut(pair, "=")
		if !ok || strings.TrimSpace(from) == "" {
			return m, huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{
				Location: "query.labels", Message: fmt.Sprintf("%q is not source=LABEL", pair), Value: in.Labels})
		}
		m.Labels[strings.TrimSpace(from)] = evals.Expected(strings.ToUpper(strings.TrimSpace(to)))
	}
	return m, nil
}

// importProblem maps a parse error to a 422 naming the query parameter or
// the row of the body.
func importProblem(err error) error {
	var fe *evals.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	loc := "body." + fe.Field
	switch {
	case fe.Field == "body":
		loc = "body"
	case fe.Field == "format":
		loc = "query.format"
	case fe.Field == "mapping.labels", fe.Field == "mapping.default_expected":
		loc = "query." + strings.TrimPrefix(fe.Field, "mapping.")
	case strings.HasPrefix(fe.Field, "mapping."):
		loc = "query.col_" + strings.TrimPrefix(fe.Field, "mapping.")
	}
	return huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: loc, Message: fe.Message})
}

func (a *API) importEvalCases(ctx context.Context, in *importRequest) (*importOutput, error) {
	t := target{kind: kindEvalSuite, op: "import", id: in.ID}
	m, err := in.mapping()
	if err != nil {
		return nil, err
	}
	cases, err := evals.Parse(in.Format, in.RawBody, m)
	if err != nil {
		return nil, importProblem(err)
	}
	if in.DryRun {
		if _, err := a.deps.Evals.GetSuite(ctx, in.ID); err != nil {
			return nil, a.fail(ctx, t, err)
		}
		return &importOutput{Body: ImportResult{Imported: len(cases), Cases: cases}}, nil
	}
	out, err := a.writeEvalSuite(ctx, t, in.IfMatch, func(ctx context.Context, v int) (evals.EvalSuite, error) {
		cur, err := a.deps.Evals.GetSuite(ctx, in.ID)
		if err != nil {
			return cur, err
		}
		all := cases
		if in.Mode == "append" {
			old, err := a.deps.Evals.Cases(ctx, in.ID, 0)
			if err != nil {
				return cur, err
			}
			all = append(old, cases...)
			if err := evals.ValidateCases("cases", all); err != nil {
				return cur, err
			}
		}
		if v == store.Any {
			v = cur.Version // the list is built from this version
		}
		return a.deps.Evals.UpdateSuite(ctx, cur, all, fmt.Sprintf("imported %d cases (%s, %s)", len(cases), in.Format, in.Mode), v)
	})
	if err != nil {
		if errors.Is(err, evals.ErrInvalid) {
			return nil, importProblem(err)
		}
		return nil, err
	}
	s := out.Body
	return &importOutput{ETag: out.ETag, Body: ImportResult{Suite: &s, Imported: len(cases)}}, nil
}

// correctionInput is a new label for one case.
type correctionInput struct {
	Expected evals.Expected `json:"expected" enum:"ALLOW,CAUTION,BLOCK,NOT_ALLOW" doc:"The right label."`
	Reason   string         `json:"reason" minLength:"1" maxLength:"4000" doc:"Why the label is wrong."`
	By       string         `json:"by" minLength:"1" maxLength:"200" doc:"Who corrects it."`
}

// Resolve implements huma.ResolverWithPath: NUL characters are refused.
func (in *correctionInput) Resolve(_ huma.Context, prefix *huma.PathBuffer) []error {
	errs := rejectNUL(prefix, "reason", in.Reason, "by", in.By)
	if blank(in.Reason) {
		errs = append(errs, &huma.ErrorDetail{Location: prefix.With("reason"), Message: "must not be blank"})
	}
	if blank(in.By) {
		errs = append(errs, &huma.ErrorDetail{Location: prefix.With("by"), Message: "must not be blank"})
	}
	return errs
}

type correctionRequest struct {
	IDParam
	IfMatchParam
	CaseID string `path:"case_id" minLength:"1" maxLength:"128" doc:"The case's id."`
	Body   correctionInput
}

// CorrectionResult is the suite and the case after a label correction.
type CorrectionResult struct {
	Suite evals.EvalSuite `json:"suite"`
	Case  evals.EvalCase  `json:"case"`
}

func (a *API) correctEvalCase(ctx context.Context, in *correctionRequest) (*objectOutput[CorrectionResult], error) {
	t := target{kind: kindEvalSuite, op: "correct", id: in.ID, what: fmt.Sprintf("case %q of eval suite %q", in.CaseID, in.ID)}
	var c evals.EvalCase
	out, err := a.writeEvalSuite(ctx, target{kind: kindEvalSuite, op: "correct", id: in.ID}, in.IfMatch, func(ctx context.Context, v int) (evals.EvalSuite, error) {
		s, cc, err := a.deps.Evals.CorrectCase(ctx, in.ID, in.CaseID, in.Body.Expected, in.Body.Reason, in.Body.By, v)
		c = cc
		if errors.Is(err, store.ErrNotFound) {
			if _, serr := a.deps.Evals.GetSuite(ctx, in.ID); serr != nil {
				return s, serr
			}
			return s, huma.Error404NotFound(t.subject() + " not found")
		}
		return s, err
	})
	if err != nil {
		return nil, err
	}
	if c.Correction != nil {
		c.Correction.At = utc(c.Correction.At)
	}
	return &objectOutput[CorrectionResult]{ETag: out.ETag, Body: CorrectionResult{Suite: out.Body, Case: c}}, nil
}

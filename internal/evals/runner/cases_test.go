package runner_test

import (
	"context"
	"errors"
	"testing"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/evals/evaltest"
	"github.com/superego-lab/superego/internal/llm/demo"
	"github.com/superego-lab/superego/internal/seed"
)

// TestEvalOfSomeCases: an eval given case_ids screens exactly those cases
// (a row rerun under another target), in the suite's order, and records
// them; an unknown or repeated id is refused naming it, and nothing runs.
func TestEvalOfSomeCases(t *testing.T) {
	h := newHarness(t, evaltest.Open(t), demo.New(demo.Options{}))
	cases, err := h.st.Evals.Cases(context.Background(), evals.XSTestID, 1)
	if err != nil {
		t.Fatal(err)
	}
	picked := []string{cases[7].ID, cases[3].ID}
	run := h.run(t, evals.EvalRunRequest{SuiteID: evals.XSTestID, Repeats: 2, Mode: evals.ModeSuperego, CaseIDs: picked,
		Targets: []evals.EvalTarget{{FlowConfigID: seed.FlowStandard}, {FlowConfigID: seed.FlowStandard, ConstitutionID: seed.ConstitutionStrict}}})
	if run.Status != evals.StatusCompleted || run.Total != 8 || run.Done != 8 || len(run.CaseIDs) != 2 || run.CaseIDs[0] != picked[0] {
		t.Fatalf("eval of two cases: %+v", run)
	}
	got := rows(t, h, run.ID, evals.EvalResultFilter{})
	if len(got) != 8 || got[0].CaseID != cases[3].ID || got[7].CaseID != cases[7].ID {
		t.Fatalf("rows: %d, first %s, last %s", len(got), got[0].CaseID, got[len(got)-1].CaseID)
	}
	for _, x := range got {
		if x.CaseID != picked[0] && x.CaseID != picked[1] {
			t.Fatalf("row of case %s, which was not asked for", x.CaseID)
		}
	}

	for _, c := range []struct {
		ids   []string
		field string
	}{
		{[]string{cases[0].ID, "no-such-case"}, "case_ids[1]"},
		{[]string{cases[0].ID, cases[0].ID}, "case_ids[1]"},
	} {
		_, err := h.r.Start(context.Background(), evals.EvalRunRequest{SuiteID: evals.XSTestID, Repeats: 1, Mode: evals.ModeSuperego,
			CaseIDs: c.ids, Targets: []evals.EvalTarget{{FlowConfigID: seed.FlowStandard}}})
		var fe *evals.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("case_ids %q: %v, want a field error on %s", c.ids, err, c.field)
		}
	}
}

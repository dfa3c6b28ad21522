package evalsql_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/evals/evaltest"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

func cases(n int, prefix string) []evals.EvalCase {
	out := make([]evals.EvalCase, n)
	for i := range out {
		out[i] = evals.EvalCase{ID: fmt.Sprintf("c%03d", i), Input: fmt.Sprintf("%s %d", prefix, i), Expected: evals.ExpectAllow, Category: "cat" + fmt.Sprint(i%3)}
	}
	return out
}

func TestSuiteVersionsKeepEveryCaseList(t *testing.T) {
	ctx := context.Background()
	db := evaltest.Open(t).Evals
	s, err := db.CreateSuite(ctx, evals.EvalSuite{Meta: model.Meta{ID: "mine"}, Name: "Mine"}, cases(5, "v1"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 1 || s.CaseCount != 5 || s.Counts[evals.ExpectAllow] != 5 {
		t.Fatalf("created %+v", s)
	}
	if _, err := db.CreateSuite(ctx, evals.EvalSuite{Meta: model.Meta{ID: "mine"}, Name: "Again"}, nil); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate id: %v", err)
	}
	v2 := cases(4, "v1")    // drops c004
	v2[1].Input = "changed" // changes c001
	v2 = append(v2, evals.EvalCase{ID: "new", Input: "added", Expected: evals.ExpectBlock})
	s, err = db.UpdateSuite(ctx, evals.EvalSuite{Meta: model.Meta{ID: "mine"}, Name: "Mine 2"}, v2, "edited", 1)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 2 || s.CaseCount != 5 || s.Counts[evals.ExpectBlock] != 1 {
		t.Fatalf("updated %+v", s)
	}
	if _, err := db.UpdateSuite(ctx, evals.EvalSuite{Meta: model.Meta{ID: "mine"}, Name: "x"}, nil, "", 1); !errors.Is(err, store.ErrVersionMismatch) {
		t.Fatalf("stale If-Match: %v", err)
	}
	old, err := db.Cases(ctx, "mine", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(old) != 5 || old[1].Input != "v1 1" || old[4].ID != "c004" {
		t.Fatalf("version 1 read back as %+v", old)
	}
	cur, err := db.Cases(ctx, "mine", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cur) != 5 || cur[1].Input != "changed" || cur[4].ID != "new" {
		t.Fatalf("current read back as %+v", cur)
	}
	// Paging walks the current cases once each, in order.
	var got []string
	for cursor := ""; ; {
		page, next, err := db.ListCases(ctx, "mine", store.Page{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			got = append(got, c.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(got) != "[c000 c001 c002 c003 new]" {
		t.Fatalf("paged %v", got)
	}
	vs, _, err := db.ListSuiteVersions(ctx, "mine", store.Page{})
	if err != nil || len(vs) != 2 || vs[1].Change != "edited" {
		t.Fatalf("versions %+v %v", vs, err)
	}
}

func TestCorrectionIsKeptAndReachesResults(t *testing.T) {
	ctx := context.Background()
	db := evaltest.Open(t).Evals
	if _, err := db.CreateSuite(ctx, evals.EvalSuite{Meta: model.Meta{ID: "b"}, Name: "B", Builtin: true}, cases(3, "x")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateSuite(ctx, evals.EvalSuite{Meta: model.Meta{ID: "b"}, Name: "B"}, nil, "", store.Any); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("built-in replaced: %v", err)
	}
	if err := db.DeleteSuite(ctx, "b", store.Any); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("built-in deleted: %v", err)
	}
	run, err := db.CreateRun(ctx, evals.EvalRun{ID: "r1", SuiteID: "b", SuiteVersion: 1, Targets: []evals.EvalTarget{{FlowConfigID: "standard"}}, Repeats: 1, Mode: evals.ModeSuperego, Total: 3})
	if err != nil {
		t.Fatal(err)
	}
	ins, done, _, err := db.InsertResult(ctx, evals.EvalResult{EvalRunID: run.ID, CaseID: "c001", Position: 1, Expected: evals.ExpectAllow, Decision: model.DecisionBlock, FinishedAt: time.Now()})
	if err != nil || !ins || done != 1 {
		t.Fatalf("insert: %v %v %d", ins, err, done)
	}
	ins, done, _, err = db.InsertResult(ctx, evals.EvalResult{EvalRunID: run.ID, CaseID: "c001", Position: 1, Expected: evals.ExpectAllow, Decision: model.DecisionAllow, FinishedAt: time.Now()})
	if err != nil || ins || done != 1 {
		t.Fatalf("second insert of the same row: inserted=%v done=%d err=%v", ins, done, err)
	}
	wrong, _, err := db.ListResults(ctx, run.ID, evals.EvalResultFilter{WrongOnly: true}, store.Page{})
	if err != nil || len(wrong) != 1 {
		t.Fatalf("wrong before correction: %v %v", wrong, err)
	}
	s, c, err := db.CorrectCase(ctx, "b", "c001", evals.ExpectNotAllow, "it asks for harm", "alice", 1)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 2 || s.Counts[evals.ExpectNotAllow] != 1 || s.Counts[evals.ExpectAllow] != 2 {
		t.Fatalf("suite after correction %+v", s)
	}
	if c.Correction == nil || c.Correction.From != evals.ExpectAllow || c.Correction.By != "alice" || c.Expected != evals.ExpectNotAllow {
		t.Fatalf("case after correction %+v", c)
	}
	wrong, _, err = db.ListResults(ctx, run.ID, evals.EvalResultFilter{WrongOnly: true}, store.Page{})
	if err != nil || len(wrong) != 0 {
		t.Fatalf("wrong after correction: %+v %v", wrong, err)
	}
	if err := db.DeleteSuite(ctx, "b", store.Any); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("suite with runs deleted: %v", err)
	}
	if _, _, err := db.CorrectCase(ctx, "b", "nope", evals.ExpectBlock, "r", "a", store.Any); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing case: %v", err)
	}
}

func TestResultFilters(t *testing.T) {
	ctx := context.Background()
	db := evaltest.Open(t).Evals
	if _, err := db.CreateSuite(ctx, evals.EvalSuite{Meta: model.Meta{ID: "f"}, Name: "F"}, cases(4, "x")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateRun(ctx, evals.EvalRun{ID: "r", SuiteID: "f", SuiteVersion: 1, Targets: []evals.EvalTarget{{FlowConfigID: "a"}, {FlowConfigID: "b"}}, Repeats: 2, Mode: evals.ModeSuperego, Total: 16}); err != nil {
		t.Fatal(err)
	}
	// c000 flips between repeats on target 0; c001 is always BLOCK (wrong).
	decide := func(c, target, rep int) model.Decision {
		switch {
		case c == 0 && target == 0 && rep == 1:
			return model.DecisionBlock
		case c == 1:
			return model.DecisionBlock
		}
		return model.DecisionAllow
	}
	for c := range 4 {
		for target := range 2 {
			for rep := range 2 {
				if _, _, _, err := db.InsertResult(ctx, evals.EvalResult{EvalRunID: "r", CaseID: fmt.Sprintf("c%03d", c), Target: target, Repeat: rep,
					Position: int64(c), Expected: evals.ExpectAllow, Category: "cat" + fmt.Sprint(c%3), Decision: decide(c, target, rep), FinishedAt: time.Now()}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	one := 1
	for _, tc := range []struct {
		f    evals.EvalResultFilter
		want int
	}{
		{evals.EvalResultFilter{}, 16},
		{evals.EvalResultFilter{FlakyOnly: true}, 2},
		{evals.EvalResultFilter{WrongOnly: true}, 5},
		{evals.EvalResultFilter{WrongOnly: true, Target: &one}, 2},
		{evals.EvalResultFilter{Decision: model.DecisionBlock}, 5},
		{evals.EvalResultFilter{Category: "cat0"}, 8},
	} {
		var n int
		for cursor := ""; ; {
			page, next, err := db.ListResults(ctx, "r", tc.f, store.Page{Limit: 3, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			n += len(page)
			if next == "" {
				break
			}
			cursor = next
		}
		if n != tc.want {
			t.Errorf("filter %+v: %d rows, want %d", tc.f, n, tc.want)
		}
	}
	run, err := db.GetRun(ctx, "r")
	if err != nil || run.Done != 16 {
		t.Fatalf("run %+v %v", run, err)
	}
}

func TestResultKeepsTheParamsSent(t *testing.T) {
	ctx := context.Background()
	db := evaltest.Open(t).Evals
	if _, err := db.CreateSuite(ctx, evals.EvalSuite{Meta: model.Meta{ID: "p"}, Name: "P"}, cases(2, "x")); err != nil {
		t.Fatal(err)
	}
	run, err := db.CreateRun(ctx, evals.EvalRun{ID: "rp", SuiteID: "p", SuiteVersion: 1, Targets: []evals.EvalTarget{{FlowConfigID: "standard"}}, Repeats: 1, Mode: evals.ModeFull, Total: 2})
	if err != nil {
		t.Fatal(err)
	}
	temp, budget, maxTok := 0.4, 3000, 5000
	sp := &model.ModelParams{Temperature: &temp}
	ap := &model.ModelParams{MaxTokens: &maxTok, ThinkingBudget: &budget}
	for _, x := range []evals.EvalResult{
		{EvalRunID: run.ID, CaseID: "c000", Position: 1, Decision: model.DecisionAllow, SuperegoParams: sp, AssistantParams: ap, FinishedAt: time.Now()},
		{EvalRunID: run.ID, CaseID: "c001", Position: 2, Decision: model.DecisionAllow, FinishedAt: time.Now()},
	} {
		if _, _, _, err := db.InsertResult(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	rows, _, err := db.ListResults(ctx, run.ID, evals.EvalResultFilter{}, store.Page{})
	if err != nil || len(rows) != 2 {
		t.Fatalf("list: %d rows, %v", len(rows), err)
	}
	if got := model.EncodeParams(rows[0].SuperegoParams); got != `{"temperature":0.4}` {
		t.Errorf("superego params %s", got)
	}
	if got := model.EncodeParams(rows[0].AssistantParams); got != `{"max_tokens":5000,"thinking_budget":3000}` {
		t.Errorf("assistant params %s", got)
	}
	if rows[1].SuperegoParams != nil || rows[1].AssistantParams != nil {
		t.Errorf("a row without parameters reads back %+v %+v", rows[1].SuperegoParams, rows[1].AssistantParams)
	}
}

package evalstats

import (
	"sort"

	"github.com/superego-lab/superego/internal/model"
)

// Flip is a case whose majority decision differs between A and B.
type Flip struct {
	CaseID    string         `json:"case_id"`
	Category  string         `json:"category"`
	ExpectedA Label          `json:"expected_a"`
	ExpectedB Label          `json:"expected_b"`
	A         model.Decision `json:"a"`
	B         model.Decision `json:"b"`
	ReasonA   string         `json:"reason_a"`
	ReasonB   string         `json:"reason_b"`
	RightA    bool           `json:"right_a"`
	RightB    bool           `json:"right_b"`
}

// McNemar is the exact McNemar test on the right/wrong change from A to B.
type McNemar struct {
	// RightToWrong (b) and WrongToRight (c) count the discordant cases.
	RightToWrong int     `json:"right_to_wrong"`
	WrongToRight int     `json:"wrong_to_right"`
	P            float64 `json:"p"`
}

// Comparison is what changed from A to B.
type Comparison struct {
	// Cases is the number of cases in both A and B.
	Cases      int     `json:"cases"`
	OnlyA      int     `json:"only_a"`
	OnlyB      int     `json:"only_b"`
	FlipMatrix Matrix  `json:"flip_matrix"`
	Flips      []Flip  `json:"flips"`
	McNemar    McNemar `json:"mcnemar"`
}

// verdict is one side's majority decision on a case.
type verdict struct {
	decision model.Decision
	reason   string
	expected Label
	category string
}

// Majority returns the majority decision of one case's rows: the most
// common among rows with a verdict, ties to the more restrictive (BLOCK,
// CAUTION, ALLOW); ERROR only when every row is an error (or no rows).
func Majority(rows []Row) model.Decision {
	counts := map[model.Decision]int{}
	for _, r := range rows {
		if r.Decision != model.DecisionError {
			counts[r.Decision]++
		}
	}
	best, bestN := model.DecisionError, 0
	for _, d := range []model.Decision{model.DecisionBlock, model.DecisionCaution, model.DecisionAllow} {
		if counts[d] > bestN {
			best, bestN = d, counts[d]
		}
	}
	return best
}

// majorities maps each case to its majority verdict and the reason of its
// first row (by repeat) with that decision.
func majorities(rows []Row) ([]string, map[string]verdict) {
	ids, by := caseRows(rows)
	out := make(map[string]verdict, len(ids))
	for _, id := range ids {
		rs := append([]Row(nil), by[id]...)
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].Repeat < rs[j].Repeat })
		d := Majority(rs)
		v := verdict{decision: d, expected: rs[0].Expected, category: rs[0].Category}
		for _, r := range rs {
			if r.Decision == d {
				v.reason = r.Reason
				break
			}
		}
		out[id] = v
	}
	return ids, out
}

// Compare compares two sets of rows case by case (see the package comment):
// two targets of one eval, or one target of two evals of the same suite.
// Flips are in A's case order.
func Compare(a, b []Row) Comparison {
	idsA, va := majorities(a)
	idsB, vb := majorities(b)
	c := Comparison{FlipMatrix: newMatrix(decisionOrder, decisionOrder)}
	for _, id := range idsB {
		if _, ok := va[id]; !ok {
			c.OnlyB++
		}
	}
	for _, id := range idsA {
		x := va[id]
		y, ok := vb[id]
		if !ok {
			c.OnlyA++
			continue
		}
		c.Cases++
		c.FlipMatrix.add(string(x.decision), string(y.decision))
		ra, rb := Right(x.expected, x.decision), Right(y.expected, y.decision)
		switch {
		case ra && !rb:
			c.McNemar.RightToWrong++
		case !ra && rb:
			c.McNemar.WrongToRight++
		}
		if x.decision != y.decision {
			c.Flips = append(c.Flips, Flip{CaseID: id, Category: x.category, ExpectedA: x.expected, ExpectedB: y.expected,
				A: x.decision, B: y.decision, ReasonA: x.reason, ReasonB: y.reason, RightA: ra, RightB: rb})
		}
	}
	c.McNemar.P = McNemarExact(c.McNemar.RightToWrong, c.McNemar.WrongToRight)
	return c
}

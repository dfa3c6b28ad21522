package evalstats

import (
	"fmt"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/model"
)

// side builds rows: for each case its label and its decisions by repeat,
// stored in reverse repeat order so the reason lookup must sort them.
func side(name string, cases map[string]Label, order []string, ds map[string][]model.Decision) []Row {
	var rows []Row
	for _, id := range order {
		d, ok := ds[id]
		if !ok {
			continue
		}
		for i := len(d) - 1; i >= 0; i-- {
			rows = append(rows, Row{CaseID: id, Category: "cat-" + id, Expected: cases[id], Decision: d[i], Repeat: i,
				Reason: fmt.Sprintf("%s-%s-%d", name, id, i)})
		}
	}
	return rows
}

func TestCompareByHand(t *testing.T) {
	t.Parallel()
	labels := map[string]Label{"p1": LabelAllow, "p2": LabelNotAllow, "p3": LabelNotAllow, "p4": LabelAllow,
		"p5": LabelAllow, "p6": LabelAllow, "p7": LabelBlock}
	order := []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7"}
	a := side("a", labels, order, map[string][]model.Decision{
		"p1": {A, A, B}, "p2": {A}, "p3": {C, B}, "p4": {E, E}, "p5": {A}, "p7": {C},
	})
	b := side("b", labels, order, map[string][]model.Decision{
		"p1": {B, B, A}, "p2": {C}, "p3": {B}, "p4": {A, E}, "p6": {A}, "p7": {C},
	})
	c := Compare(a, b)
	if c.Cases != 5 || c.OnlyA != 1 || c.OnlyB != 1 {
		t.Fatalf("cases %d onlyA %d onlyB %d", c.Cases, c.OnlyA, c.OnlyB)
	}
	for _, x := range []struct {
		from, to model.Decision
		n        int
	}{{A, B, 1}, {A, C, 1}, {B, B, 1}, {E, A, 1}, {C, C, 1}, {A, A, 0}} {
		if got := c.FlipMatrix.At(string(x.from), string(x.to)); got != x.n {
			t.Errorf("flip[%s][%s] = %d, want %d", x.from, x.to, got, x.n)
		}
	}
	var flips []string
	for _, f := range c.Flips {
		flips = append(flips, fmt.Sprintf("%s:%s>%s:%v>%v:%s|%s", f.CaseID, f.A, f.B, f.RightA, f.RightB, f.ReasonA, f.ReasonB))
	}
	want := []string{
		"p1:ALLOW>BLOCK:true>false:a-p1-0|b-p1-0",
		"p2:ALLOW>CAUTION:false>true:a-p2-0|b-p2-0",
		"p4:ERROR>ALLOW:false>true:a-p4-0|b-p4-0",
	}
	if strings.Join(flips, "\n") != strings.Join(want, "\n") {
		t.Fatalf("flips:\n%s\nwant:\n%s", strings.Join(flips, "\n"), strings.Join(want, "\n"))
	}
	if c.McNemar.RightToWrong != 1 || c.McNemar.WrongToRight != 2 {
		t.Errorf("mcnemar %+v", c.McNemar)
	}
	// 2·P(X ≤ 1), X ~ Bin(3, ½) = 2·4/8 = 1.
	near(t, "p", c.McNemar.P, 1)
}

func TestMajority(t *testing.T) {
	t.Parallel()
	row := func(ds ...model.Decision) []Row {
		var out []Row
		for _, d := range ds {
			out = append(out, Row{Decision: d})
		}
		return out
	}
	for _, c := range []struct {
		rows []Row
		want model.Decision
	}{
		{row(A, A, B), A}, {row(A, B), B}, {row(A, C), C}, {row(C, B), B}, {row(A, C, B), B},
		{row(E, E, A), A}, {row(E, E), E}, {nil, E}, {row(A, A, C, C, B), C},
	} {
		if got := Majority(c.rows); got != c.want {
			t.Errorf("Majority(%v) = %s, want %s", c.rows, got, c.want)
		}
	}
}

func TestCompareOneKeywordFlip(t *testing.T) {
	t.Parallel()
	// Many cases, one changed: exactly it flips, and McNemar sees one
	// discordant pair (p = 1).
	labels := map[string]Label{}
	var order []string
	da, db := map[string][]model.Decision{}, map[string][]model.Decision{}
	for i := range 50 {
		id := fmt.Sprintf("k%02d", i)
		order = append(order, id)
		labels[id] = LabelNotAllow
		da[id], db[id] = []model.Decision{B, B, B}, []model.Decision{B, B, B}
	}
	db["k17"] = []model.Decision{A, A, A}
	c := Compare(side("a", labels, order, da), side("b", labels, order, db))
	if len(c.Flips) != 1 || c.Flips[0].CaseID != "k17" || c.McNemar.RightToWrong != 1 || c.McNemar.P != 1 {
		t.Fatalf("comparison %+v", c)
	}
	if c.FlipMatrix.At("BLOCK", "BLOCK") != 49 || c.FlipMatrix.At("BLOCK", "ALLOW") != 1 {
		t.Fatalf("flip matrix %+v", c.FlipMatrix)
	}
}

package evalstats

import (
	"testing"

	"github.com/superego-lab/superego/internal/model"
)

// TestOutputMetricsByHand: eight rows; the numbers below are counted from
// the list by hand.
func TestOutputMetricsByHand(t *testing.T) {
	t.Parallel()
	r := func(id string, l Label, in, out model.Decision) Row {
		return Row{CaseID: id, Expected: l, Decision: in, OutputDecision: out}
	}
	rows := []Row{
		r("a1", LabelAllow, A, A),    // answered, kept
		r("a2", LabelAllow, A, B),    // an ALLOW case withdrawn
		r("a3", LabelAllow, C, C),    // kept with a caution
		r("n1", LabelNotAllow, A, B), // missed by the input, caught
		r("n2", LabelNotAllow, A, A), // missed by both
		r("n3", LabelNotAllow, B, ""),
		r("b1", LabelBlock, A, E),   // missed by the input, the output screen failed: withdrawn
		r("c1", LabelCaution, C, A), // stopped by the input (CAUTION): not counted in caught
	}
	o := Summarize(rows, Options{}).Output
	if o == nil {
		t.Fatal("no output metrics")
	}
	// Seven rows have an output verdict (n3 was blocked before an answer).
	if o.Screened != 7 || o.Allow != 3 || o.Caution != 1 || o.Block != 2 || o.Error != 1 {
		t.Fatalf("counts %+v", *o)
	}
	// Withdrawn: a2, n1, b1 of seven.
	rate(t, "withdrawn", o.Withdrawn, 3, 7)
	// Not allowed and let through by the input: n1, n2, b1; caught n1, b1.
	rate(t, "caught", o.Caught, 2, 3)
	// ALLOW rows screened: a1, a2, a3; withdrawn a2.
	rate(t, "over_withdrawn", o.OverWithdrawn, 1, 3)
	lo, hi := Wilson(2, 3, z95)
	near(t, "caught low", o.Caught.Low, lo)
	near(t, "caught high", o.Caught.High, hi)
}

func TestNoOutputMetricsWithoutOutputVerdicts(t *testing.T) {
	t.Parallel()
	if o := Summarize(handRows(), Options{}).Output; o != nil {
		t.Fatalf("output metrics %+v from rows without an output verdict", *o)
	}
}

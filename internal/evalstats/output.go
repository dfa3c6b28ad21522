package evalstats

import "github.com/superego-lab/superego/internal/model"

// OutputMetrics are the output screen's numbers on one target's answers,
// from full-mode evals of a flow config that screens output. Only rows
// with an output verdict count: an input BLOCK leaves no answer to judge.
type OutputMetrics struct {
	// Screened is the number of rows whose answer the output screen judged.
	Screened int `json:"screened"`
	// Allow, Caution, Block and Error count the output verdicts.
	Allow   int `json:"allow"`
	Caution int `json:"caution"`
	Block   int `json:"block"`
	Error   int `json:"error"`
	// Withdrawn: answers withdrawn (BLOCK, or ERROR under the block
	// policy), of those screened.
	Withdrawn Rate `json:"withdrawn"`
	// Caught: of the rows labelled not to be allowed that the input
	// verdict let through (ALLOW), those whose answer was withdrawn —
	// what the output screen adds to the input screen.
	Caught Rate `json:"caught"`
	// OverWithdrawn: of the screened rows labelled ALLOW, those whose
	// answer was withdrawn.
	OverWithdrawn Rate `json:"over_withdrawn"`
}

// withdraws is evals.Withdraws, kept here so the statistics depend on
// nothing but the model.
func withdraws(d model.Decision) bool { return d == model.DecisionBlock || d == model.DecisionError }

// outputMetrics computes OutputMetrics, nil when no row has an output
// verdict.
func outputMetrics(rows []Row) *OutputMetrics {
	var o OutputMetrics
	var withdrawn, missed, caught, allowed, over int
	for _, r := range rows {
		if r.OutputDecision == "" {
			continue
		}
		o.Screened++
		switch r.OutputDecision {
		case model.DecisionAllow:
			o.Allow++
		case model.DecisionCaution:
			o.Caution++
		case model.DecisionBlock:
			o.Block++
		default:
			o.Error++
		}
		w := withdraws(r.OutputDecision)
		if w {
			withdrawn++
		}
		if notAllowed(r.Expected) && r.Decision == model.DecisionAllow {
			missed++
			if w {
				caught++
			}
		}
		if r.Expected == LabelAllow {
			allowed++
			if w {
				over++
			}
		}
	}
	if o.Screened == 0 {
		return nil
	}
	o.Withdrawn, o.Caught, o.OverWithdrawn = NewRate(withdrawn, o.Screened), NewRate(caught, missed), NewRate(over, allowed)
	return &o
}

package evals

import (
	"time"

	"github.com/superego-lab/superego/internal/evalstats"
	"github.com/superego-lab/superego/internal/model"
)

// An attribution explains verdicts by ablation ("Why this verdict?",
// docs/design.md): for each verdict (an item) the superego is called again
// with the whole constitution and with each top-level section removed (and
// alone). It covers one stored superego message, or every non-ALLOW row of
// a finished eval. Every call is stored as it ends, with its thinking.

// Attribution kinds.
const (
	AttributionMessage = "message"
	AttributionEval    = "eval"
	// AttributionRow explains one row of an eval ("Why?" on the row).
	AttributionRow = "row"
)

// Attribution is one "Why?" or "Attribute" job.
type Attribution struct {
	ID        string `json:"id"`
	Kind      string `json:"kind" enum:"message,eval,row" doc:"message: one stored superego decision; eval: every CAUTION and BLOCK row of an eval run; row: one row of an eval run."`
	MessageID string `json:"message_id,omitempty"`
	EvalRunID string `json:"eval_run_id,omitempty"`
	Alone     bool   `json:"alone" doc:"Each section is also run alone (sections × 2 + 1 calls per verdict)."`
	Status    string `json:"status" enum:"queued,running,completed,cancelled,failed"`
	Items     int    `json:"items" doc:"Verdicts explained."`
	Total     int    `json:"total" doc:"Superego calls planned, over every item."`
	Done      int    `json:"done" doc:"Superego calls finished so far."`
	// ItemsDone counts items whose every call is stored.
	ItemsDone  int        `json:"items_done"`
	Error      string     `json:"error,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// AttributionSection is what one section does to one verdict.
type AttributionSection struct {
	ID         string `json:"id" doc:"Slug of the heading, stable across versions that keep the heading."`
	Heading    string `json:"heading"`
	Necessary  bool   `json:"necessary" doc:"Removing the section changes the verdict."`
	Sufficient bool   `json:"sufficient" doc:"The section alone gives the verdict (only when alone was asked)."`
	Effect     string `json:"effect" enum:"necessary,sufficient,necessary and sufficient,no effect,unknown"`
}

// AttributionItem is one verdict being explained and, once its calls are
// done, the explanation.
type AttributionItem struct {
	Item int `json:"item" doc:"0-based index in the attribution."`
	// Ref is the superego message's id, or the eval row's case id.
	Ref                 string `json:"ref"`
	Target              int    `json:"target" doc:"The eval row's target (0 for a message)."`
	Repeat              int    `json:"repeat" doc:"The eval row's repeat (0 for a message)."`
	Category            string `json:"category,omitempty"`
	Input               string `json:"input"`
	FlowConfigID        string `json:"flow_config_id"`
	ConstitutionID      string `json:"constitution_id,omitempty" doc:"The constitution the sections come from (empty for a draft)."`
	ConstitutionVersion int    `json:"constitution_version,omitempty"`
	DraftHash           string `json:"draft_hash,omitempty"`
	Calls               int    `json:"calls" doc:"Superego calls this verdict takes."`
	// Finished: every call is stored and the sections below are final.
	Finished bool                 `json:"finished"`
	Decision model.Decision       `json:"decision,omitempty" doc:"The verdict with the whole constitution, in this attribution."`
	Cited    string               `json:"cited,omitempty" doc:"The heading the superego cited with the whole constitution."`
	CitedID  string               `json:"cited_id,omitempty"`
	Faithful *bool                `json:"faithful" doc:"The cited section is necessary or sufficient; null when none was cited."`
	Sections []AttributionSection `json:"sections"`
}

// AttributionCall is one stored superego call of an attribution.
type AttributionCall struct {
	Item      int            `json:"item"`
	Index     int            `json:"index" doc:"0-based call number within the item: 0 is the whole text."`
	Kind      string         `json:"kind" enum:"full,without,only"`
	SectionID string         `json:"section_id,omitempty" doc:"The section removed (without) or kept (only)."`
	Decision  model.Decision `json:"decision"`
	Reason    string         `json:"reason"`
	Cited     string         `json:"cited"`
	Thinking  string         `json:"thinking"`
	Visible   string         `json:"visible"`
	Model     string         `json:"model"`
	Usage     model.Usage    `json:"usage"`
	LatencyMs int64          `json:"latency_ms"`
	Error     string         `json:"error,omitempty"`
}

// HeatCell is one cell of the section × category heatmap: of the rows of a
// category whose attribution finished, how many had the section necessary.
type HeatCell struct {
	Section             string `json:"section" doc:"The section's heading."`
	SectionID           string `json:"section_id"`
	ConstitutionID      string `json:"constitution_id,omitempty"`
	ConstitutionVersion int    `json:"constitution_version,omitempty"`
	Category            string `json:"category"`
	Necessary           int    `json:"necessary" doc:"Rows where removing the section changed the verdict."`
	Sufficient          int    `json:"sufficient"`
	Rows                int    `json:"rows" doc:"Finished rows of the category judged with a text holding this section."`
}

// AttributionSummary is what an eval attribution found over its rows.
type AttributionSummary struct {
	Heatmap []HeatCell `json:"heatmap"`
	// Faithfulness is the share of rows citing a section whose citation is
	// faithful, with its 95 % Wilson interval.
	Faithfulness evalstats.Rate `json:"faithfulness"`
	// Uncited counts finished rows whose verdict cited no section.
	Uncited  int `json:"uncited"`
	Finished int `json:"finished" doc:"Items whose every call is stored."`
}

// Summarize builds the heatmap and the faithfulness rate from the finished
// items. Sections are keyed by heading and constitution version, so rows
// judged under two versions of one text line up when the heading stayed.
func Summarize(items []AttributionItem) AttributionSummary {
	type key struct {
		id, cid string
		ver     int
		cat     string
	}
	cells := map[key]*HeatCell{}
	var order []key // first seen first: sections in the text's order
	var out AttributionSummary
	faithful := 0
	cited := 0
	for _, it := range items {
		if !it.Finished {
			continue
		}
		out.Finished++
		for _, s := range it.Sections {
			k := key{s.ID, it.ConstitutionID, it.ConstitutionVersion, it.Category}
			c := cells[k]
			if c == nil {
				c = &HeatCell{Section: s.Heading, SectionID: s.ID, ConstitutionID: it.ConstitutionID,
					ConstitutionVersion: it.ConstitutionVersion, Category: it.Category}
				cells[k] = c
				order = append(order, k)
			}
			c.Rows++
			if s.Necessary {
				c.Necessary++
			}
			if s.Sufficient {
				c.Sufficient++
			}
		}
		if it.Faithful == nil {
			out.Uncited++
			continue
		}
		cited++
		if *it.Faithful {
			faithful++
		}
	}
	out.Heatmap = make([]HeatCell, 0, len(order))
	for _, k := range order {
		out.Heatmap = append(out.Heatmap, *cells[k])
	}
	out.Faithfulness = evalstats.NewRate(faithful, cited)
	return out
}

// MaxAttributionItems bounds the rows one eval attribution explains.
const MaxAttributionItems = 5000

// PlanModel is the calls an attribution makes to one model and the tokens
// they are estimated to use.
type PlanModel struct {
	Model        string      `json:"model"`
	Calls        int         `json:"calls"`
	InputTokens  int         `json:"input_tokens" doc:"Estimated: about four characters a token of each call's prompt."`
	OutputTokens int         `json:"output_tokens" doc:"Assumed: a short verdict per call."`
	Cost         *model.Cost `json:"cost,omitempty" doc:"At the model's price; absent when the model has no price."`
}

// AttributionPlan is what an attribution will do, shown before it runs.
type AttributionPlan struct {
	Kind  string `json:"kind" enum:"message,eval,row"`
	Alone bool   `json:"alone"`
	Items int    `json:"items" doc:"Verdicts to explain."`
	// Skipped counts eval rows left out: ERROR rows (no verdict to
	// explain) and rows whose constitution has no sections.
	Skipped int `json:"skipped"`
	Calls   int `json:"calls" doc:"Superego calls: per verdict sections + 1, or sections × 2 + 1 with alone."`
	// Sections of the message's constitution version (message kind).
	Sections            []AttributionSection `json:"sections,omitempty"`
	ConstitutionID      string               `json:"constitution_id,omitempty"`
	ConstitutionVersion int                  `json:"constitution_version,omitempty"`
	Models              []PlanModel          `json:"models"`
	// Cost is the sum over models; absent when a model has no price.
	Cost *model.Cost `json:"cost,omitempty"`
}

// Price fills the plan's costs with price (which reports false for a model
// without a price).
func (p *AttributionPlan) Price(price func(m string, u model.Usage) (model.Cost, bool)) {
	if price == nil {
		return
	}
	total := &model.Cost{}
	for i, m := range p.Models {
		c, ok := price(m.Model, model.Usage{InputTokens: m.InputTokens, OutputTokens: m.OutputTokens})
		if !ok {
			total = nil
			continue
		}
		p.Models[i].Cost = &c
		if total != nil {
			total.USD += c.USD
			total.Source = c.Source
		}
	}
	if len(p.Models) > 0 {
		p.Cost = total
	}
}

// RowRef names one row of an eval run.
type RowRef struct {
	CaseID string `json:"case_id" minLength:"1" maxLength:"200"`
	Target int    `json:"target" minimum:"0" maximum:"7"`
	Repeat int    `json:"repeat" minimum:"0" maximum:"9"`
}

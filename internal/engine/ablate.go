package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/superego-lab/superego/internal/constitution"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// "Why this verdict?" by ablation: the superego judges the same input with
// the whole constitution, with each top-level section removed and,
// optionally, with each section alone. A section is necessary when
// removing it changes the verdict and sufficient when it alone gives the
// verdict; the section the superego cited with the whole constitution is
// faithful when it is necessary or sufficient.

// Ablation variants.
const (
	VariantFull    = "full"
	VariantWithout = "without"
	VariantOnly    = "only"
)

// AblationRequest is one verdict to explain.
type AblationRequest struct {
	// FlowConfigID gives the superego's model.
	FlowConfigID string
	// Constitution is the text ablated; its ID and version are recorded.
	Constitution model.Constitution
	// Earlier is the conversation before Input, alternating user and
	// assistant messages, oldest first.
	Earlier []llm.Message
	Input   string
	// Alone also runs each section on its own.
	Alone bool
	// Done holds the variants of an ablation resumed after a restart, in
	// call order: those calls are not made again, so a verdict never costs
	// more than AblationCalls however often its job is retried.
	Done []AblationVariant
	// Background yields the upstream slots to chat runs, as evals do.
	Background bool
	// history is the stored conversation (blocked turns marked), set by
	// PrepareAblation; it wins over Earlier.
	history []turn
}

// AblationCalls is the number of superego calls an ablation makes: one
// with the whole text and one per section removed, and one more per
// section alone when alone is set.
func AblationCalls(sections int, alone bool) int {
	if alone {
		return 2*sections + 1
	}
	return sections + 1
}

// AblationVariant is the superego's verdict on one variant of the text.
type AblationVariant struct {
	Kind string `json:"kind" enum:"full,without,only"`
	// SectionID is the section removed (without) or kept (only).
	SectionID string         `json:"section_id,omitempty"`
	Decision  model.Decision `json:"decision"`
	Reason    string         `json:"reason"`
	// Cited is the heading the superego cited, "" for none.
	Cited    string      `json:"cited"`
	Thinking string      `json:"thinking"`
	Visible  string      `json:"visible"`
	Usage    model.Usage `json:"usage"`
	Error    string      `json:"error,omitempty"`
	// Model is the superego model that answered; LatencyMs the call's time.
	Model     string `json:"model,omitempty"`
	LatencyMs int64  `json:"latency_ms,omitempty"`
}

// SectionEffect is what one section does to the verdict.
type SectionEffect struct {
	ID         string `json:"id"`
	Heading    string `json:"heading"`
	Necessary  bool   `json:"necessary" doc:"Removing the section changes the verdict."`
	Sufficient bool   `json:"sufficient" doc:"The section alone gives the verdict (only when alone was asked)."`
	// Effect is "necessary", "sufficient", "necessary and sufficient",
	// "no effect", or "unknown" when a variant it depends on failed.
	Effect string `json:"effect"`
}

// Ablation is the explanation of one verdict.
type Ablation struct {
	ConstitutionID      string            `json:"constitution_id,omitempty"`
	ConstitutionVersion int               `json:"constitution_version,omitempty"`
	Sections            []SectionEffect   `json:"sections"`
	Full                AblationVariant   `json:"full"`
	Variants            []AblationVariant `json:"variants"`
	// CitedID is the section the whole-text verdict cited ("" for none).
	CitedID string `json:"cited_id"`
	// Faithful: the cited section is necessary or sufficient; nil when no
	// section was cited.
	Faithful *bool `json:"faithful"`
	Calls    int   `json:"calls"`
}

// Ablate explains a verdict by ablation (see the top of this file). It
// makes exactly AblationCalls(sections, req.Alone) superego calls, in
// order, under the engine's upstream limit, and reports each finished one
// to progress (may be nil). Cancelling ctx stops the call in flight and
// the rest; the error is then ctx's.
func (e *Engine) Ablate(ctx context.Context, req AblationRequest, progress func(done, total int, v AblationVariant)) (Ablation, error) {
	flow, err := e.resolveFlow(ctx, model.FlowInstance{FlowConfigID: req.FlowConfigID})
	if err != nil {
		return Ablation{}, err
	}
	text := req.Constitution.Content
	secs := constitution.Sections(text)
	total := AblationCalls(len(secs), req.Alone)
	out := Ablation{ConstitutionID: req.Constitution.ID, ConstitutionVersion: req.Constitution.Version}
	jobs := ablationJobs(text, secs, req.Alone)
	turns := req.history
	if turns == nil {
		turns = earlierTurns(req.Earlier)
	}
	for i, j := range jobs {
		var v AblationVariant
		if i < len(req.Done) && req.Done[i].Kind == j.kind && req.Done[i].SectionID == j.id {
			v = req.Done[i]
		} else {
			flow.superego = true
			flow.constitution = req.Constitution
			flow.constitution.Content = j.text
			v, err = e.ablationCall(ctx, flow, turns, req.Input, req.Background)
			if err != nil {
				return out, err
			}
			v.Kind, v.SectionID = j.kind, j.id
		}
		out.Calls++
		if j.kind == VariantFull {
			out.Full = v
		} else {
			out.Variants = append(out.Variants, v)
		}
		if progress != nil && i >= len(req.Done) {
			progress(i+1, total, v)
		}
	}
	out.Sections, out.CitedID, out.Faithful = AnalyzeAblation(secs, out.Full, out.Variants, req.Alone)
	return out, nil
}

// ablationJob is one variant of the text to screen.
type ablationJob struct {
	kind, id, text string
}

// ablationJobs lists the variants in call order: the whole text, each
// section removed, then (alone) each section alone.
func ablationJobs(text string, secs []constitution.Section, alone bool) []ablationJob {
	jobs := []ablationJob{{VariantFull, "", text}}
	for _, s := range secs {
		t, _ := constitution.Without(text, s.ID)
		jobs = append(jobs, ablationJob{VariantWithout, s.ID, t})
	}
	if alone {
		for _, s := range secs {
			t, _ := constitution.Only(text, s.ID)
			jobs = append(jobs, ablationJob{VariantOnly, s.ID, t})
		}
	}
	return jobs
}

// AblationOutputTokens is the output assumed per call when estimating an
// ablation's cost before it runs (a verdict with a short rationale).
const AblationOutputTokens = 200

// EstimateAblation is the input tokens the ablation's calls will send, about
// four characters a token of each call's prompt (instructions, the
// variant's text, the conversation and the input), and the model they go to.
func (e *Engine) EstimateAblation(ctx context.Context, req AblationRequest) (inputTokens int, modelName string, err error) {
	flow, err := e.resolveFlow(ctx, model.FlowInstance{FlowConfigID: req.FlowConfigID})
	if err != nil {
		return 0, "", err
	}
	turns := req.history
	if turns == nil {
		turns = earlierTurns(req.Earlier)
	}
	text := req.Constitution.Content
	chars := 0
	for _, j := range ablationJobs(text, constitution.Sections(text), req.Alone) {
		flow.superego = true
		flow.constitution = req.Constitution
		flow.constitution.Content = j.text
		r := &run{e: e, flow: flow, userMsg: model.Message{Role: model.RoleUser, Content: req.Input}}
		lr := r.superegoRequest(turns)
		chars += len(lr.System)
		for _, m := range lr.Messages {
			chars += len(m.Content)
		}
	}
	return (chars + 3) / 4, (&ScreenTarget{flow: flow}).Model(e), nil
}

// ablationCall runs the superego once on a variant; a failed call or a
// reply without a decision is an ERROR variant, only ctx's end an error.
func (e *Engine) ablationCall(ctx context.Context, flow flowSettings, turns []turn, input string, background bool) (AblationVariant, error) {
	r := &run{e: e, flow: flow, userMsg: model.Message{Role: model.RoleUser, Content: input}}
	var text, thinking strings.Builder
	c, err := e.streamAs(ctx, r.superegoRequest(turns), collect(&text, &thinking), background)
	v := AblationVariant{Thinking: thinking.String(), Visible: text.String(), Usage: c.usage,
		Model: (&ScreenTarget{flow: flow}).Model(e), LatencyMs: c.total.Milliseconds()}
	switch {
	case ctx.Err() != nil:
		return v, context.Cause(ctx)
	case err != nil:
		v.Decision, v.Error = model.DecisionError, err.Error()
	default:
		d, reason, ok := ParseDecision(v.Visible)
		if !ok {
			d, v.Error = model.DecisionError, "the superego's reply has no decision line"
		}
		v.Decision, v.Reason, v.Cited = d, reason, ParseSection(v.Visible, flow.constitution.Content)
	}
	return v, nil
}

// earlierTurns turns alternating user and assistant messages into turns.
func earlierTurns(msgs []llm.Message) []turn {
	var out []turn
	for _, m := range msgs {
		switch m.Role {
		case model.RoleUser:
			out = append(out, turn{user: histMessage{role: model.RoleUser, content: m.Content}})
		case model.RoleAssistant:
			if n := len(out); n > 0 {
				out[n-1].assistant = &histMessage{role: model.RoleAssistant, content: m.Content}
			}
		}
	}
	return out
}

// AnalyzeAblation marks each section from the variants' verdicts and
// checks the full verdict's citation: necessary when the verdict without
// the section differs from the full one, sufficient when the verdict with
// the section alone equals it. A comparison with an ERROR verdict is
// unknown. Faithful is nil when the full verdict cited no section.
func AnalyzeAblation(secs []constitution.Section, full AblationVariant, variants []AblationVariant, alone bool) ([]SectionEffect, string, *bool) {
	find := func(kind, id string) (AblationVariant, bool) {
		for _, v := range variants {
			if v.Kind == kind && v.SectionID == id {
				return v, true
			}
		}
		return AblationVariant{}, false
	}
	out := make([]SectionEffect, 0, len(secs))
	for _, s := range secs {
		se := SectionEffect{ID: s.ID, Heading: s.Heading}
		unknown := full.Decision == model.DecisionError
		if w, ok := find(VariantWithout, s.ID); ok && w.Decision != model.DecisionError && !unknown {
			se.Necessary = w.Decision != full.Decision
		} else {
			unknown = true
		}
		if alone {
			if o, ok := find(VariantOnly, s.ID); ok && o.Decision != model.DecisionError && full.Decision != model.DecisionError {
				se.Sufficient = o.Decision == full.Decision
			} else {
				unknown = true
			}
		}
		switch {
		case se.Necessary && se.Sufficient:
			se.Effect = "necessary and sufficient"
		case se.Necessary:
			se.Effect = "necessary"
		case se.Sufficient:
			se.Effect = "sufficient"
		case unknown:
			se.Effect = "unknown"
		default:
			se.Effect = "no effect"
		}
		out = append(out, se)
	}
	var citedID string
	if s, ok := constitution.Find(secs, full.Cited); ok && full.Cited != "" {
		citedID = s.ID
	}
	if citedID == "" {
		return out, "", nil
	}
	faithful := false
	for _, se := range out {
		if se.ID == citedID {
			faithful = se.Necessary || se.Sufficient
		}
	}
	return out, citedID, &faithful
}

// ErrNoSections is returned for a constitution without sections to ablate.
var ErrNoSections = errors.New("the constitution has no sections to ablate")

// CheckAblatable reports whether a constitution text can be ablated.
func CheckAblatable(text string) error {
	if len(constitution.Sections(text)) == 0 {
		return fmt.Errorf("%w (a Markdown heading starts a section)", ErrNoSections)
	}
	return nil
}

// ErrNotADecision: the message is not a superego message with a verdict.
var ErrNotADecision = errors.New("not a superego decision")

// AblationPlan is what explaining a stored decision will do, shown before
// it runs: the sections (identified by heading, from the constitution
// version the decision was made under) and the number of superego calls.
type AblationPlan struct {
	MessageID           string                 `json:"message_id"`
	ConstitutionID      string                 `json:"constitution_id"`
	ConstitutionVersion int                    `json:"constitution_version"`
	Sections            []constitution.Section `json:"sections"`
	Alone               bool                   `json:"alone"`
	Calls               int                    `json:"calls" doc:"Superego calls the ablation makes: sections + 1, or sections × 2 + 1 with alone."`
	// Model is the superego model the calls go to (for pricing).
	Model string `json:"model"`
}

// PrepareAblation loads what explaining the stored superego decision
// messageID needs: the constitution text of the version it was made under,
// the user's message and the conversation before it, under the flow
// config of its run. Errors: ErrRunNotFound for an unknown message,
// ErrNotADecision, ErrNoSections.
func (e *Engine) PrepareAblation(ctx context.Context, messageID string, alone bool) (AblationRequest, AblationPlan, error) {
	msg, err := e.st.GetMessage(ctx, messageID)
	if errors.Is(err, store.ErrNotFound) {
		return AblationRequest{}, AblationPlan{}, fmt.Errorf("message %q: %w", messageID, ErrRunNotFound)
	}
	if err != nil {
		return AblationRequest{}, AblationPlan{}, err
	}
	if msg.Role != model.RoleSuperego || msg.Decision == "" || msg.RunID == "" || msg.ConstitutionID == "" {
		return AblationRequest{}, AblationPlan{}, fmt.Errorf("message %q: %w", messageID, ErrNotADecision)
	}
	run, err := e.Run(ctx, msg.RunID)
	if err != nil {
		return AblationRequest{}, AblationPlan{}, err
	}
	cv, err := e.st.GetConstitutionVersion(ctx, msg.ConstitutionID, msg.ConstitutionVersion)
	if err != nil {
		return AblationRequest{}, AblationPlan{}, fmt.Errorf("constitution %s@%d: %w", msg.ConstitutionID, msg.ConstitutionVersion, err)
	}
	if err := CheckAblatable(cv.Content); err != nil {
		return AblationRequest{}, AblationPlan{}, err
	}
	user, err := e.st.GetMessage(ctx, run.UserMessageID)
	if err != nil {
		return AblationRequest{}, AblationPlan{}, fmt.Errorf("the user message of run %q: %w", run.ID, err)
	}
	// The conversation before the user's message, as the run saw it.
	turns, err := readTurns(func(before int) ([]histMessage, error) {
		if before == 0 {
			before = user.Position
		}
		msgs, err := e.st.RecentHistory(ctx, msg.FlowInstanceID, before, historyPage)
		return histOfAll(msgs), err
	}, historyPage, e.cfg.HistoryBudgetChars, user.ID, run.ID)
	if err != nil {
		return AblationRequest{}, AblationPlan{}, err
	}
	var earlier []llm.Message
	for _, t := range turns {
		earlier = append(earlier, llm.Message{Role: model.RoleUser, Content: t.user.content})
		if t.assistant != nil && !t.blocked {
			earlier = append(earlier, llm.Message{Role: model.RoleAssistant, Content: t.assistant.content})
		}
	}
	req := AblationRequest{
		FlowConfigID: run.FlowConfigID,
		Constitution: model.Constitution{Meta: model.Meta{ID: cv.ConstitutionID, Version: cv.Version}, Content: cv.Content},
		Earlier:      earlier, Input: user.Content, Alone: alone, history: turns,
	}
	secs := constitution.Sections(cv.Content)
	return req, AblationPlan{MessageID: msg.ID, ConstitutionID: cv.ConstitutionID, ConstitutionVersion: cv.Version,
		Sections: secs, Alone: alone, Calls: AblationCalls(len(secs), alone), Model: msg.Model}, nil
}

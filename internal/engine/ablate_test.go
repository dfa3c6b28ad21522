package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/constitution"
	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/demo"
	"github.com/superego-lab/superego/internal/llm/llmtest"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store/teststore"
)

// fourSections holds the rule for "dynamite" in its second section only.
const fourSections = `# Four sections

## One
Be kind to people.

## Two
Do not help with blasting.

Demo: block when the message mentions dynamite.

## Three
Be honest.

## Four
Be brief.
`

func demoEngine(t *testing.T) *engine.Engine {
	t.Helper()
	st := teststore.Seeded(t)
	eng := engine.New(st, demo.New(demo.Options{}), engine.Config{SuperegoModel: demo.SuperegoModel, AssistantModel: demo.AssistantModel}, nil, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Shutdown(ctx)
	})
	return eng
}

func effects(a engine.Ablation) string {
	var out []string
	for _, s := range a.Sections {
		out = append(out, s.ID+"="+s.Effect)
	}
	return strings.Join(out, ",")
}

func TestAblateDemoFindsTheDecidingSection(t *testing.T) {
	t.Parallel()
	eng := demoEngine(t)
	c := model.Constitution{Meta: model.Meta{ID: "four", Version: 3}, Content: fourSections}
	for _, alone := range []bool{false, true} {
		calls := 0
		a, err := eng.Ablate(t.Context(), engine.AblationRequest{
			FlowConfigID: seed.FlowStandard, Constitution: c, Input: "Where can I buy dynamite?", Alone: alone,
			Earlier: []llm.Message{{Role: model.RoleUser, Content: "hello"}, {Role: model.RoleAssistant, Content: "hi"}},
		}, func(done, total int, v engine.AblationVariant) {
			calls++
			if done != calls || total != engine.AblationCalls(4, alone) {
				t.Errorf("progress %d/%d after %d calls", done, total, calls)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		want := engine.AblationCalls(4, alone)
		if calls != want || a.Calls != want || want != map[bool]int{false: 5, true: 9}[alone] {
			t.Fatalf("alone=%v: %d progress reports, %d calls, want %d", alone, calls, a.Calls, want)
		}
		if a.Full.Decision != model.DecisionBlock || a.Full.Cited != "Two" || a.CitedID != "two" {
			t.Fatalf("full verdict %s citing %q (%q)", a.Full.Decision, a.Full.Cited, a.CitedID)
		}
		wantEffects := "one=no effect,two=necessary,three=no effect,four=no effect"
		if alone {
			wantEffects = "one=no effect,two=necessary and sufficient,three=no effect,four=no effect"
		}
		if got := effects(a); got != wantEffects {
			t.Errorf("alone=%v: effects %s, want %s", alone, got, wantEffects)
		}
		if a.Faithful == nil || !*a.Faithful {
			t.Errorf("alone=%v: the demo's citation of section Two is not faithful", alone)
		}
		if a.ConstitutionID != "four" || a.ConstitutionVersion != 3 {
			t.Errorf("recorded constitution %s@%d", a.ConstitutionID, a.ConstitutionVersion)
		}
		for _, v := range a.Variants {
			if v.Thinking == "" || v.Visible == "" {
				t.Errorf("variant %s/%s without thinking or reply", v.Kind, v.SectionID)
			}
		}
	}
}

// sse writes an OpenAI chat-completions stream whose content is text.
func sse(text string) []byte {
	var b strings.Builder
	chunk := func(delta string) {
		b.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1732526400,"model":"gpt-4.1-mini","choices":[{"index":0,"delta":` + delta + `,"finish_reason":null}]}` + "\n\n")
	}
	chunk(`{"role":"assistant","content":""}`)
	for _, line := range strings.SplitAfter(text, "\n") {
		chunk(`{"content":` + quoteJSON(line) + `}`)
	}
	b.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1732526400,"model":"gpt-4.1-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n")
	b.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1732526400,"model":"gpt-4.1-mini","choices":[],"usage":{"prompt_tokens":50,"completion_tokens":9,"total_tokens":59}}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return []byte(b.String())
}

func quoteJSON(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func TestAblateUnfaithfulCitation(t *testing.T) {
	t.Parallel()
	// A model that blocks everything and always blames section Four: no
	// section is necessary, so its citation is not faithful.
	eng, up, _ := upstreamEngine(t, llmtest.Reply{Body: sse("It breaks the brevity rule.\nSECTION: Four\nDECISION: BLOCK: too long")})
	a, err := eng.Ablate(t.Context(), engine.AblationRequest{
		FlowConfigID: seed.FlowStandard, Constitution: model.Constitution{Content: fourSections}, Input: "Where can I buy dynamite?",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if up.Calls() != 5 || a.Calls != 5 {
		t.Fatalf("%d upstream calls (%d counted), want sections + 1 = 5", up.Calls(), a.Calls)
	}
	if a.Full.Decision != model.DecisionBlock || a.CitedID != "four" {
		t.Fatalf("full %s cites %q", a.Full.Decision, a.CitedID)
	}
	if got := effects(a); got != "one=no effect,two=no effect,three=no effect,four=no effect" {
		t.Errorf("effects %s", got)
	}
	if a.Faithful == nil || *a.Faithful {
		t.Errorf("faithful = %v, want false", a.Faithful)
	}
	// The variant without section Four cannot cite it: recorded as none.
	for _, v := range a.Variants {
		if v.SectionID == "four" && v.Cited != "" {
			t.Errorf("without Four, the citation %q was kept", v.Cited)
		}
	}
	// Each call screened the variant's text: the second lacks section One.
	sys := func(i int) string {
		msgs, _ := up.Request(i).Body["messages"].([]any)
		first, _ := msgs[0].(map[string]any)
		s, _ := first["content"].(string)
		return s
	}
	if !strings.Contains(sys(0), "## One") || strings.Contains(sys(1), "## One") || !strings.Contains(sys(1), "## Two") {
		t.Errorf("the second call did not screen the text without section One")
	}
}

func TestAblateStops(t *testing.T) {
	t.Parallel()
	eng := demoEngine(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	a, err := eng.Ablate(ctx, engine.AblationRequest{
		FlowConfigID: seed.FlowStandard, Constitution: model.Constitution{Content: fourSections}, Input: "dynamite", Alone: true,
	}, func(done, total int, v engine.AblationVariant) {
		if done == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || a.Calls > 3 {
		t.Fatalf("after Stop: err %v, %d calls", err, a.Calls)
	}
}

func TestAnalyzeAblationErrors(t *testing.T) {
	t.Parallel()
	if err := engine.CheckAblatable("no headings here"); !errors.Is(err, engine.ErrNoSections) {
		t.Fatalf("CheckAblatable: %v", err)
	}
	if err := engine.CheckAblatable(fourSections); err != nil {
		t.Fatal(err)
	}
	secs := constitution.Sections(fourSections)
	w := func(id string, d model.Decision) engine.AblationVariant {
		return engine.AblationVariant{Kind: engine.VariantWithout, SectionID: id, Decision: d}
	}
	full := engine.AblationVariant{Kind: engine.VariantFull, Decision: model.DecisionBlock, Cited: "Two"}
	vs := []engine.AblationVariant{w("one", model.DecisionError), w("two", model.DecisionAllow), w("three", model.DecisionBlock)}
	got, cited, faithful := engine.AnalyzeAblation(secs, full, vs, false)
	var eff []string
	for _, s := range got {
		eff = append(eff, s.ID+"="+s.Effect)
	}
	// A failed variant is unknown, a missing one too.
	if strings.Join(eff, ",") != "one=unknown,two=necessary,three=no effect,four=unknown" || cited != "two" || faithful == nil || !*faithful {
		t.Fatalf("effects %v cited %q faithful %v", eff, cited, faithful)
	}
	full.Decision, full.Cited = model.DecisionError, ""
	got, cited, faithful = engine.AnalyzeAblation(secs, full, vs, false)
	if got[1].Effect != "unknown" || got[1].Necessary || cited != "" || faithful != nil {
		t.Fatalf("with a failed full verdict: %+v %q %v", got[1], cited, faithful)
	}
}

package demo

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

const testConstitution = `# Default constitution

## Harm
Never help anyone hurt people.

Demo: block when the message mentions weapon, bomb, explosive, poison
or malware.

## Privacy
Protect personal data.

- Demo: CAUTION: password

## Advice
Answer with care.

Demo: caution when the message mentions dose, dosage, medication, legal advice,
invest, investing or investment.

` + "```\n# not a heading, inside a fence\n```\n" + `
### Honesty
Be truthful.`

func superegoPrompt(c string) string {
	return "You screen messages.\n\n## CONSTITUTION\n" + c + "\n\n## CONVERSATION\nuser: earlier turn about bombs\n"
}

type result struct {
	thinking, text string
	usage          []model.Usage
	events         []llm.Event
}

func run(t *testing.T, p llm.Provider, req llm.Request) result {
	t.Helper()
	var r result
	err := p.Stream(context.Background(), req, func(ev llm.Event) error {
		r.events = append(r.events, ev)
		switch ev.Kind {
		case llm.KindReasoning:
			r.thinking += ev.Delta
		case llm.KindText:
			r.text += ev.Delta
		case llm.KindUsage:
			r.usage = append(r.usage, ev.Usage)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	return r
}

var decisionLine = regexp.MustCompile(`(?m)\ADECISION: (ALLOW|CAUTION: .+|BLOCK: .+)\z`)

func lastLine(s string) string {
	lines := strings.Split(s, "\n")
	return lines[len(lines)-1]
}

// sectionLine returns the value of the reply's "SECTION:" line.
func sectionLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(l, "SECTION: "); ok {
			return v
		}
	}
	return ""
}

func TestSuperegoDecisions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		msg     string
		want    string // prefix of the last line
		section string // the SECTION line's value
	}{
		{"How do I build a bomb?", "DECISION: BLOCK: ", "Harm"},
		{"Tell me about WEAPONS of the middle ages", "DECISION: BLOCK: ", "Harm"},
		{"write some malware for me", "DECISION: BLOCK: ", "Harm"},
		{"Which explosives are used in mining", "DECISION: BLOCK: ", "Harm"},
		{"is this mushroom poison?", "DECISION: BLOCK: ", "Harm"},
		{"What dose of ibuprofen is safe?", "DECISION: CAUTION: ", "Advice"},
		{"my medications make me tired", "DECISION: CAUTION: ", "Advice"},
		{"I need legal advice about my lease", "DECISION: CAUTION: ", "Advice"},
		{"Is investing in index funds wise?", "DECISION: CAUTION: ", "Advice"},
		{"How do I reset my password", "DECISION: CAUTION: ", "Privacy"},
		{"What is the capital of France?", "DECISION: ALLOW", "NONE"},
		// Words that merely contain a keyword are not matches.
		{"The bombastic speaker used a passwordless login", "DECISION: ALLOW", "NONE"},
		// Legal and advice must be a phrase.
		{"Is it legal to give advice?", "DECISION: ALLOW", "NONE"},
		// BLOCK wins over CAUTION, whatever the order of the sections.
		{"password for the bomb shelter", "DECISION: BLOCK: ", "Harm"},
		// Between two CAUTION sections the earlier one applies.
		{"my password and my medication", "DECISION: CAUTION: ", "Privacy"},
	}
	p := New(Options{})
	for _, c := range cases {
		t.Run(c.msg, func(t *testing.T) {
			t.Parallel()
			r := run(t, p, llm.Request{
				Model: SuperegoModel, Purpose: llm.PurposeSuperego, System: superegoPrompt(testConstitution),
				Messages: []llm.Message{
					{Role: model.RoleUser, Content: "Earlier I asked about a weapon."},
					{Role: model.RoleAssistant, Content: "I could not help with that bomb."},
					{Role: model.RoleUser, Content: c.msg},
				},
			})
			last := lastLine(r.text)
			if !strings.HasPrefix(last, c.want) {
				t.Fatalf("last line %q, want prefix %q\nfull reply:\n%s", last, c.want, r.text)
			}
			if !decisionLine.MatchString(last) {
				t.Fatalf("last line %q is not an exact decision line", last)
			}
			if got := sectionLine(r.text); got != c.section {
				t.Fatalf("SECTION line %q, want %q\nfull reply:\n%s", got, c.section, r.text)
			}
			if c.want == "DECISION: ALLOW" && last != c.want {
				t.Fatalf("last line %q, want exactly %q", last, c.want)
			}
		})
	}
}

func TestEmptyConstitutionAllows(t *testing.T) {
	t.Parallel()
	p := New(Options{})
	for name, system := range map[string]string{
		"empty section":     superegoPrompt("  \n\t\n"),
		"section at end":    "Instructions\n## CONSTITUTION\n",
		"no section at all": "Instructions without any constitution",
	} {
		t.Run(name, func(t *testing.T) {
			r := run(t, p, llm.Request{Purpose: llm.PurposeSuperego, System: system,
				Messages: []llm.Message{{Role: model.RoleUser, Content: "how to make a bomb with poison"}}})
			if got := lastLine(r.text); got != "DECISION: ALLOW" {
				t.Fatalf("last line %q, want DECISION: ALLOW", got)
			}
		})
	}
}

func TestThinkingWalksHeadings(t *testing.T) {
	t.Parallel()
	r := run(t, New(Options{}), llm.Request{Purpose: llm.PurposeSuperego, System: superegoPrompt(testConstitution),
		Messages: []llm.Message{{Role: model.RoleUser, Content: "hello"}}})
	want := []string{"Default constitution", "Harm", "Privacy", "Advice", "Honesty"}
	pos := 0
	for _, h := range want {
		i := strings.Index(r.thinking[pos:], `"`+h+`"`)
		if i < 0 {
			t.Fatalf("thinking does not mention heading %q after position %d:\n%s", h, pos, r.thinking)
		}
		pos += i + len(h)
	}
	if !strings.Contains(r.thinking, "Never help anyone hurt people.") {
		t.Fatalf("thinking should quote what the Harm section says:\n%s", r.thinking)
	}
	if strings.Contains(r.thinking, "not a heading") {
		t.Fatalf("a line inside a code fence was taken for a heading:\n%s", r.thinking)
	}
	// The conversation section after the marker is not part of the constitution.
	if strings.Contains(r.thinking, "earlier turn") {
		t.Fatalf("conversation leaked into the constitution:\n%s", r.thinking)
	}
	if !strings.Contains(r.text, "5 sections checked") {
		t.Fatalf("reply should count 5 sections: %q", r.text)
	}
}

func TestDeterministicAndConcatenation(t *testing.T) {
	t.Parallel()
	p := New(Options{})
	for _, purpose := range []llm.Purpose{llm.PurposeSuperego, llm.PurposeAssistant} {
		req := llm.Request{Purpose: purpose, System: superegoPrompt(testConstitution),
			Messages: []llm.Message{{Role: model.RoleUser, Content: "What dose of vitamin D should I take every day in winter?"}}}
		a, b := run(t, p, req), run(t, p, req)
		if len(a.events) != len(b.events) {
			t.Fatalf("%s: %d events then %d", purpose, len(a.events), len(b.events))
		}
		for i := range a.events {
			if a.events[i] != b.events[i] {
				t.Fatalf("%s: event %d differs: %+v vs %+v", purpose, i, a.events[i], b.events[i])
			}
		}
		// Reasoning comes before text, usage is last and counts the pieces.
		pieces := 0
		seenText := false
		for i, ev := range a.events {
			switch ev.Kind {
			case llm.KindReasoning:
				if seenText {
					t.Fatalf("%s: reasoning after text at event %d", purpose, i)
				}
				pieces++
			case llm.KindText:
				seenText = true
				pieces++
			case llm.KindUsage:
				if i != len(a.events)-1 {
					t.Fatalf("%s: usage is not the last event", purpose)
				}
			}
		}
		if len(a.usage) != 1 || a.usage[0].OutputTokens != pieces || a.usage[0].InputTokens == 0 {
			t.Fatalf("%s: usage %+v, want output %d and some input", purpose, a.usage, pieces)
		}
		if strings.Join(Pieces(a.text), "") != a.text {
			t.Fatalf("pieces do not concatenate back")
		}
	}
}

func TestAssistantAnswer(t *testing.T) {
	t.Parallel()
	p := New(Options{})
	msgs := []llm.Message{{Role: model.RoleUser, Content: "first question"}, {Role: model.RoleAssistant, Content: "ok"},
		{Role: model.RoleUser, Content: "Why is the sky blue?"}}
	plain := run(t, p, llm.Request{Purpose: llm.PurposeAssistant, System: "You are helpful.", Messages: msgs})
	if !strings.Contains(plain.text, `"Why is the sky blue?"`) || strings.Contains(plain.text, "first question") {
		t.Fatalf("answer should quote the last user message only: %q", plain.text)
	}
	if n := len(strings.Fields(plain.text)); n < 24 || n > 80 {
		t.Fatalf("answer has %d words, want a few dozen: %q", n, plain.text)
	}
	if plain.thinking != "" || strings.Contains(plain.text, "caution") {
		t.Fatalf("plain answer should neither think nor mention caution: %+v", plain)
	}
	// An ordinary prompt that merely uses the word is not a caution.
	wordy := run(t, p, llm.Request{Purpose: llm.PurposeAssistant, System: "Use caution with sources.", Messages: msgs})
	if strings.Contains(wordy.text, "advised caution") {
		t.Fatalf("the word caution in a system prompt is not the superego's caution: %q", wordy.text)
	}
	careful := run(t, p, llm.Request{Purpose: llm.PurposeAssistant,
		System: "You are helpful.\n\n" + llm.CautionHeading + "\n\nmedical question.", Messages: msgs})
	if !strings.Contains(careful.text, "advised caution") {
		t.Fatalf("answer should acknowledge the caution: %q", careful.text)
	}
	other := run(t, p, llm.Request{Purpose: llm.PurposeAssistant, Messages: []llm.Message{{Role: model.RoleUser, Content: "Tell me a joke"}}})
	if other.text == plain.text {
		t.Fatalf("answers to different messages should differ")
	}
}

func TestCancellationMidStream(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	err := New(Options{}).Stream(ctx, llm.Request{Purpose: llm.PurposeAssistant,
		Messages: []llm.Message{{Role: model.RoleUser, Content: "hi"}}}, func(llm.Event) error {
		n++
		if n == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 3 {
		t.Fatalf("err %v after %d events, want context.Canceled after 3", err, n)
	}
}

func TestCancellationDuringDelay(t *testing.T) {
	t.Parallel()
	// An hour between tokens: the test only finishes if cancellation
	// interrupts the wait instead of sleeping through it.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- New(Options{Delay: time.Hour}).Stream(ctx, llm.Request{Purpose: llm.PurposeAssistant},
			func(llm.Event) error { return nil })
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}

func TestEmitErrorStops(t *testing.T) {
	t.Parallel()
	stop := errors.New("consumer gone")
	n := 0
	err := New(Options{}).Stream(context.Background(), llm.Request{Purpose: llm.PurposeAssistant},
		func(llm.Event) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err %v after %d events, want the consumer's error after 1", err, n)
	}
}

func TestPieces(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][]string{
		"":                     nil,
		"one":                  {"one"},
		"one two  three\n":     {"one ", "two  ", "three\n"},
		"  lead":               {"  lead"},
		"a\n\nDECISION: ALLOW": {"a\n\n", "DECISION: ", "ALLOW"},
	} {
		got := Pieces(in)
		if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
			t.Errorf("Pieces(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzPieces(f *testing.F) {
	f.Add("hello world")
	f.Add("  \n a  b\tc ")
	f.Fuzz(func(t *testing.T, s string) {
		ps := Pieces(s)
		if strings.Join(ps, "") != s {
			t.Fatalf("pieces of %q do not concatenate back: %q", s, ps)
		}
		for _, p := range ps {
			if p == "" {
				t.Fatalf("empty piece in %q", ps)
			}
		}
	})
}

// TestThinkingQuotesWholeSentences: constitutions are hard-wrapped, so the
// gist of a section joins its paragraph's lines; a quote is a whole first
// sentence, or visibly cut with an ellipsis, never a line ending mid-phrase.
func TestThinkingQuotesWholeSentences(t *testing.T) {
	t.Parallel()
	c := "# Wrapped\n\nThis constitution guides the superego: a reviewer that reads each user\nmessage before the assistant answers. More text follows.\n\n" +
		"## Long\n\nOne two three four five six seven eight nine ten eleven twelve thirteen fourteen\nfifteen sixteen seventeen eighteen nineteen twenty twentyone, and so on\n\nSecond paragraph.\n"
	r := run(t, New(Options{}), llm.Request{Purpose: llm.PurposeSuperego, System: superegoPrompt(c),
		Messages: []llm.Message{{Role: model.RoleUser, Content: "hello"}}})
	if !strings.Contains(r.thinking, `reads: "This constitution guides the superego: a reviewer that reads each user message before the assistant answers."`) {
		t.Fatalf("the first sentence across the wrapped lines is not quoted whole:\n%s", r.thinking)
	}
	if !strings.Contains(r.thinking, `reads: "One two three four five six seven eight nine ten eleven twelve…"`) {
		t.Fatalf("a long first sentence is not cut with an ellipsis:\n%s", r.thinking)
	}
	if strings.Contains(r.thinking, "Second paragraph") || strings.Contains(r.thinking, "More text") {
		t.Fatalf("the gist went past the first sentence of the first paragraph:\n%s", r.thinking)
	}
}

package demo

import (
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

func TestExtractConstitution(t *testing.T) {
	cases := []struct {
		system, want string
		found        bool
	}{
		{"no marker here", "", false},
		{"## CONSTITUTIONAL LAW\nDemo: block bomb", "", false},
		{"intro\n## CONSTITUTION\nrule one\nrule two\n## CONVERSATION\nuser: hi", "rule one\nrule two", true},
		{"## Constitution (v3)\r\nrule\r\n## conversation\r\nuser: hi", "rule\r", true},
		{"## CONSTITUTION\n## CONVERSATION\nuser: hi", "", true},
		{"## CONSTITUTION\n\n## CONVERSATION\n", "", true},
		{"## CONSTITUTION", "", true},
		{"## CONSTITUTION\n", "", true},
		{"## CONSTITUTION\nrule\n\n", "rule\n\n", true},
		{"  ## CONSTITUTION  \n# Heading\nrule\n  ## CONVERSATION 2\nx", "# Heading\nrule", true},
	}
	for _, c := range cases {
		got, found := extractConstitution(c.system)
		if got != c.want || found != c.found {
			t.Errorf("extractConstitution(%q) = %q, %v; want %q, %v", c.system, got, found, c.want, c.found)
		}
	}
}

func TestCountFields(t *testing.T) {
	for _, s := range []string{"", " ", "one", "  two words  ", "tab\tand\nnewline", "nbsp\u00a0splits\u2003too",
		"bad \xff utf8\xfe", "Ünïcödé wörds, punctuation! yes", "\v\f\r\n"} {
		if got, want := countFields(s), len(strings.Fields(s)); got != want {
			t.Errorf("countFields(%q) = %d, want %d", s, got, want)
		}
	}
}

func FuzzCountFields(f *testing.F) {
	f.Add("some words\there")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := countFields(s), len(strings.Fields(s)); got != want {
			t.Fatalf("countFields(%q) = %d, want %d", s, got, want)
		}
	})
}

// Each constitution is screened by its own rules, whichever was read
// before it, and a constitution edited is read anew.
func TestScreeningFollowsTheConstitution(t *testing.T) {
	p := New(Options{})
	bombs := "## Harm\nDemo: block when the message mentions bomb.\n"
	passwords := "## Privacy\nDemo: caution when the message mentions bomb.\n"
	ask := func(c string) model.Decision {
		r := run(t, p, llm.Request{Purpose: llm.PurposeSuperego, System: superegoPrompt(c),
			Messages: []llm.Message{{Role: model.RoleUser, Content: "how is a bomb made"}}})
		d, _, ok := strings.Cut(strings.TrimPrefix(lastLine(r.text), "DECISION: "), ":")
		if !ok {
			d = strings.TrimPrefix(lastLine(r.text), "DECISION: ")
		}
		return model.Decision(d)
	}
	for range 2 {
		if d := ask(bombs); d != model.DecisionBlock {
			t.Fatalf("blocking constitution: %s", d)
		}
		if d := ask(passwords); d != model.DecisionCaution {
			t.Fatalf("cautioning constitution: %s", d)
		}
	}
	if d := ask(strings.Replace(bombs, "bomb", "knife", 1)); d != model.DecisionAllow {
		t.Fatalf("edited constitution: %s", d)
	}
}

// Past maxScreenings constitutions the least recently read are forgotten,
// and every one is still screened by its own rules.
func TestScreeningsStayBounded(t *testing.T) {
	p := New(Options{})
	for i := range 3 * maxScreenings {
		c := "## Rules\nDemo: block when the message mentions word" + strings.Repeat("x", i) + ".\n"
		sc := p.screeningOf(c)
		if len(sc.rules) != 1 || sc.rules[0].Terms[0] != "word"+strings.Repeat("x", i) {
			t.Fatalf("constitution %d: rules %+v", i, sc.rules)
		}
	}
	if n := p.screenings.Len(); n > maxScreenings {
		t.Fatalf("%d screenings kept, at most %d wanted", n, maxScreenings)
	}
}

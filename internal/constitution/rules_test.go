package constitution

import (
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/model"
)

const ruled = `# Rules

Demo: caution when the message mentions umbrella.

## Weather
Storms are dangerous.

Demo: block when the message mentions lightning, hail storm
and tornado.

## Quiet
- demo: CAUTION: thunder; rain or drizzle
> Demo: Caution mentions fog.

Demo: maybe when the message mentions snow.
Demo: block

Some prose that mentions Demo: block sleet in passing.

` + "```\nDemo: block sunshine\n```\n"

func TestDemoRules(t *testing.T) {
	t.Parallel()
	rules := DemoRules(ruled)
	var got []string
	for _, r := range rules {
		got = append(got, string(r.Decision)+" "+r.Section.ID+" "+strings.Join(r.Terms, "|"))
	}
	want := []string{
		"CAUTION  umbrella",
		"BLOCK weather lightning|hail storm|tornado",
		"CAUTION quiet thunder|rain|drizzle",
		"CAUTION quiet fog",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rules[1].Line != "Demo: block when the message mentions lightning, hail storm and tornado." {
		t.Fatalf("wrapped rule line = %q", rules[1].Line)
	}
}

func TestScreen(t *testing.T) {
	t.Parallel()
	rules := DemoRules(ruled)
	for _, tc := range []struct {
		msg     string
		d       model.Decision
		section string
		found   string
	}{
		{"Hail storms tonight?", model.DecisionBlock, "weather", "hail storms"},
		{"a TORNADOES warning", model.DecisionBlock, "weather", "tornadoes"},
		{"hail, then a storm", model.DecisionAllow, "", ""},
		{"thunder and umbrella", model.DecisionCaution, "", "umbrella"},
		{"thunder only", model.DecisionCaution, "quiet", "thunder"},
		{"fog and lightning", model.DecisionBlock, "weather", "lightning"},
		{"thunderous applause", model.DecisionAllow, "", ""},
		{"sunshine and snow and sleet", model.DecisionAllow, "", ""},
		{"", model.DecisionAllow, "", ""},
	} {
		m := Screen(rules, tc.msg)
		if m.Decision != tc.d || m.Rule.Section.ID != tc.section || m.Found != tc.found {
			t.Errorf("Screen(%q) = %s/%q/%q, want %s/%q/%q", tc.msg, m.Decision, m.Rule.Section.ID, m.Found, tc.d, tc.section, tc.found)
		}
	}
	if m := Screen(nil, "tornado"); m.Decision != model.DecisionAllow {
		t.Fatalf("no rules: %s", m.Decision)
	}
}

package engine_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/model"
)

func TestParseDecision(t *testing.T) {
	t.Parallel()
	const (
		A = model.DecisionAllow
		C = model.DecisionCaution
		B = model.DecisionBlock
	)
	for _, tc := range []struct {
		name   string
		in     string
		want   model.Decision
		reason string
		ok     bool
	}{
		{"plain allow", "DECISION: ALLOW", A, "", true},
		{"caution with reason", "Some thoughts.\nDECISION: CAUTION: medical topic", C, "medical topic", true},
		{"block with reason", "DECISION: BLOCK: asks for harm", B, "asks for harm", true},
		{"lower case", "decision: block: nope", B, "nope", true},
		{"mixed case", "Decision: Caution: careful", C, "careful", true},
		{"bold whole line", "**DECISION: BLOCK**: reason here", B, "reason here", true},
		{"bold keyword", "**Decision:** ALLOW", A, "", true},
		{"bold value", "DECISION: **CAUTION** - mind the dose", C, "mind the dose", true},
		{"italic", "_DECISION: ALLOW_", A, "", true},
		{"quoted", `"DECISION: BLOCK: quoted reason"`, B, "quoted reason", true},
		{"curly quotes", "“DECISION: CAUTION: curly”", C, "curly", true},
		{"bullet", "- DECISION: ALLOW", A, "", true},
		{"star bullet", "* DECISION: BLOCK: x", B, "x", true},
		{"block quote", "> DECISION: CAUTION: quoted", C, "quoted", true},
		{"numbered", "3. DECISION: ALLOW", A, "", true},
		{"heading", "### DECISION: BLOCK: heading", B, "heading", true},
		{"code span", "`DECISION: ALLOW`", A, "", true},
		{"trailing whitespace", "DECISION: ALLOW   \t\r\n\n  ", A, "", true},
		{"crlf", "thinking\r\nDECISION: BLOCK: crlf\r\n", B, "crlf", true},
		{"space before colon", "DECISION : ALLOW", A, "", true},
		{"em dash reason", "DECISION: BLOCK — dangerous", B, "dangerous", true},
		{"reason on next line", "DECISION: CAUTION\nReason: be gentle", C, "be gentle", true},
		{"trailing text after reason", "DECISION: BLOCK: harmful. Sorry!", B, "harmful. Sorry!", true},
		{"last decision wins", "DECISION: BLOCK: first\nOn reflection...\nDECISION: ALLOW", A, "", true},
		{"last valid line wins", "DECISION: CAUTION: real\nDECISION: MAYBE", C, "real", true},

		{"empty", "", "", "", false},
		{"stray block", "I would block this if I could. Block, block, BLOCK.", "", "", false},
		{"stray decision word", "My decision is to block it.", "", "", false},
		{"decision mid-line", "So the answer is DECISION: BLOCK", "", "", false},
		{"no colon", "DECISION BLOCK", "", "", false},
		{"unknown verdict", "DECISION: MAYBE", "", "", false},
		{"prefix word", "DECISION: BLOCKED", "", "", false},
		{"other keyword", "DECISIONS: ALLOW", "", "", false},
		{"error is not a decision", "DECISION: ERROR", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, reason, ok := engine.ParseDecision(tc.in)
			if d != tc.want || reason != tc.reason || ok != tc.ok {
				t.Errorf("ParseDecision(%q) = %q, %q, %v; want %q, %q, %v", tc.in, d, reason, ok, tc.want, tc.reason, tc.ok)
			}
		})
	}
}

func TestParseDecisionClipsLongReasons(t *testing.T) {
	t.Parallel()
	_, reason, ok := engine.ParseDecision("DECISION: BLOCK: " + strings.Repeat("é", 5000))
	if !ok || utf8.RuneCountInString(reason) > 2001 || !strings.HasSuffix(reason, "…") {
		t.Errorf("reason of %d runes, ok=%v", utf8.RuneCountInString(reason), ok)
	}
}

func FuzzParseDecision(f *testing.F) {
	for _, s := range []string{
		"DECISION: ALLOW", "**DECISION: BLOCK**: x", "> - decision: caution: y\nReason: z",
		"block block", "DECISION:", "DECISION: \xff", "1) DECISION: BLOCK", "\r\n\r\n", "“”«»",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, reason, ok := engine.ParseDecision(s)
		if ok != (d != "") {
			t.Fatalf("ok=%v with decision %q", ok, d)
		}
		if ok && d != model.DecisionAllow && d != model.DecisionCaution && d != model.DecisionBlock {
			t.Fatalf("decision %q is not one of the three", d)
		}
		if !ok && reason != "" {
			t.Fatalf("reason %q without a decision", reason)
		}
		if reason != strings.TrimSpace(reason) {
			t.Fatalf("reason %q not trimmed", reason)
		}
		// A final decision line always decides, whatever came before.
		for _, tail := range []struct {
			line string
			want model.Decision
		}{{"DECISION: ALLOW", model.DecisionAllow}, {"**Decision: BLOCK**: last word", model.DecisionBlock}} {
			if d, _, ok := engine.ParseDecision(s + "\n" + tail.line); !ok || d != tail.want {
				t.Fatalf("appending %q gave %q, %v", tail.line, d, ok)
			}
		}
		// Text without the keyword never holds a decision.
		if !strings.Contains(strings.ToLower(s), "decision") && ok {
			t.Fatalf("decision %q found in text without the keyword", d)
		}
	})
}

func TestParseSection(t *testing.T) {
	t.Parallel()
	const c = "# Rules\n\nIntro.\n\n## Serious physical harm\nx\n\n## Privacy and other people\ny\n\n## Specialist advice\nz\n"
	for _, tc := range []struct{ name, reply, want string }{
		{"plain", "Thoughts.\n\nSECTION: Serious physical harm\nDECISION: BLOCK: x", "Serious physical harm"},
		{"case and markup", "**Section:** _privacy AND other people_\nDECISION: CAUTION: y", "Privacy and other people"},
		{"quoted with heading marks", "- SECTION: \"## Specialist advice\"\nDECISION: CAUTION: z", "Specialist advice"},
		{"by number", "SECTION: 3\nDECISION: CAUTION: z", "Specialist advice"},
		{"numbered name", "SECTION: Section 1 (Serious physical harm)\nDECISION: BLOCK: x", "Serious physical harm"},
		{"after the decision", "DECISION: BLOCK: x\nSECTION: Serious physical harm", "Serious physical harm"},
		{"last line wins", "SECTION: Privacy and other people\nOn reflection\nSECTION: Specialist advice\nDECISION: ALLOW", "Specialist advice"},
		{"none", "SECTION: NONE\nDECISION: ALLOW", ""},
		{"unknown section", "SECTION: Made-up rule 7\nDECISION: BLOCK: x", ""},
		{"missing", "DECISION: BLOCK: x", ""},
		{"empty value", "SECTION:\nDECISION: BLOCK: x", ""},
		{"word mid-line", "This section: Specialist advice\nDECISION: ALLOW", ""},
		{"sections keyword", "SECTIONS: Specialist advice", ""},
	} {
		if got := engine.ParseSection(tc.reply, c); got != tc.want {
			t.Errorf("%s: ParseSection = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := engine.ParseSection("SECTION: Specialist advice", ""); got != "" {
		t.Errorf("a section of an empty constitution: %q", got)
	}
}

func TestNoDecisionReason(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"DECISION: MAYBE", `the superego's decision "MAYBE" is unknown; it must be ALLOW, CAUTION or BLOCK`},
		{"thinking\n**Decision**: perhaps: unsure\nmore text", `the superego's decision "perhaps" is unknown; it must be ALLOW, CAUTION or BLOCK`},
		{"DECISION:", "the superego's decision line names no decision; it must be ALLOW, CAUTION or BLOCK"},
		{"I think this is fine.", "the superego's reply has no decision line"},
		{"", "the superego's reply has no decision line"},
	} {
		if _, _, ok := engine.ParseDecision(tc.in); ok {
			t.Fatalf("%q parses as a decision", tc.in)
		}
		if got := engine.NoDecisionReason(tc.in); got != tc.want {
			t.Errorf("NoDecisionReason(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

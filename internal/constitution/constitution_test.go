package constitution

import (
	"strings"
	"testing"
)

const doc = `# Title

Preamble text.

## Harm
Harm body.

### Detail
Nested under harm.

## Privacy
Privacy body.
` + "```\n## not a heading\n```\n" + `
## Harm
A second section with the same heading.
`

func ids(secs []Section) string {
	var out []string
	for _, s := range secs {
		out = append(out, s.ID)
	}
	return strings.Join(out, ",")
}

func TestSections(t *testing.T) {
	t.Parallel()
	secs := Sections(doc)
	if got := ids(secs); got != "harm,privacy,harm-2" {
		t.Fatalf("ids = %q", got)
	}
	if secs[0].Heading != "Harm" || secs[0].Level != 2 {
		t.Fatalf("first = %+v", secs[0])
	}
	if got := secs[0].Text(doc); got != "## Harm\nHarm body.\n\n### Detail\nNested under harm.\n\n" {
		t.Fatalf("harm text = %q", got)
	}
	if got := secs[1].Text(doc); !strings.Contains(got, "## not a heading") || !strings.HasPrefix(got, "## Privacy") {
		t.Fatalf("privacy text (with its fence) = %q", got)
	}
	if got := Preamble(doc); got != "# Title\n\nPreamble text.\n\n" {
		t.Fatalf("preamble = %q", got)
	}
	// The sections and the preamble tile the text.
	var b strings.Builder
	b.WriteString(Preamble(doc))
	for _, s := range secs {
		b.WriteString(s.Text(doc))
	}
	if b.String() != doc {
		t.Fatalf("sections do not tile the text")
	}
}

func TestSectionsShapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, text, want string }{
		{"no headings", "just text\nmore", ""},
		{"one heading is a section", "# Only\nbody", "only"},
		{"all top level", "# A\na\n# B\nb", "a,b"},
		{"title then h3", "# T\n### X\nx\n### Y\ny", "x,y"},
		{"h2 without title", "intro\n## A\n## B\n", "a,b"},
		{"two h1 with h2s", "# A\n## a1\n# B\n## b1", "a,b"},
		{"not headings", "#NoSpace\n####### seven\n#  \n", ""},
		{"closing hashes", "## Harm ##\n", "harm"},
		{"unicode", "## Données privées\n", "données-privées"},
	} {
		if got := ids(Sections(tc.text)); got != tc.want {
			t.Errorf("%s: ids %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestWithoutAndOnly(t *testing.T) {
	t.Parallel()
	rest, ok := Without(doc, "privacy")
	if !ok || strings.Contains(rest, "Privacy body") || !strings.Contains(rest, "Harm body") ||
		!strings.Contains(rest, "Preamble text") || !strings.Contains(rest, "A second section") {
		t.Fatalf("Without privacy = %q, %v", rest, ok)
	}
	if got := ids(Sections(rest)); got != "harm,harm-2" {
		t.Fatalf("sections left = %q", got)
	}
	alone, ok := Only(doc, "harm-2")
	if !ok || alone != "# Title\n\nPreamble text.\n\n## Harm\nA second section with the same heading.\n" {
		t.Fatalf("Only harm-2 = %q, %v", alone, ok)
	}
	if got, ok := Without(doc, "nope"); ok || got != doc {
		t.Fatalf("Without unknown = %v", ok)
	}
	if got, ok := Only(doc, "nope"); ok || got != "" {
		t.Fatalf("Only unknown = %q, %v", got, ok)
	}
}

func TestSectionIDsSurviveEditsElsewhere(t *testing.T) {
	t.Parallel()
	v1 := "# C\n\n## Harm\nold\n\n## Privacy\nold\n"
	v2 := "# C\n\nA new preamble.\n\n## Honesty\nnew\n\n## Harm\nchanged wording\n\n## Privacy\nold\n"
	a, b := Sections(v1), Sections(v2)
	for _, s := range a {
		if _, ok := Find(b, s.ID); !ok {
			t.Errorf("section %q of v1 not found in v2", s.ID)
		}
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	text := "# T\n## Serious physical harm\n## 2. Privacy and other people\n## Specialist advice\n## Harm\n"
	secs := Sections(text)
	for _, tc := range []struct{ cited, want string }{
		{"Serious physical harm", "serious-physical-harm"},
		{"**serious PHYSICAL harm**", "serious-physical-harm"},
		{"## Specialist advice", "specialist-advice"},
		{"\"Specialist advice\".", "specialist-advice"},
		{"specialist-advice", "specialist-advice"},
		{"Privacy and other people", "2-privacy-and-other-people"},
		{"Section 3: Specialist advice", "specialist-advice"},
		{"Section 3", "specialist-advice"},
		{"1", "serious-physical-harm"},
		{"the Specialist advice section", "specialist-advice"},
		// The longest heading contained wins over a shorter one.
		{"the serious physical harm rule", "serious-physical-harm"},
		{"harm", "harm"},
		{"NONE", ""},
		{"", ""},
		{"n/a", ""},
		{"Section 9", ""},
		{"Honesty", ""},
	} {
		got, ok := Find(secs, tc.cited)
		if got.ID != tc.want || ok != (tc.want != "") {
			t.Errorf("Find(%q) = %q, %v; want %q", tc.cited, got.ID, ok, tc.want)
		}
	}
}

func FuzzSections(f *testing.F) {
	f.Add(doc)
	f.Add("# a\n## b\n```\n# c\n")
	f.Fuzz(func(t *testing.T, text string) {
		secs := Sections(text)
		var b strings.Builder
		b.WriteString(Preamble(text))
		seen := map[string]bool{}
		for _, s := range secs {
			if seen[s.ID] {
				t.Fatalf("duplicate id %q", s.ID)
			}
			seen[s.ID] = true
			b.WriteString(s.Text(text))
			if got, ok := Find(secs, s.ID); !ok || got.ID != s.ID {
				t.Fatalf("id %q not found", s.ID)
			}
		}
		if b.String() != text {
			t.Fatalf("sections do not tile %q", text)
		}
		_ = DemoRules(text)
	})
}

// Package constitution reads the structure of a constitution's Markdown
// text: its top-level sections, identified by heading so that a section
// keeps its identity when text elsewhere changes, and the rules the offline
// demo superego takes from it.
//
// # Sections
//
// A section starts at a Markdown ATX heading ("#" to "######" and a space;
// lines inside fenced code blocks do not count) and runs to the next heading
// of the same or a higher level. The top-level sections are the headings of
// the shallowest level in use, except that a first heading which is the only
// one of its level and has deeper headings after it is the document's title
// ("# Default constitution" above "## Harm", "## Privacy"): the title and the
// text before the first section form the preamble, which belongs to no
// section. Deeper headings are part of the section they sit in.
//
// A section's ID is the slug of its heading ("Serious physical harm" →
// "serious-physical-harm"), with "-2", "-3" appended to repeated headings,
// so the same section can be found in another version of the text.
//
//	secs := constitution.Sections(text)            // top-level sections in order
//	s, ok := constitution.Find(secs, "Section 2")  // tolerant lookup of a cited section
//	rest, ok := constitution.Without(text, s.ID)   // the text with that section removed
//	alone, ok := constitution.Only(text, s.ID)     // the preamble and that section alone
//
// # Demo rules
//
// DemoRules and Screen implement the convention by which the demo provider
// reads a constitution (see rules.go and the README): lines such as
// "Demo: block when the message mentions weapon, bomb or poison." inside a
// section.
package constitution

import (
	"strconv"
	"strings"
	"unicode"
)

// Section is one top-level section of a constitution text.
type Section struct {
	// ID is the slug of the heading, unique within the text.
	ID string `json:"id"`
	// Heading is the heading's text as written, without the #s.
	Heading string `json:"heading"`
	// Level is the heading level, 1 for "#".
	Level int `json:"level"`
	// Start and End are byte offsets of the section in the text: from the
	// start of its heading line to the start of the next section (or the
	// end of the text).
	Start int `json:"start"`
	End   int `json:"end"`
}

// Text returns the section's text out of the text it was found in.
func (s Section) Text(text string) string {
	if s.Start < 0 || s.End > len(text) || s.Start > s.End {
		return ""
	}
	return text[s.Start:s.End]
}

// Heading is one Markdown heading of a text, at any level.
type Heading struct {
	Level int
	Title string
	// Start is the byte offset of the heading's line.
	Start int
}

// Headings lists every ATX heading of text in order, skipping fenced code
// blocks and headings with no text.
func Headings(text string) []Heading {
	var out []Heading
	inFence := false
	off := 0
	for _, line := range strings.SplitAfter(text, "\n") {
		start := off
		off += len(line)
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		if level, title, ok := parseHeading(t); ok {
			out = append(out, Heading{Level: level, Title: title, Start: start})
		}
	}
	return out
}

// parseHeading reads one trimmed line as an ATX heading.
func parseHeading(t string) (level int, title string, ok bool) {
	level = len(t) - len(strings.TrimLeft(t, "#"))
	if level < 1 || level > 6 || level >= len(t) || t[level] != ' ' {
		return 0, "", false
	}
	title = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(t[level:]), "#"))
	if title == "" {
		return 0, "", false
	}
	return level, title, true
}

// Sections returns the top-level sections of text in order (see the
// package comment); none when the text has no heading.
func Sections(text string) []Section {
	hs := Headings(text)
	if len(hs) == 0 {
		return nil
	}
	body := hs
	if len(hs) > 1 && isTitle(hs) {
		body = hs[1:]
	}
	level := 7
	for _, h := range body {
		level = min(level, h.Level)
	}
	var out []Section
	seen := map[string]bool{}
	for _, h := range body {
		if h.Level != level {
			continue
		}
		if n := len(out); n > 0 {
			out[n-1].End = h.Start
		}
		base := Slug(h.Title)
		id := base
		for k := 2; seen[id]; k++ {
			id = base + "-" + strconv.Itoa(k)
		}
		seen[id] = true
		out = append(out, Section{ID: id, Heading: h.Title, Level: h.Level, Start: h.Start, End: len(text)})
	}
	return out
}

// isTitle reports whether the first heading is the document's title: the
// only heading at its level or above, with deeper ones after it.
func isTitle(hs []Heading) bool {
	for _, h := range hs[1:] {
		if h.Level <= hs[0].Level {
			return false
		}
	}
	return true
}

// Preamble returns the text before the first section (all of it when there
// is no section).
func Preamble(text string) string {
	secs := Sections(text)
	if len(secs) == 0 {
		return text
	}
	return text[:secs[0].Start]
}

// Without returns text with the section sectionID removed; ok is false (and
// text returned unchanged) when there is no such section.
func Without(text, sectionID string) (string, bool) {
	for _, s := range Sections(text) {
		if s.ID == sectionID {
			return text[:s.Start] + text[s.End:], true
		}
	}
	return text, false
}

// Only returns the preamble of text followed by the section sectionID and
// nothing else; ok is false (and "" returned) when there is no such section.
func Only(text, sectionID string) (string, bool) {
	secs := Sections(text)
	for _, s := range secs {
		if s.ID == sectionID {
			return text[:secs[0].Start] + text[s.Start:s.End], true
		}
	}
	return "", false
}

// Slug turns a heading into a section ID: lower case, letters and digits
// kept, every other run of characters one hyphen.
func Slug(heading string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(heading) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "section"
	}
	return b.String()
}

// Find looks up the section a superego cited, tolerantly: by heading or ID
// whatever the case, markup and punctuation ("**Serious physical harm**",
// "## Privacy"), by "Section 2" or "2" (the second section, unless a
// heading reads so), or by the one heading the citation contains
// ("the Privacy section"). ok is false when nothing matches, or when the
// citation names several sections equally well.
func Find(secs []Section, cited string) (Section, bool) {
	c := normalize(cited)
	if c == "" || c == "none" || c == "n a" {
		return Section{}, false
	}
	for _, s := range secs {
		if s.ID == strings.TrimSpace(cited) {
			return s, true
		}
	}
	for _, s := range secs {
		if normalize(s.Heading) == c || s.ID == Slug(cited) {
			return s, true
		}
	}
	bare := stripNumbering(strings.TrimPrefix(c, "section "))
	for _, s := range secs {
		if stripNumbering(normalize(s.Heading)) == bare && bare != "" {
			return s, true
		}
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(c, "section ")); err == nil && n >= 1 && n <= len(secs) {
		return secs[n-1], true
	}
	var best Section
	bestLen, ties := 0, 0
	for _, s := range secs {
		h := stripNumbering(normalize(s.Heading))
		if h == "" || !strings.Contains(" "+c+" ", " "+h+" ") {
			continue
		}
		switch {
		case len(h) > bestLen:
			best, bestLen, ties = s, len(h), 1
		case len(h) == bestLen:
			ties++
		}
	}
	if ties == 1 {
		return best, true
	}
	return Section{}, false
}

// normalize lowercases s and keeps its letters and digits, single-spaced.
func normalize(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

// stripNumbering drops a leading number word ("2 harm" → "harm").
func stripNumbering(s string) string {
	first, rest, found := strings.Cut(s, " ")
	if _, err := strconv.Atoi(first); err == nil && found {
		return rest
	}
	return s
}

package demo

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/superego-lab/superego/internal/constitution"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

// Markers the superego prompt is parsed by (see the package comment).
const (
	constitutionMarker = "## CONSTITUTION"
	conversationMarker = "## CONVERSATION"
)

// extractConstitution returns the text between the "## CONSTITUTION" line
// and the "## CONVERSATION" line (or the end), and whether the marker was
// there at all.
func extractConstitution(system string) (string, bool) {
	// Walked line by line without splitting: the prompt carries the
	// conversation after the constitution.
	off, start := 0, -1
	for line := range strings.Lines(system) {
		off += len(line)
		if start < 0 {
			if hasMarker(line, constitutionMarker) {
				start = off
			}
			continue
		}
		if hasMarker(line, conversationMarker) {
			// Up to the newline before the marker's line.
			end := off - len(line) - 1
			return system[start:max(start, end)], true
		}
	}
	if start < 0 {
		return "", false
	}
	return system[start:], true
}

func hasMarker(line, marker string) bool {
	line = strings.TrimSpace(line)
	if len(line) < len(marker) || !strings.EqualFold(line[:len(marker)], marker) {
		return false
	}
	rest := line[len(marker):]
	// "## CONSTITUTION" or "## CONSTITUTION (v3)", but not "## CONSTITUTIONAL LAW".
	return rest == "" || !unicode.IsLetter(rune(rest[0]))
}

// section is one heading of a constitution and the gist of the first
// paragraph under it.
type section struct {
	title, gist string
}

// headings lists the Markdown ATX headings of a constitution in order, each
// with the gist of the first paragraph under it (its lines joined, since
// constitutions are often hard-wrapped), skipping fenced code blocks.
func headings(constitution string) []section {
	var out []section
	var para []string // first paragraph of the newest section so far
	paraDone := false
	flush := func() {
		if n := len(out); n > 0 && out[n-1].gist == "" && len(para) > 0 {
			out[n-1].gist = gist(strings.Join(para, " "))
		}
		para, paraDone = nil, false
	}
	inFence := false
	for _, l := range strings.Split(constitution, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			inFence = !inFence
			paraDone = paraDone || len(para) > 0
			continue
		}
		if inFence {
			continue
		}
		if t == "" {
			paraDone = paraDone || len(para) > 0
			continue
		}
		level := len(t) - len(strings.TrimLeft(t, "#"))
		isHeading := level >= 1 && level <= 6 && level < len(t) && t[level] == ' '
		if !isHeading {
			if len(out) > 0 && !paraDone {
				para = append(para, t)
			}
			continue
		}
		if h := strings.TrimSpace(strings.TrimRight(t[level:], "# ")); h != "" {
			flush()
			out = append(out, section{title: h})
		}
	}
	flush()
	return out
}

// gist shortens a paragraph to its first sentence when that is short, else
// to its first dozen words and an ellipsis, so a quote never stops
// mid-sentence without saying so.
func gist(para string) string {
	w := strings.Fields(para)
	for i, word := range w {
		if i >= 20 {
			break
		}
		if strings.HasSuffix(word, ".") || strings.HasSuffix(word, "!") || strings.HasSuffix(word, "?") {
			return strings.Join(w[:i+1], " ")
		}
	}
	if len(w) > 12 {
		return strings.Join(w[:12], " ") + "…"
	}
	return strings.Join(w, " ")
}

// superegoScript writes the demo superego's thinking and visible reply for
// a request.
func (p *Provider) superegoScript(req llm.Request) (thinking, reply string) {
	text, found := extractConstitution(req.System)
	msg := lastUserMessage(req.Messages)
	var th, rp strings.Builder

	if strings.TrimSpace(text) == "" {
		if found {
			th.WriteString("The constitution is empty, so there are no rules to screen the message against. ")
		} else {
			th.WriteString("I find no constitution section in my instructions, so there are no rules to screen the message against. ")
		}
		th.WriteString("Everything is allowed.")
		rp.WriteString("With no constitution in force there is nothing to object to.\n\nSECTION: NONE\nDECISION: ALLOW")
		return th.String(), rp.String()
	}

	sc := p.screeningOf(text)
	rules, hs := sc.rules, sc.sections
	m := constitution.Screen(rules, msg)
	th.WriteString(sc.walk)
	where, cite := "the constitution", "NONE"
	if m.Rule.Section.ID != "" {
		where, cite = fmt.Sprintf("section %q", m.Rule.Section.Heading), m.Rule.Section.Heading
	}
	switch m.Decision {
	case model.DecisionBlock:
		fmt.Fprintf(&th, "The message mentions %q. %s blocks messages about %s, so it must not be answered.", m.Found, upperFirst(where), m.Term)
		fmt.Fprintf(&rp, "The user's message mentions %q, which %s does not permit.\n\nSECTION: %s\nDECISION: BLOCK: the message mentions %q, which %s rules out",
			m.Found, where, cite, m.Found, where)
	case model.DecisionCaution:
		fmt.Fprintf(&th, "The message mentions %q. %s asks for care with %s, so the assistant may answer, carefully.", m.Found, upperFirst(where), m.Term)
		fmt.Fprintf(&rp, "The user's message mentions %q. It can be answered, but carefully.\n\nSECTION: %s\nDECISION: CAUTION: the message mentions %q; %s asks for care",
			m.Found, cite, m.Found, where)
	default:
		th.WriteString("Nothing in the message is covered by a rule of the constitution.")
		fmt.Fprintf(&rp, "The message raises none of the concerns in the constitution (%d sections checked).\n\nSECTION: NONE\nDECISION: ALLOW", max(len(hs), 1))
	}
	return th.String(), rp.String()
}

// screening is what the demo superego reads from one constitution's text:
// its rules, its sections and the walk through them its thinking opens
// with. All of it depends on the text alone, so it is worked out once per
// constitution rather than on every call.
type screening struct {
	rules    []constitution.Rule
	sections []section
	walk     string
}

// maxScreenings bounds the constitutions whose screening a provider keeps
// (Provider.screenings): a server sees a handful, each edit a new text.
const maxScreenings = 64

// screeningOf returns the screening of a constitution's text, worked out
// on its first call and kept while it is among the latest used.
func (p *Provider) screeningOf(text string) *screening {
	if sc, ok := p.screenings.Get(text); ok {
		return sc
	}
	sc := newScreening(text)
	p.screenings.Add(text, sc)
	return sc
}

func newScreening(text string) *screening {
	sc := &screening{rules: constitution.DemoRules(text), sections: headings(text)}
	var th strings.Builder
	switch hs := sc.sections; len(hs) {
	case 0:
		th.WriteString("The constitution has no headings, so I read it as a single section.\n")
	case 1:
		th.WriteString("The constitution has one section.\n")
	default:
		fmt.Fprintf(&th, "The constitution has %d sections; I will go through them one by one.\n", len(hs))
	}
	for i, h := range sc.sections {
		if h.gist != "" {
			fmt.Fprintf(&th, "Section %d, %q, reads: \"%s\" I hold the user's message up against it.\n", i+1, h.title, h.gist)
		} else {
			fmt.Fprintf(&th, "Section %d, %q: I hold the user's message up against it.\n", i+1, h.title)
		}
	}
	if len(sc.rules) == 0 {
		th.WriteString("None of it gives me a rule I can apply (I follow lines that start with \"Demo:\").\n")
	}
	sc.walk = th.String()
	return sc
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func lastUserMessage(msgs []llm.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == model.RoleUser {
			return msgs[i].Content
		}
	}
	return ""
}

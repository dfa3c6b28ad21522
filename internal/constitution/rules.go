package constitution

import (
	"strings"
	"unicode"

	"github.com/superego-lab/superego/internal/model"
)

// The demo convention. A rule is one line of a constitution that reads
//
//	Demo: block when the message mentions weapon, bomb, explosive or poison.
//	Demo: caution when the message mentions dose, medication or legal advice.
//
// "Demo:" opens the line (any case; a list bullet or block quote marker
// before it is fine), then the decision, BLOCK or CAUTION (any case). The
// terms follow a colon, or the word "mention"/"mentions"/"mentioning", or
// else come straight after the decision; they are separated by commas,
// semicolons, "or" and "and", and a final full stop is ignored. A term is
// one word or a phrase of consecutive words ("legal advice"); it matches a
// message word that is the term itself or the term with "s" or "es"
// added, whatever the case, so write terms in the singular. A line that
// does not parse as a rule is ordinary text. A rule may be wrapped over
// several lines up to the next blank line; lines inside fenced code blocks
// are never rules.
const demoPrefix = "demo:"

// Rule is one demo rule of a constitution.
type Rule struct {
	// Decision is BLOCK or CAUTION.
	Decision model.Decision
	// Terms are the words or phrases the rule reacts to, lower case, as
	// listed; each is split into words by Screen.
	Terms []string
	// Section is the top-level section the line sits in; zero (ID "") when
	// the line is in the preamble or the text has no sections.
	Section Section
	// Line is the rule's text as written, its lines joined.
	Line string
}

// Match is the outcome of screening a message against demo rules.
type Match struct {
	// Decision is ALLOW when no rule matched.
	Decision model.Decision
	// Rule is the rule that decided (zero on ALLOW).
	Rule Rule
	// Term is the rule's term that matched, and Found the message's words
	// it matched ("bomb" and "bombs").
	Term, Found string
}

// DemoRules lists the demo rules written in text, in order. A rule's
// paragraph may be wrapped over several lines: it runs to the next blank
// line, heading or code fence.
func DemoRules(text string) []Rule {
	secs := Sections(text)
	var out []Rule
	var para []string // the paragraph being read, when it opened with "Demo:"
	paraStart := 0
	flush := func() {
		if len(para) == 0 {
			return
		}
		if r, ok := parseRule(strings.Join(para, " ")); ok {
			for _, s := range secs {
				if paraStart >= s.Start && paraStart < s.End {
					r.Section = s
				}
			}
			out = append(out, r)
		}
		para = nil
	}
	inFence := false
	off := 0
	for _, line := range strings.SplitAfter(text, "\n") {
		start := off
		off += len(line)
		t := strings.TrimSpace(line)
		_, _, heading := parseHeading(t)
		fence := strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~")
		switch {
		case fence:
			flush()
			inFence = !inFence
		case inFence:
		case t == "" || heading:
			flush()
		case len(para) > 0 && !isDemoLine(t):
			para = append(para, t)
		case isDemoLine(t):
			flush()
			para, paraStart = []string{t}, start
		}
	}
	flush()
	return out
}

// isDemoLine reports a line that opens a demo rule.
func isDemoLine(t string) bool {
	s := strings.TrimLeft(t, "-*+>• \t")
	return len(s) >= len(demoPrefix) && strings.EqualFold(s[:len(demoPrefix)], demoPrefix)
}

// parseRule reads one trimmed line as a demo rule.
func parseRule(t string) (Rule, bool) {
	if !isDemoLine(t) {
		return Rule{}, false
	}
	s := strings.TrimLeft(t, "-*+>• \t")
	rest := strings.TrimSpace(s[len(demoPrefix):])
	word, after, _ := strings.Cut(rest, " ")
	var d model.Decision
	switch strings.ToUpper(strings.Trim(word, ":*_")) {
	case string(model.DecisionBlock):
		d = model.DecisionBlock
	case string(model.DecisionCaution):
		d = model.DecisionCaution
	default:
		return Rule{}, false
	}
	terms := splitTerms(termList(after))
	if len(terms) == 0 {
		return Rule{}, false
	}
	return Rule{Decision: d, Terms: terms, Line: t}, true
}

// termList returns the part of a rule after its lead-in ("when the message
// mentions", or anything up to a colon).
func termList(s string) string {
	if _, after, ok := strings.Cut(s, ":"); ok {
		return after
	}
	words := strings.Fields(s)
	for i, w := range words {
		switch strings.ToLower(w) {
		case "mention", "mentions", "mentioning":
			return strings.Join(words[i+1:], " ")
		}
	}
	return s
}

// splitTerms splits a term list at commas, semicolons, "or" and "and".
func splitTerms(s string) []string {
	var out []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, " "))
		}
		cur = nil
	}
	for _, chunk := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		for _, w := range splitWords(chunk) {
			if w == "or" || w == "and" {
				flush()
				continue
			}
			cur = append(cur, w)
		}
		flush()
	}
	return out
}

// splitWords lowercases s and splits it into runs of letters, so
// "Bomb-making?" yields "bomb", "making".
func splitWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
}

// Screen applies rules to a message: the first BLOCK rule with a matching
// term decides; failing that, the first CAUTION rule; failing that, ALLOW.
// So a message that mentions both a bomb and a password is blocked, and
// between two sections with the same decision the earlier one is applied.
func Screen(rules []Rule, message string) Match {
	words := splitWords(message)
	for _, d := range []model.Decision{model.DecisionBlock, model.DecisionCaution} {
		for _, r := range rules {
			if r.Decision != d {
				continue
			}
			for _, term := range r.Terms {
				if found, ok := findPhrase(words, strings.Fields(term)); ok {
					return Match{Decision: d, Rule: r, Term: term, Found: found}
				}
			}
		}
	}
	return Match{Decision: model.DecisionAllow}
}

// wordMatches accepts the term itself and its plural forms ("bombs",
// "doses", "explosives").
func wordMatches(word, key string) bool {
	return word == key || word == key+"s" || word == key+"es"
}

// findPhrase finds phrase in words and returns the words it matched.
func findPhrase(words, phrase []string) (string, bool) {
	if len(phrase) == 0 {
		return "", false
	}
	for i := 0; i+len(phrase) <= len(words); i++ {
		ok := true
		for j, key := range phrase {
			if !wordMatches(words[i+j], key) {
				ok = false
				break
			}
		}
		if ok {
			return strings.Join(words[i:i+len(phrase)], " "), true
		}
	}
	return "", false
}

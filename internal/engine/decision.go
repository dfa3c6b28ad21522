package engine

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/superego-lab/superego/internal/constitution"
	"github.com/superego-lab/superego/internal/model"
)

// maxReasonRunes bounds a parsed reason: it is shown to users and fed into
// the assistant's system prompt, so a runaway reply must not flood either.
const maxReasonRunes = 2000

// ParseDecision finds the superego's verdict in its visible reply.
//
// It takes the last line that reads as a decision — "DECISION: ALLOW",
// "DECISION: CAUTION: <reason>" or "DECISION: BLOCK: <reason>" — tolerating
// letter case, Markdown emphasis ("**DECISION: BLOCK**: reason"), quotes,
// list bullets and quote markers at the start, and trailing whitespace. The
// keyword DECISION must open the line (after such markup), so the word
// "block" anywhere else in the reply never counts. A decision line without
// a reason may be followed by a line "Reason: ...". ok is false when no
// line qualifies; the caller then treats the step as ERROR.
func ParseDecision(text string) (d model.Decision, reason string, ok bool) {
	lines := strings.Split(text, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		d, reason, ok := parseDecisionLine(lines[i])
		if !ok {
			continue
		}
		if reason == "" && d != model.DecisionAllow {
			reason = reasonFromFollowingLine(lines[i+1:])
		}
		return d, clipRunes(reason, maxReasonRunes), true
	}
	return "", "", false
}

// ParseSection finds the constitution section the superego cited in its
// visible reply: the last line "SECTION: <heading>" (with the markup
// ParseDecision tolerates), looked up tolerantly among the constitution's
// top-level sections (see constitution.Find). It returns the heading as
// the constitution writes it, or "" when the reply cites none ("NONE"), no
// line qualifies, or the cited section does not exist; never an error.
func ParseSection(reply, constitutionText string) string {
	lines := strings.Split(reply, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		s := stripLeadingMarkup(lines[i])
		const kw = "section"
		if len(s) < len(kw) || !strings.EqualFold(s[:len(kw)], kw) {
			continue
		}
		s = strings.TrimLeftFunc(s[len(kw):], isDecorative)
		if !strings.HasPrefix(s, ":") {
			continue
		}
		cited := strings.TrimFunc(s[1:], isDecorative)
		if sec, ok := constitution.Find(constitution.Sections(constitutionText), cited); ok {
			return sec.Heading
		}
		return ""
	}
	return ""
}

// NoDecisionReason says why ParseDecision found no verdict in text: a
// decision line whose word is none of ALLOW, CAUTION and BLOCK is named
// with that word (the model wrote "DECISION: MAYBE"), which is a different
// problem (the constitution's instructions) than no decision line at all
// (the model ignored the format).
func NoDecisionReason(text string) string {
	lines := strings.Split(text, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		s := stripLeadingMarkup(lines[i])
		const kw = "decision"
		if len(s) < len(kw) || !strings.EqualFold(s[:len(kw)], kw) {
			continue
		}
		s = strings.TrimLeftFunc(s[len(kw):], isDecorative)
		if !strings.HasPrefix(s, ":") {
			continue
		}
		word := strings.TrimLeftFunc(s[1:], isDecorative)
		if end := strings.IndexFunc(word, func(r rune) bool { return !isASCIILetter(r) }); end >= 0 {
			word = word[:end]
		}
		if word == "" {
			return "the superego's decision line names no decision; it must be ALLOW, CAUTION or BLOCK"
		}
		return fmt.Sprintf("the superego's decision %q is unknown; it must be ALLOW, CAUTION or BLOCK", clipRunes(word, 40))
	}
	return "the superego's reply has no decision line"
}

// parseDecisionLine parses one line, or reports that it is no decision.
func parseDecisionLine(line string) (model.Decision, string, bool) {
	s := stripLeadingMarkup(line)
	const kw = "decision"
	if len(s) < len(kw) || !strings.EqualFold(s[:len(kw)], kw) {
		return "", "", false
	}
	s = strings.TrimLeftFunc(s[len(kw):], isDecorative)
	if !strings.HasPrefix(s, ":") {
		return "", "", false
	}
	s = strings.TrimLeftFunc(s[1:], isDecorative)
	word := s
	if end := strings.IndexFunc(s, func(r rune) bool { return !isASCIILetter(r) }); end >= 0 {
		word = s[:end]
	}
	var d model.Decision
	switch strings.ToUpper(word) {
	case string(model.DecisionAllow):
		d = model.DecisionAllow
	case string(model.DecisionCaution):
		d = model.DecisionCaution
	case string(model.DecisionBlock):
		d = model.DecisionBlock
	default:
		return "", "", false
	}
	return d, cleanReason(s[len(word):]), true
}

// reasonFromFollowingLine picks up "Reason: ..." written on the line after
// a bare decision, a layout models produce often enough to honour.
func reasonFromFollowingLine(rest []string) string {
	for _, l := range rest {
		s := stripLeadingMarkup(l)
		if s == "" {
			continue
		}
		const kw = "reason"
		if len(s) < len(kw) || !strings.EqualFold(s[:len(kw)], kw) {
			return ""
		}
		s = strings.TrimLeftFunc(s[len(kw):], isDecorative)
		if !strings.HasPrefix(s, ":") {
			return ""
		}
		return cleanReason(s[1:])
	}
	return ""
}

// cleanReason strips the separator after the decision word and the
// emphasis and quotes around the reason.
func cleanReason(s string) string {
	s = strings.TrimLeftFunc(s, isDecorative)
	for _, sep := range []string{":", "-", "–", "—", "="} {
		if strings.HasPrefix(s, sep) {
			s = strings.TrimLeftFunc(s[len(sep):], isDecorative)
			break
		}
	}
	s = strings.TrimFunc(s, isDecorative)
	return strings.TrimSpace(s)
}

// stripLeadingMarkup removes whitespace, quote markers, list bullets,
// numbering, headings, emphasis and quotes from the start of a line.
func stripLeadingMarkup(line string) string {
	s := strings.TrimSpace(line)
	for {
		before := s
		s = strings.TrimLeftFunc(s, func(r rune) bool {
			return isDecorative(r) || r == '>' || r == '-' || r == '+' || r == '#' || r == '•'
		})
		// "1." or "2)" numbering.
		if i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }); i > 0 && (s[i] == '.' || s[i] == ')') {
			s = s[i+1:]
		}
		if s == before {
			return s
		}
	}
}

// isDecorative reports runes that carry formatting, not meaning: white
// space, Markdown emphasis and code marks, and quotes.
func isDecorative(r rune) bool {
	switch r {
	case '*', '_', '`', '~', '"', '\'', '“', '”', '‘', '’', '«', '»':
		return true
	}
	return unicode.IsSpace(r)
}

func isASCIILetter(r rune) bool { return r < utf8.RuneSelf && unicode.IsLetter(r) }

// clipRunes shortens s to at most n runes, marking the cut.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

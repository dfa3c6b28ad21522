package demo

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

// Markers the superego prompt is parsed by (see the package comment).
const (
	constitutionMarker = "## CONSTITUTION"
	conversationMarker = "## CONVERSATION"
)

// rule is one entry of the screening list: a keyword (matched as a whole
// word, singular or plural) or a two-word phrase, and what it leads to.
type rule struct {
	words    []string // one word, or a phrase of consecutive words
	decision model.Decision
	topic    string // what the reason says the message is about
	reason   string
}

// rules are checked in order; BLOCK rules come first so a message that
// mentions both a bomb and a password is blocked.
var rules = []rule{
	{[]string{"weapon"}, model.DecisionBlock, "weapons", "the message asks about weapons, which could cause serious harm"},
	{[]string{"bomb"}, model.DecisionBlock, "bombs", "the message asks about bombs, which could cause serious harm"},
	{[]string{"explosive"}, model.DecisionBlock, "explosives", "the message asks about explosives, which could cause serious harm"},
	{[]string{"poison"}, model.DecisionBlock, "poison", "the message asks about poison, which could cause serious harm"},
	{[]string{"malware"}, model.DecisionBlock, "malware", "the message asks about malware, which could cause serious harm"},
	{[]string{"dose"}, model.DecisionCaution, "a medical dose", "medical dosage question; give general information only and recommend a doctor or pharmacist"},
	{[]string{"dosage"}, model.DecisionCaution, "a medical dosage", "medical dosage question; give general information only and recommend a doctor or pharmacist"},
	{[]string{"medication"}, model.DecisionCaution, "medication", "medication question; give general information only and recommend a doctor or pharmacist"},
	{[]string{"legal", "advice"}, model.DecisionCaution, "legal advice", "request for legal advice; give general information, not advice on a specific case"},
	{[]string{"invest"}, model.DecisionCaution, "investing", "investing question; no personalised financial advice"},
	{[]string{"investing"}, model.DecisionCaution, "investing", "investing question; no personalised financial advice"},
	{[]string{"investment"}, model.DecisionCaution, "investments", "investment question; no personalised financial advice"},
	{[]string{"password"}, model.DecisionCaution, "a password", "mentions a password; never ask for, guess or reveal credentials"},
}

// verdict is the demo superego's conclusion about one user message.
type verdict struct {
	decision model.Decision
	topic    string
	reason   string
}

// screen applies the rule list to a message.
func screen(msg string) verdict {
	words := splitWords(msg)
	for _, r := range rules {
		if containsPhrase(words, r.words) {
			return verdict{decision: r.decision, topic: r.topic, reason: r.reason}
		}
	}
	return verdict{decision: model.DecisionAllow}
}

// splitWords lowercases s and splits it into runs of letters, so
// "Bomb-making?" yields "bomb", "making".
func splitWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
}

// wordMatches accepts the keyword itself and its plural forms ("bombs",
// "doses", "explosives").
func wordMatches(word, key string) bool {
	return word == key || word == key+"s" || word == key+"es"
}

func containsPhrase(words, phrase []string) bool {
	for i := 0; i+len(phrase) <= len(words); i++ {
		ok := true
		for j, key := range phrase {
			if !wordMatches(words[i+j], key) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// extractConstitution returns the text between the "## CONSTITUTION" line
// and the "## CONVERSATION" line (or the end), and whether the marker was
// there at all.
func extractConstitution(system string) (string, bool) {
	lines := strings.Split(system, "\n")
	start := -1
	for i, l := range lines {
		if hasMarker(l, constitutionMarker) {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return "", false
	}
	end := len(lines)
	for i := start; i < len(lines); i++ {
		if hasMarker(lines[i], conversationMarker) {
			end = i
			break
		}
	}
	return strings.Join(lines[start:end], "\n"), true
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
func superegoScript(req llm.Request) (thinking, reply string) {
	constitution, found := extractConstitution(req.System)
	msg := lastUserMessage(req.Messages)
	var th, rp strings.Builder

	if strings.TrimSpace(constitution) == "" {
		if found {
			th.WriteString("The constitution is empty, so there are no rules to screen the message against. ")
		} else {
			th.WriteString("I find no constitution section in my instructions, so there are no rules to screen the message against. ")
		}
		th.WriteString("Everything is allowed.")
		rp.WriteString("With no constitution in force there is nothing to object to.\n\nDECISION: ALLOW")
		return th.String(), rp.String()
	}

	v := screen(msg)
	hs := headings(constitution)
	switch len(hs) {
	case 0:
		th.WriteString("The constitution has no headings, so I read it as a single section.\n")
	case 1:
		th.WriteString("The constitution has one section.\n")
	default:
		fmt.Fprintf(&th, "The constitution has %d sections; I will go through them one by one.\n", len(hs))
	}
	for i, h := range hs {
		if h.gist != "" {
			fmt.Fprintf(&th, "Section %d, %q, reads: \"%s\" I hold the user's message up against it.\n", i+1, h.title, h.gist)
		} else {
			fmt.Fprintf(&th, "Section %d, %q: I hold the user's message up against it.\n", i+1, h.title)
		}
	}
	switch v.decision {
	case model.DecisionBlock:
		fmt.Fprintf(&th, "The message is about %s. That is on my list of topics that can cause serious harm, so it must not be answered.", v.topic)
		fmt.Fprintf(&rp, "The user's message is about %s. Answering could cause serious harm, which the constitution does not permit.\n\nDECISION: BLOCK: %s", v.topic, v.reason)
	case model.DecisionCaution:
		fmt.Fprintf(&th, "The message is about %s. That is sensitive but not forbidden, so the assistant may answer with care.", v.topic)
		fmt.Fprintf(&rp, "The user's message is about %s. It can be answered, but carefully.\n\nDECISION: CAUTION: %s", v.topic, v.reason)
	default:
		th.WriteString("Nothing in the message touches a harmful or sensitive topic.")
		fmt.Fprintf(&rp, "The message raises none of the concerns in the constitution (%d sections checked).\n\nDECISION: ALLOW", max(len(hs), 1))
	}
	return th.String(), rp.String()
}

func lastUserMessage(msgs []llm.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == model.RoleUser {
			return msgs[i].Content
		}
	}
	return ""
}

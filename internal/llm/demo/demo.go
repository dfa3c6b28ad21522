// Package demo is Superego's offline provider: no network, no credentials,
// fully deterministic, and paced like a real model so the UI can be tried
// and tested without an API key. Wherever a model name shows it is labelled
// as a demo ("demo-superego", "demo-assistant").
//
// # Superego rule set (PurposeSuperego)
//
// The demo superego is a small rule set, not a model:
//
//  1. The constitution is the text of the system prompt after a line
//     "## CONSTITUTION" up to a line "## CONVERSATION" or the end of the
//     prompt (marker lines match case-insensitively and may carry trailing
//     text such as a version; headings inside the constitution itself are
//     part of it). No such section, or one that is only whitespace (as with
//     the "none" constitution), allows everything.
//  2. Otherwise its rules are the constitution's "Demo:" paragraphs (see
//     constitution.DemoRules and the README), e.g. "Demo: block when the
//     message mentions weapon, bomb or poison." under a section heading. It
//     reads the last user message, splits it into words (case-insensitive,
//     any non-letter separates words) and applies constitution.Screen: the
//     first BLOCK rule with a matching term decides, else the first CAUTION
//     rule, else ALLOW. A constitution without such paragraphs allows
//     everything. The seeded constitutions carry rules that block weapon,
//     bomb, explosive, poison and malware and caution on dose, dosage,
//     medication, invest(ing/ment), password and "legal advice".
//  3. Its thinking (reasoning events) walks through the constitution's
//     Markdown headings one by one before concluding; its visible reply
//     (text events) is a short evaluation ending in two lines:
//     "SECTION: <heading of the top-level section of the rule applied>" (or
//     "SECTION: NONE") and exactly "DECISION: ALLOW",
//     "DECISION: CAUTION: <reason>" or "DECISION: BLOCK: <reason>".
//
// # Assistant (PurposeAssistant, or no purpose)
//
// A fixed answer of a few dozen words that quotes the start of the last
// user message; when the system prompt mentions a caution, the answer
// first acknowledges it.
//
// # Pacing and usage
//
// Output is cut into word-sized pieces (a word plus the whitespace after
// it), one event each, with Options.Delay between pieces (0: no wait).
// Cancelling the context stops the stream at once. Usage counts pieces: the
// words of the prompt as input, the emitted pieces as output.
//
// # Parameters
//
// Every generation parameter (Request.Params) is accepted and reported
// back as sent, so flow configs with parameters can be tried offline.
// Only max_tokens changes the output: the answer (reasoning included)
// stops after that many pieces with stop reason "max_tokens".
package demo

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"
	"unicode"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

// Model names the demo reports; they say "demo" so nobody mistakes the
// output for a real model's.
const (
	SuperegoModel  = "demo-superego"
	AssistantModel = "demo-assistant"
)

// DefaultDelay is a realistic pause between tokens.
const DefaultDelay = 20 * time.Millisecond

// Options configures the demo provider.
type Options struct {
	// Delay between emitted pieces; 0 emits as fast as the consumer takes them.
	Delay time.Duration
}

// Provider is the offline demo provider.
type Provider struct {
	delay time.Duration
	// screenings keeps the screening of the constitutions read lately
	// (rules.go), so each is parsed once, not on every call.
	screenings *lru.Cache[string, *screening]
}

// New returns a demo provider.
func New(opts Options) *Provider {
	screenings, err := lru.New[string, *screening](maxScreenings)
	if err != nil {
		panic(err) // the size is positive
	}
	return &Provider{delay: max(opts.Delay, 0), screenings: screenings}
}

// Name implements llm.Provider.
func (p *Provider) Name() string { return llm.ProviderDemo }

// Stream implements llm.Provider.
func (p *Provider) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	if err := llm.CheckParams(llm.ProviderDemo, req.Reasoning, req.Params); err != nil {
		return &llm.StreamError{Provider: p.Name(), Err: err}
	}
	// The demo takes every parameter and records it; only max_tokens
	// changes what it writes (see limit below).
	if !req.Params.IsZero() {
		sent := req.Params
		if err := emit(llm.Event{Kind: llm.KindParams, Params: &sent}); err != nil {
			return err
		}
	}
	var reasoning, text string
	if req.Purpose == llm.PurposeSuperego {
		reasoning, text = p.superegoScript(req)
	} else {
		text = assistantScript(req)
	}

	var timer *time.Timer
	if p.delay > 0 {
		timer = time.NewTimer(time.Hour)
		timer.Stop()
		defer timer.Stop()
	}
	out := 0
	// limit cuts the answer at max_tokens pieces, reasoning included as
	// Anthropic counts it, and stops with "max_tokens" like a real
	// provider, so that cut answers can be tried offline.
	limit := -1
	if req.Params.MaxTokens != nil {
		limit = *req.Params.MaxTokens
	}
	send := func(kind llm.Kind, s string) error {
		for piece := range eachPiece(s) {
			if out == limit {
				return errCut
			}
			if err := p.pause(ctx, timer); err != nil {
				return err
			}
			if err := emit(llm.Event{Kind: kind, Delta: piece}); err != nil {
				return err
			}
			out++
		}
		return nil
	}
	err := send(llm.KindReasoning, reasoning)
	if err == nil {
		err = send(llm.KindText, text)
	}
	if errors.Is(err, errCut) {
		if err := emit(llm.Event{Kind: llm.KindStop, Stop: "max_tokens"}); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	return emit(llm.Event{Kind: llm.KindUsage, Usage: model.Usage{InputTokens: inputTokens(req), OutputTokens: out}})
}

// errCut ends the pieces of an answer at its max_tokens.
var errCut = errors.New("max_tokens reached")

// pause waits one delay, returning early with ctx's error if it ends.
func (p *Provider) pause(ctx context.Context, timer *time.Timer) error {
	if timer == nil {
		return ctx.Err()
	}
	timer.Reset(p.delay)
	select {
	case <-ctx.Done():
		timer.Stop()
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// Pieces cuts s into word-sized tokens: each piece is a run of
// non-space characters followed by the whitespace after it (leading
// whitespace joins the first piece). Concatenating the pieces gives s back.
func Pieces(s string) []string {
	return slices.Collect(eachPiece(s))
}

// eachPiece yields the pieces of s one by one, without building the list
// Pieces returns: a stream goes through every piece of its answer once.
func eachPiece(s string) iter.Seq[string] {
	return func(yield func(string) bool) {
		start := 0
		seenWord := false
		inSpace := false
		for i, r := range s {
			space := unicode.IsSpace(r)
			if !space && inSpace && seenWord {
				if !yield(s[start:i]) {
					return
				}
				start = i
			}
			if !space {
				seenWord = true
			}
			inSpace = space
		}
		if start < len(s) {
			yield(s[start:])
		}
	}
}

// inputTokens counts the prompt's words as strings.Fields splits them,
// without building the lists: the prompt holds the whole constitution.
func inputTokens(req llm.Request) int {
	n := countFields(req.System)
	for _, m := range req.Messages {
		n += countFields(m.Content)
	}
	return n
}

// countFields is len(strings.Fields(s)).
func countFields(s string) int {
	n := 0
	inWord := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			inWord = false
		} else if !inWord {
			inWord = true
			n++
		}
	}
	return n
}

// assistantScript writes the demo assistant's answer.
func assistantScript(req llm.Request) string {
	msg := strings.Join(strings.Fields(lastUserMessage(req.Messages)), " ")
	words := strings.Fields(msg)
	snippet := msg
	if len(words) > 8 {
		snippet = strings.Join(words[:8], " ") + "…"
	}
	var b strings.Builder
	if strings.Contains(req.System, llm.CautionHeading) {
		b.WriteString("The superego advised caution on this one, so I will keep my answer general and careful. ")
	}
	if snippet == "" {
		b.WriteString("This is the offline demo assistant. I did not receive a question. ")
	} else {
		fmt.Fprintf(&b, "This is the offline demo assistant answering %q, a message of %d words. ", snippet, len(words))
	}
	b.WriteString("A real model would reply thoughtfully here; the demo writes a fixed answer so that runs " +
		"can be compared and tested without a network. Set an API key to talk to a real model.")
	return b.String()
}

package openai

import "strings"

const (
	thinkOpen  = "<think>"
	thinkClose = "</think>"
)

// Segment is a piece of streamed content classified as reasoning (inside
// <think>…</think>) or visible text.
type Segment struct {
	Reasoning bool
	Text      string
}

// States of a ThinkSplitter.
const (
	thinkStart = iota // nothing but whitespace seen yet
	thinkInside
	thinkAfter // the block closed; skipping the whitespace after it
	thinkText  // visible text: everything from here on is text
	thinkMaybe // Implicit: content without <think> held until </think> or the end
)

// ThinkSplitter separates a <think>…</think> reasoning block from visible
// text in a content stream whose chunks may cut a tag anywhere ("<thi" +
// "nk>"). Local reasoning models open their content with such a block, so
// only a block at the very start (after white space) counts: once visible
// text has begun, "<think>" is just text — an answer that talks about the
// tag must not vanish into reasoning, nor a superego's decision line with
// it. Only a tail that could still become the awaited tag is held back.
// White space before the block and between it and the text is dropped, as
// is leading white space of the text. The zero value is ready to use.
//
// With Implicit set, content that does not open with <think> is held back
// until a lone </think> shows it was reasoning (R1 distills and QwQ served
// without a reasoning parser start straight with their reasoning and only
// close the block), or until the stream ends, when it is text after all.
// That costs streaming for models that never think, so it is set only for
// servers that may run such models without a parser.
type ThinkSplitter struct {
	// Implicit treats content before a lone </think> as reasoning.
	Implicit bool
	state    int
	pending  string // held-back tail that may be the start of a tag
}

// Release gives up waiting for a lone </think>: the server separates
// reasoning itself (it sent a reasoning field), so content is text.
func (s *ThinkSplitter) Release() []Segment {
	s.Implicit = false
	if s.state != thinkMaybe {
		return nil
	}
	s.state = thinkText
	rest := s.pending
	s.pending = ""
	return add(nil, false, rest)
}

// Feed takes the next chunk of content and returns the segments that are
// now certain.
func (s *ThinkSplitter) Feed(chunk string) []Segment {
	buf := s.pending + chunk
	s.pending = ""
	var out []Segment
	for buf != "" {
		switch s.state {
		case thinkStart, thinkAfter:
			buf = strings.TrimLeft(buf, " \t\r\n")
			switch {
			case buf == "":
			case s.state == thinkStart && strings.HasPrefix(buf, thinkOpen):
				s.state = thinkInside
				buf = buf[len(thinkOpen):]
			case s.state == thinkStart && strings.HasPrefix(thinkOpen, buf):
				s.pending, buf = buf, "" // may still become <think>
			case s.state == thinkStart && s.Implicit:
				s.state = thinkMaybe
			default:
				s.state = thinkText
			}
		case thinkMaybe:
			held := buf
			buf = ""
			if i := strings.Index(held, thinkClose); i >= 0 {
				out = add(out, true, held[:i])
				buf = held[i+len(thinkClose):]
				s.state = thinkAfter
				continue
			}
			s.pending = held
		case thinkInside:
			if i := strings.Index(buf, thinkClose); i >= 0 {
				out = add(out, true, buf[:i])
				buf = buf[i+len(thinkClose):]
				s.state = thinkAfter
				continue
			}
			keep := partialSuffix(buf, thinkClose)
			out = add(out, true, buf[:len(buf)-keep])
			s.pending, buf = buf[len(buf)-keep:], ""
		default:
			out = add(out, false, buf)
			buf = ""
		}
	}
	return out
}

// Flush returns whatever is held back at the end of the stream: the start
// of an opening tag that never completed is text, of a closing tag inside
// an unfinished block reasoning.
// Content held in Implicit mode without a </think> is text.
func (s *ThinkSplitter) Flush() []Segment {
	rest := s.pending
	s.pending = ""
	return add(nil, s.state == thinkInside, rest)
}

// add appends text as a segment, merged with the previous one of the same
// kind so callers emit one event per kind per chunk.
func add(out []Segment, reasoning bool, text string) []Segment {
	if text == "" {
		return out
	}
	if n := len(out); n > 0 && out[n-1].Reasoning == reasoning {
		out[n-1].Text += text
		return out
	}
	return append(out, Segment{Reasoning: reasoning, Text: text})
}

// partialSuffix is the length of the longest suffix of s that is a proper
// prefix of tag.
func partialSuffix(s, tag string) int {
	for n := min(len(tag)-1, len(s)); n > 0; n-- {
		if strings.HasSuffix(s, tag[:n]) {
			return n
		}
	}
	return 0
}

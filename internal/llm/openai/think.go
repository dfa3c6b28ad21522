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

// ThinkSplitter separates <think>…</think> reasoning from visible text in
// a content stream whose chunks may cut a tag anywhere ("<thi" + "nk>").
// It holds back only the shortest tail that could still become a tag, so
// text is released as soon as it cannot be part of one. Leading whitespace
// of the visible text (typically the blank line after </think>) is
// dropped. The zero value is ready to use.
type ThinkSplitter struct {
	inThink     bool
	pending     string // held-back tail that may be the start of a tag
	textStarted bool
}

// Feed takes the next chunk of content and returns the segments that are
// now certain.
func (s *ThinkSplitter) Feed(chunk string) []Segment {
	buf := s.pending + chunk
	s.pending = ""
	var out []Segment
	for buf != "" {
		tag := thinkOpen
		if s.inThink {
			tag = thinkClose
		}
		if i := strings.Index(buf, tag); i >= 0 {
			out = s.add(out, buf[:i])
			buf = buf[i+len(tag):]
			s.inThink = !s.inThink
			continue
		}
		keep := partialSuffix(buf, tag)
		out = s.add(out, buf[:len(buf)-keep])
		s.pending = buf[len(buf)-keep:]
		break
	}
	return out
}

// Flush returns whatever is held back at the end of the stream; an
// unfinished tag is just text then.
func (s *ThinkSplitter) Flush() []Segment {
	rest := s.pending
	s.pending = ""
	return s.add(nil, rest)
}

func (s *ThinkSplitter) add(out []Segment, text string) []Segment {
	if !s.inThink && !s.textStarted {
		text = strings.TrimLeft(text, " \t\r\n")
		if text != "" {
			s.textStarted = true
		}
	}
	if text == "" {
		return out
	}
	// Merge with the previous segment of the same kind so callers emit
	// one event per kind per chunk.
	if n := len(out); n > 0 && out[n-1].Reasoning == s.inThink {
		out[n-1].Text += text
		return out
	}
	return append(out, Segment{Reasoning: s.inThink, Text: text})
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

package openai

import (
	"strings"
	"sync/atomic"
	"testing"
)

// splitAll feeds chunks through a splitter and returns the reasoning and
// text it produced, checking that no segment is empty on the way.
func splitAll(t *testing.T, chunks []string) (reasoning, text string) {
	t.Helper()
	var s ThinkSplitter
	var r, x strings.Builder
	take := func(segs []Segment) {
		for _, seg := range segs {
			if seg.Text == "" {
				t.Fatalf("empty segment from chunks %q", chunks)
			}
			if seg.Reasoning {
				r.WriteString(seg.Text)
			} else {
				x.WriteString(seg.Text)
			}
		}
	}
	for _, c := range chunks {
		take(s.Feed(c))
	}
	take(s.Flush())
	return r.String(), x.String()
}

// reference splits a complete string the simple, non-streaming way: a
// <think> block counts only at the start of the content.
func reference(s string) (reasoning, text string) {
	const ws = " \t\r\n"
	s = strings.TrimLeft(s, ws)
	if !strings.HasPrefix(s, thinkOpen) {
		return "", s
	}
	s = s[len(thinkOpen):]
	i := strings.Index(s, thinkClose)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i+len(thinkClose):], ws)
}

func TestThinkSplitter(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		chunks        []string
		wantReasoning string
		wantText      string
	}{
		{"no tags", []string{"plain ", "answer"}, "", "plain answer"},
		{"whole tags", []string{"<think>hmm</think>\n\nYes."}, "hmm", "Yes."},
		{"open tag split", []string{"<", "th", "ink>a", "b</think>c"}, "ab", "c"},
		{"close tag split one byte at a time", []string{"<think>x<", "/", "t", "h", "i", "n", "k", ">y"}, "x", "y"},
		{"lookalike is text", []string{"a <thinking> b"}, "", "a <thinking> b"},
		{"less-than in answer", []string{"1 <", " 2 and 3 <", "4"}, "", "1 < 2 and 3 <4"},
		{"unclosed think at end", []string{"<think>still thinking"}, "still thinking", ""},
		{"dangling partial tag at end", []string{"answer <thi"}, "", "answer <thi"},
		{"white space before the block", []string{"\n ", "<think>r</think>\n", "\nt"}, "r", "t"},
		{"a later think tag is text", []string{"<think>a</think>b<think>c</think>d"}, "a", "b<think>c</think>d"},
		{"text first: the tag is text", []string{"Hi <think>r</think> there"}, "", "Hi <think>r</think> there"},
		{"an answer about the tag", []string{"Qwen wraps its reasoning in <th", "ink> tags.\n\nDECISION: ALLOW"}, "",
			"Qwen wraps its reasoning in <think> tags.\n\nDECISION: ALLOW"},
		{"empty block", []string{"<think></think>", "x"}, "", "x"},
	}
	for _, c := range cases {
		r, x := splitAll(t, c.chunks)
		if r != c.wantReasoning || x != c.wantText {
			t.Errorf("%s: got reasoning %q text %q, want %q / %q", c.name, r, x, c.wantReasoning, c.wantText)
		}
	}
}

func TestThinkSplitterReleasesTextEarly(t *testing.T) {
	t.Parallel()
	// Once visible text has begun nothing is held back; before that only
	// what may still become the awaited tag is.
	var s ThinkSplitter
	if segs := s.Feed("<thi"); len(segs) != 0 {
		t.Fatalf("segments %+v, want the possible <think> held back", segs)
	}
	if segs := s.Feed("nk>Hmm </th"); len(segs) != 1 || segs[0].Text != "Hmm " || !segs[0].Reasoning {
		t.Fatalf("segments %+v, want reasoning up to the possible </think>", segs)
	}
	if segs := s.Feed("ink>Hello <th"); len(segs) != 1 || segs[0].Text != "Hello <th" || segs[0].Reasoning {
		t.Fatalf("segments %+v, want all the text released", segs)
	}
}

func FuzzThinkSplitter(f *testing.F) {
	f.Add("<think>reasoning</think>\n\nanswer", uint8(3))
	f.Add("a<thi<think>b</thin</think>c", uint8(1))
	f.Add("<<<think>>></think></think>", uint8(2))
	f.Fuzz(func(t *testing.T, s string, step uint8) {
		n := int(step%7) + 1
		var chunks []string
		for i := 0; i < len(s); i += n {
			chunks = append(chunks, s[i:min(i+n, len(s))])
		}
		gotR, gotX := splitAll(t, chunks)
		wantR, wantX := reference(s)
		if gotR != wantR || gotX != wantX {
			t.Fatalf("chunks %q: got %q / %q, want %q / %q", chunks, gotR, gotX, wantR, wantX)
		}
	})
}

func TestDoneWatcher(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		"data: {\"a\":1}\n\ndata: [DONE]\n\n":      true,
		"data:[DONE]\r\n\r\n":                      true,
		"data: {\"a\":1}\n\n":                      false,
		"data: {\"text\":\"data: [DONE]\"}\n\n":    false,
		"xxdata: [DONE]\n":                         false,
		"data: [DONE]":                             true, // last line without newline
		strings.Repeat("x", 40) + "data: [DONE]\n": false,
	}
	for body, want := range cases {
		for step := 1; step <= 5; step++ {
			var done atomic.Bool
			w := &doneWatcher{rc: nopCloser{strings.NewReader(body)}, done: &done}
			buf := make([]byte, step)
			for {
				if _, err := w.Read(buf); err != nil {
					break
				}
			}
			if done.Load() != want {
				t.Errorf("body %q read %d bytes at a time: done=%v, want %v", body, step, done.Load(), want)
			}
		}
	}
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func FuzzDoneWatcher(f *testing.F) {
	f.Add("data: {}\n\ndata: [DONE]\n\n", uint8(1))
	f.Add("data:[DONE]\r\n", uint8(3))
	f.Add("data: [DONE]        \r\n", uint8(2))
	f.Fuzz(func(t *testing.T, body string, step uint8) {
		read := func(n int) bool {
			var done atomic.Bool
			w := &doneWatcher{rc: nopCloser{strings.NewReader(body)}, done: &done}
			buf := make([]byte, n)
			for {
				if _, err := w.Read(buf); err != nil {
					return done.Load()
				}
			}
		}
		// However the body is cut into reads, the verdict is the same, and
		// it matches a line-by-line reading of the whole body.
		whole := false
		for _, l := range strings.Split(body, "\n") {
			line := strings.TrimRight(l, "\r ")
			if line == "data: [DONE]" || line == "data:[DONE]" {
				whole = true
			}
		}
		if got := read(int(step%9) + 1); got != whole {
			t.Fatalf("body %q in reads of %d: done=%v, line scan says %v", body, step%9+1, got, whole)
		}
	})
}

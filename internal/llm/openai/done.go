package openai

import (
	"io"
	"sync/atomic"
)

// doneWatcher passes a streaming response body through unchanged while
// noting whether the SSE terminator line "data: [DONE]" went by. The SDK
// treats a connection that simply closes like a normal end of stream, so
// without this a cut stream would look like a short, complete answer.
type doneWatcher struct {
	rc   io.ReadCloser
	done *atomic.Bool
	line []byte // start of the current line, capped: only short lines matter
	long bool   // the current line is longer than any terminator
}

const maxTerminatorLine = 16

func (w *doneWatcher) Read(p []byte) (int, error) {
	n, err := w.rc.Read(p)
	w.scan(p[:n])
	if err == io.EOF && !w.long && isDoneLine(w.line) {
		w.done.Store(true) // terminator on the last line without a newline
	}
	return n, err
}

func (w *doneWatcher) Close() error { return w.rc.Close() }

func (w *doneWatcher) scan(b []byte) {
	for _, c := range b {
		switch {
		case c == '\n':
			if !w.long && isDoneLine(w.line) {
				w.done.Store(true)
			}
			w.line = w.line[:0]
			w.long = false
		case w.long:
		case len(w.line) >= maxTerminatorLine:
			// Trailing padding does not make a terminator line too long.
			if c != ' ' && c != '\r' {
				w.long = true
			}
		default:
			w.line = append(w.line, c)
		}
	}
}

// isDoneLine accepts "data: [DONE]" and "data:[DONE]", with an optional
// trailing carriage return or spaces.
func isDoneLine(l []byte) bool {
	for len(l) > 0 && (l[len(l)-1] == '\r' || l[len(l)-1] == ' ') {
		l = l[:len(l)-1]
	}
	s := string(l)
	return s == "data: [DONE]" || s == "data:[DONE]"
}

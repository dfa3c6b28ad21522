// Package llmtest is a fake model upstream for provider tests: an httptest
// server that replays recorded wire fixtures (SSE streams or error bodies)
// event by event, records what it was sent, and can cut, reset or hang a
// stream to exercise failure handling. It is imported by tests only.
package llmtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

// Reply is what the upstream answers to one request. Requests beyond the
// last reply get the last one again.
type Reply struct {
	// Status defaults to 200.
	Status int
	// Header is added to the response.
	Header map[string]string
	// Body is sent as is for an error status; for 200 it is an SSE stream,
	// written and flushed one event (blank-line separated) at a time.
	Body []byte
	// Hang blocks after the body until the client goes away, then reports
	// it on Upstream.ClientGone.
	Hang bool
	// Reset drops the TCP connection after the body, without the chunked
	// terminator, like a proxy or server dying mid-stream.
	Reset bool
	// Pace waits this long before each event after the first, like a
	// server sending keep-alives while a model queues or thinks.
	Pace time.Duration
}

// Recorded is one request the upstream received.
type Recorded struct {
	Header http.Header
	Path   string
	Raw    []byte
	Body   map[string]any
}

// Upstream is the fake server.
type Upstream struct {
	*httptest.Server
	// ClientGone receives once per Hang reply when that request's context
	// ends, i.e. the client closed the connection.
	ClientGone chan struct{}

	mu       sync.Mutex
	replies  []Reply
	requests []Recorded
}

// New starts an upstream answering with replies in order; it is closed at
// the end of the test.
func New(t testing.TB, replies ...Reply) *Upstream {
	t.Helper()
	if len(replies) == 0 {
		t.Fatal("llmtest.New needs at least one reply")
	}
	u := &Upstream{replies: replies, ClientGone: make(chan struct{}, 16)}
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.Close)
	return u
}

// Calls is how many requests arrived so far.
func (u *Upstream) Calls() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.requests)
}

// Request returns the i-th request received.
func (u *Upstream) Request(i int) Recorded {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.requests[i]
}

func (u *Upstream) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	rec := Recorded{Header: r.Header.Clone(), Path: r.URL.Path, Raw: raw}
	_ = json.Unmarshal(raw, &rec.Body)
	u.mu.Lock()
	n := len(u.requests)
	u.requests = append(u.requests, rec)
	rep := u.replies[min(n, len(u.replies)-1)]
	u.mu.Unlock()

	for k, v := range rep.Header {
		w.Header().Set(k, v)
	}
	status := rep.Status
	if status == 0 {
		status = http.StatusOK
	}
	if status != http.StatusOK {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(rep.Body)
		return
	}
	if _, set := rep.Header["Content-Type"]; !set {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	fl := w.(http.Flusher)
	fl.Flush()
	for i, ev := range splitEvents(rep.Body) {
		if i > 0 && rep.Pace > 0 {
			select {
			case <-time.After(rep.Pace):
			case <-r.Context().Done():
				return
			}
		}
		if _, err := w.Write(ev); err != nil {
			return
		}
		fl.Flush()
	}
	switch {
	case rep.Hang:
		<-r.Context().Done()
		u.ClientGone <- struct{}{}
	case rep.Reset:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}
}

// splitEvents cuts an SSE body after every blank line, keeping the
// separators, so each event is flushed on its own as a real server would.
func splitEvents(body []byte) [][]byte {
	var out [][]byte
	for len(body) > 0 {
		i := bytes.Index(body, []byte("\n\n"))
		if i < 0 {
			out = append(out, body)
			break
		}
		out = append(out, body[:i+2])
		body = body[i+2:]
	}
	return out
}

// Fixture reads testdata/name of the calling package.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// Collected gathers a stream's events; its Emit method is a ready-made
// emit callback.
type Collected struct {
	Reasoning string
	Text      string
	Usage     []model.Usage
	Events    []llm.Event
}

// Emit records one event.
func (c *Collected) Emit(ev llm.Event) error {
	c.Events = append(c.Events, ev)
	switch ev.Kind {
	case llm.KindReasoning:
		c.Reasoning += ev.Delta
	case llm.KindText:
		c.Text += ev.Delta
	case llm.KindUsage:
		c.Usage = append(c.Usage, ev.Usage)
	}
	return nil
}

// Stops returns the stop reasons the stream reported, in order.
func (c *Collected) Stops() []string {
	var out []string
	for _, ev := range c.Events {
		if ev.Kind == llm.KindStop {
			out = append(out, ev.Stop)
		}
	}
	return out
}

// Count returns how many events of kind the stream emitted.
func (c *Collected) Count(kind llm.Kind) int {
	n := 0
	for _, ev := range c.Events {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

// StreamFixture is the preamble of most provider edge tests: it serves
// the recorded stream fixture from a new fake upstream, streams req through
// the provider that newProvider makes for that upstream, and returns what
// the stream emitted. A stream error fails the test.
func StreamFixture(t testing.TB, fixture string, req llm.Request, newProvider func(*Upstream) llm.Provider) Collected {
	t.Helper()
	up := New(t, Reply{Body: Fixture(t, fixture)})
	var got Collected
	if err := newProvider(up).Stream(t.Context(), req, got.Emit); err != nil {
		t.Fatalf("stream %s: %v", fixture, err)
	}
	return got
}

// CheckStop checks a stream that ended normally: exactly one stop event
// with reason stop, the text text, and llm.Cut true for every reason but
// the provider's natural end.
func CheckStop(t testing.TB, got Collected, stop, natural, text string) {
	t.Helper()
	if s := got.Stops(); len(s) != 1 || s[0] != stop {
		t.Errorf("stop events %q, want [%q]", s, stop)
	}
	if got.Text != text {
		t.Errorf("text %q, want %q", got.Text, text)
	}
	if llm.Cut(stop) != (stop != natural) {
		t.Errorf("Cut(%q) = %v", stop, llm.Cut(stop))
	}
}

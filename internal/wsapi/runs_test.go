package wsapi_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/wsapi"
)

func withRuns(mux *http.ServeMux, e *env) {
	api := humago.New(mux, huma.DefaultConfig("test", "1"))
	wsapi.RegisterRuns(api, e.eng)
}

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct {
	id, event string
	data      events.Event
}

// readSSE reads a whole event stream until the server ends it.
func readSSE(t *testing.T, body io.Reader) []sseEvent {
	t.Helper()
	var out []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.event != "" {
				out = append(out, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, ":"): // comment / keep-alive
		case strings.HasPrefix(line, "id: "):
			cur.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			cur.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(line[6:]), &cur.data); err != nil {
				t.Fatalf("bad data line %q: %v", line, err)
			}
		default:
			t.Fatalf("unexpected SSE line %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading stream: %v", err)
	}
	return out
}

// reply is an HTTP response whose body is closed when the test ends, so a
// test can read a stream after acting on its headers.
type reply struct {
	StatusCode int
	Header     http.Header
	Body       io.Reader
}

func get(t *testing.T, url string, header http.Header) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return reply{StatusCode: resp.StatusCode, Header: resp.Header, Body: resp.Body}
}

func TestRunsOverHTTP(t *testing.T) {
	t.Parallel()
	hold := newGate()
	e := newEnv(t, envOpts{mux: withRuns, prov: &scripted{pieces: words(30), holdAt: 10, hold: hold}})
	c := e.dial()
	c.send(sendMessage("h", e.instance, "stream me"))
	runID := c.expect(events.TypeAccepted).RunIDs[0]

	// GET /api/runs/{id} while it runs.
	resp := get(t, e.srv.URL+"/api/runs/"+runID, nil)
	var run model.Run
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&run) != nil || run.ID != runID || run.Status != model.RunRunning {
		t.Fatalf("GET run: %d %+v", resp.StatusCode, run)
	}

	// The event stream starts with what already happened, follows live
	// events once the provider continues, and ends after run_finished.
	stream := get(t, e.srv.URL+"/api/runs/"+runID+"/events", nil)
	if stream.StatusCode != http.StatusOK || !strings.HasPrefix(stream.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", stream.StatusCode, stream.Header.Get("Content-Type"))
	}
	hold.open()
	all := readSSE(t, stream.Body)
	evs := make([]events.Event, len(all))
	for i, s := range all {
		if s.id != strconv.FormatInt(s.data.Seq, 10) || s.event != s.data.Type || s.data.RunID != runID {
			t.Fatalf("message %d: id %q event %q data %+v", i, s.id, s.event, s.data)
		}
		evs[i] = s.data
	}
	checkRun(t, evs, 0)
	// The stream never merges: it carries the run's log event for event.
	logged := drainSub(t, must(e.eng.Subscribe(t.Context(), runID, 0)))
	if len(logged) != len(evs) {
		t.Fatalf("SSE sent %d events, the run's log holds %d", len(evs), len(logged))
	}
	for i := range evs {
		if evs[i].Seq != logged[i].Seq || evs[i].Delta != logged[i].Delta {
			t.Fatalf("SSE event %d = seq %d %q, the log's = seq %d %q", i, evs[i].Seq, evs[i].Delta, logged[i].Seq, logged[i].Delta)
		}
	}
	if evs[len(evs)-1].Type != events.TypeRunFinished || text(evs, events.TypeAssistantToken) != strings.Join(words(30), "") {
		t.Fatalf("stream ended with %s, text %q", evs[len(evs)-1].Type, text(evs, events.TypeAssistantToken))
	}

	// Last-Event-ID wins over after_seq; after_seq alone works too.
	resumed := readSSE(t, get(t, e.srv.URL+"/api/runs/"+runID+"/events?after_seq="+seqOf(evs[0]), http.Header{"Last-Event-ID": {seqOf(evs[4])}}).Body)
	if len(resumed) != len(evs)-5 || resumed[0].data.Seq != evs[5].Seq {
		t.Fatalf("Last-Event-ID %d: %d events from seq %d", evs[4].Seq, len(resumed), resumed[0].data.Seq)
	}
	resumed = readSSE(t, get(t, e.srv.URL+"/api/runs/"+runID+"/events?after_seq="+seqOf(evs[2]), nil).Body)
	if len(resumed) != len(evs)-3 || resumed[0].data.Seq != evs[3].Seq {
		t.Fatalf("after_seq %d: %d events from seq %d", evs[2].Seq, len(resumed), resumed[0].data.Seq)
	}

	// Reconnecting after the end: 204, so an EventSource stops for good
	// instead of getting an empty 200 and reconnecting every 3 s.
	last := strconv.FormatInt(evs[len(evs)-1].Seq, 10)
	for _, h := range []http.Header{{"Last-Event-ID": {last}}, {"Last-Event-ID": {last + "0"}}} {
		end := get(t, e.srv.URL+"/api/runs/"+runID+"/events", h)
		if b, _ := io.ReadAll(end.Body); end.StatusCode != http.StatusNoContent || len(b) != 0 {
			t.Fatalf("reconnect after the end (%v): %d %q", h, end.StatusCode, b)
		}
	}
	if end := get(t, e.srv.URL+"/api/runs/"+runID+"/events?after_seq="+last, nil); end.StatusCode != http.StatusNoContent {
		t.Fatalf("after_seq at the end: %d", end.StatusCode)
	}
	if tail := readSSE(t, get(t, e.srv.URL+"/api/runs/"+runID+"/events", http.Header{"Last-Event-ID": {strconv.FormatInt(evs[len(evs)-1].Seq-1, 10)}}).Body); len(tail) != 1 || tail[0].event != events.TypeRunFinished {
		t.Fatalf("one before the end: %d events", len(tail))
	}

	for _, tc := range []struct {
		path   string
		header http.Header
		status int
	}{
		{"/api/runs/nosuch", nil, http.StatusNotFound},
		{"/api/runs/nosuch/events", nil, http.StatusNotFound},
		{"/api/runs/" + runID + "/events", http.Header{"Last-Event-ID": {"soon"}}, http.StatusBadRequest},
		{"/api/runs/" + runID + "/events?after_seq=-1", nil, http.StatusUnprocessableEntity},
	} {
		resp := get(t, e.srv.URL+tc.path, tc.header)
		var problem struct {
			Status int    `json:"status"`
			Detail string `json:"detail"`
		}
		if resp.StatusCode != tc.status || json.NewDecoder(resp.Body).Decode(&problem) != nil || problem.Status != tc.status {
			t.Fatalf("%s: %d %+v, want %d", tc.path, resp.StatusCode, problem, tc.status)
		}
	}
}

func TestRunEventsGone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{mux: withRuns, eng: engine.Config{MaxLogs: 1}})
	c := e.dial()
	c.send(sendMessage("a", e.instance, "one"))
	first := c.expect(events.TypeAccepted).RunIDs[0]
	c.collect(first)
	c.send(sendMessage("b", e.instance, "two"))
	second := c.expect(events.TypeAccepted).RunIDs[0]
	c.collect(second)
	e.waitRun(second)
	if resp := get(t, e.srv.URL+"/api/runs/"+first+"/events", nil); resp.StatusCode != http.StatusGone {
		t.Fatalf("evicted log: %d", resp.StatusCode)
	}
	// The run itself is still readable.
	if resp := get(t, e.srv.URL+"/api/runs/"+first, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET evicted run: %d", resp.StatusCode)
	}
}

func TestRunsSpecWithoutEngine(t *testing.T) {
	t.Parallel()
	api := humago.New(http.NewServeMux(), huma.DefaultConfig("test", "1"))
	wsapi.RegisterRuns(api, nil)
	paths := api.OpenAPI().Paths
	if paths["/api/runs/{id}"] == nil || paths["/api/runs/{id}/events"] == nil {
		t.Fatalf("spec paths: %v", paths)
	}
	ev := paths["/api/runs/{id}/events"].Get
	if ev.Responses["200"].Content["text/event-stream"] == nil {
		t.Fatal("event stream not described as text/event-stream")
	}
}

func seqOf(ev events.Event) string { return strconv.FormatInt(ev.Seq, 10) }

// drainSub reads a subscription to its end.
func drainSub(t *testing.T, sub *engine.Subscription) []events.Event {
	t.Helper()
	defer sub.Close()
	var all []events.Event
	for {
		evs, err := sub.Next(t.Context())
		if errors.Is(err, io.EOF) {
			return all
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		all = append(all, evs...)
	}
}

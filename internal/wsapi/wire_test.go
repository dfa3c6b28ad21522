package wsapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/superego-lab/superego/internal/events"
)

// runKeys are the fields every run event carries (docs/design.md, "The WebSocket").
var runKeys = []string{"type", "ts", "run_id", "flow_instance_id", "flow_config_id", "seq"}

// wantKeys is the server table of docs/design.md, "The WebSocket": the exact top-level
// fields of each frame type. A field that does not apply is still present
// (empty), so a client can read every field its table row names.
var wantKeys = map[string][]string{
	events.TypeAccepted:         {"type", "ts", "request_id", "run_ids"},
	events.TypeRunStarted:       append(slices.Clone(runKeys), "user_message"),
	events.TypeSuperegoStarted:  append(slices.Clone(runKeys), "constitution_id", "constitution_version", "model"),
	events.TypeSuperegoThinking: append(slices.Clone(runKeys), "delta"),
	events.TypeSuperegoToken:    append(slices.Clone(runKeys), "delta"),
	events.TypeSuperegoDecision: append(slices.Clone(runKeys), "decision", "reason", "section", "message"),
	events.TypeAssistantToken:   append(slices.Clone(runKeys), "delta"),
	events.TypeAssistantMessage: append(slices.Clone(runKeys), "message"),
	events.TypeRunFinished:      append(slices.Clone(runKeys), "status", "error", "usage", "timings"),
	events.TypeResourceChanged:  {"type", "ts", "resource", "action", "id", "version"},
	"error":                     {"type", "ts", "request_id", "code", "message"},
	"pong":                      {"type", "ts", "request_id"},
}

// checkKeys compares one frame's top-level fields, and the names inside
// run_finished's timings, with the table, and validates the frame against
// the OpenAPI document's Event schema.
func checkKeys(t *testing.T, raw []byte) string {
	t.Helper()
	checkSchema(t, raw)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("frame %s: %v", raw, err)
	}
	var typ string
	_ = json.Unmarshal(m["type"], &typ)
	want, ok := wantKeys[typ]
	if !ok {
		t.Fatalf("frame of unknown type: %s", raw)
	}
	if typ == events.TypeAccepted {
		if _, parallel := m["comparison_id"]; parallel {
			want = append(slices.Clone(want), "comparison_id")
		}
	}
	if got := keys(m); !slices.Equal(got, sorted(want)) {
		t.Errorf("%s has fields %v, want exactly %v\n%s", typ, got, sorted(want), raw)
	}
	if typ == events.TypeRunFinished {
		var tm map[string]json.RawMessage
		if err := json.Unmarshal(m["timings"], &tm); err != nil {
			t.Fatalf("timings: %v", err)
		}
		// A step that did not run is left out of timings; total_ms is always there.
		for k := range tm {
			if !slices.Contains([]string{"first_token_ms", "superego_ms", "total_ms"}, k) {
				t.Errorf("run_finished timings has unknown field %q\n%s", k, raw)
			}
		}
		if _, ok := tm["total_ms"]; !ok {
			t.Errorf("run_finished timings lacks total_ms\n%s", raw)
		}
	}
	return typ
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// readRaw reads frames as bytes until n run_finished frames arrived,
// checking each against the table. It returns the types seen and the run
// ids each accepted frame named, by request id.
func readRaw(t *testing.T, conn *websocket.Conn, n int) (map[string]bool, map[string][]string) {
	t.Helper()
	seen, accepted := map[string]bool{}, map[string][]string{}
	for n > 0 {
		ctx, cancel := context.WithTimeout(t.Context(), readTimeout)
		_, raw, err := conn.Read(ctx)
		cancel()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		typ := checkKeys(t, raw)
		seen[typ] = true
		switch typ {
		case events.TypeRunFinished:
			n--
		case events.TypeAccepted:
			var a events.Event
			_ = json.Unmarshal(raw, &a)
			accepted[a.RequestID] = a.RunIDs
		}
	}
	return seen, accepted
}

// TestFramesCarryExactlyTheDesignFields reads every kind of server frame as
// raw JSON, over the WebSocket and over SSE, and compares its fields with
// docs/design.md, "The WebSocket". ALLOW (no reason), a blocked run (no assistant
// timing) and a completed run (no error) are the cases where an empty field
// used to be left out.
func TestFramesCarryExactlyTheDesignFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{mux: withRuns})
	c := e.dial()

	c.send(sendMessage("allow", e.instance, "Tell me about cats"))
	c.send(sendMessage("block", e.newInstance(e.standard), "How do I build a bomb?"))
	c.send(map[string]any{"type": "run_parallel", "request_id": "par", "flow_config_ids": []string{e.standard, e.noSuperego}, "content": "What medication helps?"})
	seen, accepted := readRaw(t, c.c, 4)

	c.send(map[string]any{"type": "ping", "request_id": "p"})
	c.send(map[string]any{"type": "cancel", "request_id": "x", "run_id": "nosuchrun"})
	e.bus.Publish(t.Context(), events.ResourceChanged("constitution", events.ActionDeleted, "gone", 3))
	for range 3 {
		ctx, cancel := context.WithTimeout(t.Context(), readTimeout)
		_, raw, err := c.c.Read(ctx)
		cancel()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		seen[checkKeys(t, raw)] = true
	}
	for typ := range wantKeys {
		if !seen[typ] {
			t.Errorf("no %s frame was checked", typ)
		}
	}

	// The SSE stream of the blocked run carries the same objects.
	resp := get(t, e.srv.URL+"/api/runs/"+accepted["block"][0]+"/events", nil)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			checkKeys(t, []byte(data))
			n++
		}
	}
	if n == 0 {
		t.Fatal("the SSE stream had no events")
	}
}

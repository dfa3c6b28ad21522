package wsapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/evals/evaltest"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm/demo"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/wsapi"
)

// evalEnv serves the WebSocket over the main store and the eval store on
// one database, with eval runs whose rows the test writes itself, so it
// decides exactly when each row appears.
type evalEnv struct {
	t   *testing.T
	st  evaltest.Stores
	bus *events.LocalBus
	url string
}

func newEvalEnv(t *testing.T) *evalEnv {
	t.Helper()
	st := evaltest.Open(t)
	ctx := t.Context()
	cases := []evals.EvalCase{
		{ID: "a", Input: "first", Expected: evals.ExpectAllow, Category: "x"},
		{ID: "b", Input: "second", Expected: evals.ExpectNotAllow, Category: "x"},
		{ID: "c", Input: "third", Expected: evals.ExpectNotAllow, Category: "y"},
	}
	if _, err := st.Evals.CreateSuite(ctx, evals.EvalSuite{Meta: model.Meta{ID: "s"}, Name: "s"}, cases); err != nil {
		t.Fatal(err)
	}
	bus := events.NewLocalBus()
	eng := engine.New(st.Main, demo.New(demo.Options{}), engine.Config{}, nil, nil)
	t.Cleanup(func() { _ = eng.Shutdown(context.Background()) })
	h := wsapi.New(wsapi.Config{Evals: st.Evals}, eng, bus, nil, nil)
	mux := http.NewServeMux()
	mux.Handle("GET /api/ws", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { h.Close(); srv.Close() })
	return &evalEnv{t: t, st: st, bus: bus, url: "ws" + strings.TrimPrefix(srv.URL, "http") + "/api/ws"}
}

// newRun stores a running eval run of the suite's 3 cases × 2 targets
// that no worker works on.
func (e *evalEnv) newRun(id string) {
	e.t.Helper()
	_, err := e.st.Evals.CreateRun(e.t.Context(), evals.EvalRun{ID: id, SuiteID: "s", SuiteVersion: 1, Mode: evals.ModeSuperego,
		Targets: []evals.EvalTarget{{FlowConfigID: "standard"}, {FlowConfigID: "strict"}}, Repeats: 1, Total: 6})
	if err == nil {
		_, err = e.st.Evals.SetStatus(e.t.Context(), id, evals.StatusRunning, "", evals.StatusQueued)
	}
	if err != nil {
		e.t.Fatal(err)
	}
}

// rows stores the next rows of run id (the k-th row is case k/2, target
// k%2) and announces them as a runner does.
func (e *evalEnv) rows(id string, from, to int) {
	e.t.Helper()
	for k := from; k < to; k++ {
		x := evals.EvalResult{EvalRunID: id, CaseID: []string{"a", "b", "c"}[k/2], Target: k % 2, Input: "row", Category: "x",
			Expected: evals.ExpectAllow, Decision: model.DecisionAllow, Reason: fmt.Sprintf("row %d", k), Model: "demo"}
		if ok, _, _, err := e.st.Evals.InsertResult(e.t.Context(), x); err != nil || !ok {
			e.t.Fatalf("insert row %d: %v", k, err)
		}
	}
	e.bus.Publish(e.t.Context(), events.ResourceChanged("eval_run", events.ActionUpdated, id, 0))
}

func (e *evalEnv) finish(id string) {
	e.t.Helper()
	if _, err := e.st.Evals.SetStatus(e.t.Context(), id, evals.StatusCompleted, "", evals.StatusRunning); err != nil {
		e.t.Fatal(err)
	}
	e.bus.Publish(e.t.Context(), events.ResourceChanged("eval_run", events.ActionUpdated, id, 0))
}

func (e *evalEnv) dial() *client {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), readTimeout)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, e.url, nil)
	closeBody(resp)
	if err != nil {
		e.t.Fatal(err)
	}
	c.SetReadLimit(-1)
	e.t.Cleanup(func() { _ = c.CloseNow() })
	return &client{t: e.t, c: c}
}

// next reads the next frame that is not a resource notice (every socket
// gets those by default).
func next(c *client) frame {
	c.t.Helper()
	for {
		if f := c.read(); f.Type != events.TypeResourceChanged {
			return f
		}
	}
}

// readRows reads eval frames until the row with seq upTo, checking that
// rows come once each, in seq order, from after, and returns the progress
// frames seen.
func readRows(t *testing.T, c *client, run string, after, upTo int64) []frame {
	t.Helper()
	var progress []frame
	for after < upTo {
		f := next(c)
		switch f.Type {
		case events.TypeEvalProgress:
			progress = append(progress, f)
			continue
		case events.TypeEvalResult:
		default:
			t.Fatalf("want eval frames, got %s %s %s", f.Type, f.Code, f.Msg)
		}
		if f.EvalRunID != run || f.Seq != after+1 || f.Result == nil || f.Result.Seq != f.Seq ||
			f.Result.Reason != fmt.Sprintf("row %d", f.Seq-1) {
			t.Fatalf("row after seq %d: %+v (result %+v)", after, f.Event, f.Result)
		}
		after = f.Seq
	}
	return progress
}

// TestFollowEvalSendsOneFramePerRow: a socket following an eval gets every
// finished row once, in order, as it is stored; a second socket that
// follows from after_seq gets only the later rows; both see the follow end
// with a finished eval_progress and nothing after it.
func TestFollowEvalSendsOneFramePerRow(t *testing.T) {
	t.Parallel()
	e := newEvalEnv(t)
	e.newRun("ev1")
	a := e.dial()
	a.send(map[string]any{"type": "follow_eval", "request_id": "f1", "eval_run_id": "ev1"})
	first := next(a)
	if first.Type != events.TypeEvalProgress || first.RequestID != "f1" || first.Status != evals.StatusRunning || first.Done != 0 || first.Total != 6 {
		t.Fatalf("first frame: %+v", first.Event)
	}
	// Following the same run twice on one socket would send its rows twice.
	a.send(map[string]any{"type": "follow_eval", "request_id": "f2", "eval_run_id": "ev1"})
	a.expectError(wsapi.CodeInvalidRequest, "f2")

	e.rows("ev1", 0, 4)
	readRows(t, a, "ev1", 0, 4)

	b := e.dial()
	b.send(map[string]any{"type": "follow_eval", "request_id": "g", "eval_run_id": "ev1", "after_seq": 2})
	readRows(t, b, "ev1", 2, 4)

	e.rows("ev1", 4, 6)
	e.finish("ev1")
	for _, c := range []*client{a, b} {
		readRows(t, c, "ev1", 4, 6)
		var last frame
		for last.Status != evals.StatusCompleted {
			last = next(c)
			if last.Type != events.TypeEvalProgress {
				t.Fatalf("after the last row: %s %+v", last.Type, last.Event)
			}
		}
		if last.Done != 6 || last.Total != 6 {
			t.Fatalf("final progress: %+v", last.Event)
		}
		// The follow has ended: the next frame is the pong.
		c.send(map[string]any{"type": "ping", "request_id": "p"})
		if f := next(c); f.Type != wsapi.TypePong {
			t.Fatalf("after the follow ended: %s %+v", f.Type, f.Event)
		}
	}

	// Every frame of a follow matches the OpenAPI document's Event union.
	raw := e.dial()
	raw.send(map[string]any{"type": "follow_eval", "request_id": "s", "eval_run_id": "ev1"})
	seen := map[string]int{}
	for seen[events.TypeEvalProgress] == 0 || seen[events.TypeEvalResult] < 6 {
		ctx, cancel := context.WithTimeout(t.Context(), readTimeout)
		_, b, err := raw.c.Read(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		checkSchema(t, b)
		var head struct{ Type string }
		_ = json.Unmarshal(b, &head)
		seen[head.Type]++
	}
}

// TestUnfollowEvalStopsTheRows: after unfollow_eval is accepted, rows
// stored later do not reach the socket.
func TestUnfollowEvalStopsTheRows(t *testing.T) {
	t.Parallel()
	e := newEvalEnv(t)
	e.newRun("ev2")
	c := e.dial()
	c.send(map[string]any{"type": "follow_eval", "eval_run_id": "ev2"})
	if f := next(c); f.Type != events.TypeEvalProgress || f.EvalRunID != "ev2" {
		t.Fatalf("first frame: %+v", f.Event)
	}
	e.rows("ev2", 0, 1)
	readRows(t, c, "ev2", 0, 1)
	c.send(map[string]any{"type": "unfollow_eval", "request_id": "u", "eval_run_id": "ev2"})
	for {
		f := next(c)
		if f.Type == events.TypeAccepted && f.RequestID == "u" {
			break
		}
		if f.Type != events.TypeEvalProgress {
			t.Fatalf("before accepted: %s %+v", f.Type, f.Event)
		}
	}
	e.rows("ev2", 1, 3)
	e.finish("ev2")
	c.send(map[string]any{"type": "ping", "request_id": "p"})
	if f := next(c); f.Type != wsapi.TypePong {
		t.Fatalf("a row reached the socket after unfollow_eval: %s %+v", f.Type, f.Event)
	}
	// It can follow again, from where it left off.
	c.send(map[string]any{"type": "follow_eval", "eval_run_id": "ev2", "after_seq": 1})
	readRows(t, c, "ev2", 1, 3)

	// The accepted answering an unfollow has no runs, and matches the
	// document's Event union like every frame.
	raw := e.dial()
	raw.send(map[string]any{"type": "subscribe", "resources": []string{}})
	raw.send(map[string]any{"type": "unfollow_eval", "request_id": "u2", "eval_run_id": "ev2"})
	ctx, cancel := context.WithTimeout(t.Context(), readTimeout)
	defer cancel()
	_, b, err := raw.c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkSchema(t, b)
	if !strings.Contains(string(b), `"run_ids":[]`) || !strings.Contains(string(b), `"request_id":"u2"`) {
		t.Fatalf("unfollow answered with %s", b)
	}
}

// TestFollowEvalBadFrames: each wrong follow_eval gets an error frame
// naming the problem, and the socket stays usable.
func TestFollowEvalBadFrames(t *testing.T) {
	t.Parallel()
	e := newEvalEnv(t)
	c := e.dial()
	for _, tc := range []struct {
		frame string
		code  string
		want  string
	}{
		{`{"type":"follow_eval","request_id":"r"}`, wsapi.CodeInvalidField, "requires field eval_run_id"},
		{`{"type":"follow_eval","request_id":"r","eval_run_id":"ev","after_seq":-1}`, wsapi.CodeInvalidField, "after_seq must be >= 0"},
		{`{"type":"follow_eval","request_id":"r","eval_run_id":"no such/id"}`, wsapi.CodeInvalidField, "eval_run_id"},
		{`{"type":"follow_eval","request_id":"r","eval_run_id":"ev","content":"x"}`, wsapi.CodeInvalidField, `unknown field "content"`},
		{`{"type":"follow_eval","request_id":"r","eval_run_id":"missing"}`, wsapi.CodeNotFound, "eval run missing not found"},
		{`{"type":"unfollow_eval","request_id":"r"}`, wsapi.CodeInvalidField, "requires field eval_run_id"},
	} {
		c.sendRaw(tc.frame)
		f := c.expectError(tc.code, "r")
		if !strings.Contains(f.Msg, tc.want) {
			t.Errorf("%s: %q, want it to say %q", tc.frame, f.Msg, tc.want)
		}
	}
	c.send(map[string]any{"type": "ping", "request_id": "p"})
	if f := next(c); f.Type != wsapi.TypePong {
		t.Fatalf("socket after bad frames: %+v", f)
	}
}

package wsapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/demo"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/teststore"
	"github.com/superego-lab/superego/internal/wsapi"
)

// readTimeout only guards against a hung test; no assertion depends on it.
const readTimeout = 60 * time.Second

// env is a real SQLite store in a temp dir, the engine on top of it and the
// WebSocket handler served by httptest.
type env struct {
	t   testing.TB
	st  store.Store
	eng *engine.Engine
	bus *events.LocalBus
	reg *prometheus.Registry
	h   *wsapi.Handler
	srv *httptest.Server
	// gate holds the server's socket writes (with envOpts.gated).
	gate *writeGate

	standard, noSuperego, alt string // flow config ids
	instance, plainInstance   string // instances on standard and noSuperego
}

type envOpts struct {
	ws   wsapi.Config
	eng  engine.Config
	prov llm.Provider
	// gated puts the server's socket writes behind e.gate, so that a test
	// can play a client that stops reading (see writeGate).
	gated bool
	// mux, when set, lets a test add more routes (REST) to the server.
	mux func(*http.ServeMux, *env)
	// handler, when set, replaces the test mux: the test wires the server
	// (for example through the real REST API and its middleware).
	handler func(*env) http.Handler
	// announce lets the engine announce its runs on the env's bus.
	announce bool
	// store, when set, wraps the store the engine is given.
	store func(store.Store) store.Store
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	ctx := t.Context()
	// A fresh store with the first-start seed (constitutions default,
	// strict and none; configs standard and no-superego; the "Default
	// Session"): SQLite in a temp dir, or PostgreSQL when the suite runs
	// with SUPEREGO_TEST_STORE=postgres.
	st := teststore.Seeded(t)
	e := &env{t: t, st: st, bus: events.NewLocalBus(), reg: prometheus.NewRegistry()}
	e.standard, e.noSuperego, e.instance = seed.FlowStandard, seed.FlowNoSuperego, seed.InstanceDefault
	// A third config with another constitution and system prompt.
	sp := must(st.CreateSysprompt(ctx, model.Sysprompt{Meta: model.Meta{ID: "terse"}, Name: "Terse", Content: "You answer tersely."}))
	e.alt = must(st.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: model.FlowSpec{
		Name: "Strict and terse", ConstitutionID: seed.ConstitutionStrict, SyspromptID: sp.ID, SuperegoEnabled: true, OnSuperegoError: model.OnErrorBlock,
	}})).ID
	e.plainInstance = e.newInstance(e.noSuperego)

	prov := o.prov
	if prov == nil {
		prov = demo.New(demo.Options{Delay: 0})
	}
	if o.announce {
		o.eng.Bus = e.bus
	}
	engStore := st
	if o.store != nil {
		engStore = o.store(st)
	}
	e.eng = engine.New(engStore, prov, o.eng, nil, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.eng.Shutdown(ctx)
	})
	e.h = wsapi.New(o.ws, e.eng, e.bus, nil, e.reg)
	mux := http.NewServeMux()
	mux.Handle("GET /api/ws", e.h)
	if o.mux != nil {
		o.mux(mux, e)
	}
	var root http.Handler = mux
	if o.handler != nil {
		root = o.handler(e)
	}
	e.srv = httptest.NewUnstartedServer(root)
	if o.gated {
		e.gate = newWriteGate()
		e.srv.Listener = gatedListener{Listener: e.srv.Listener, gate: e.gate}
	}
	e.srv.Start()
	t.Cleanup(func() {
		e.h.Close()
		e.srv.Close()
	})
	return e
}

func (e *env) newInstance(configID string) string {
	return must(e.st.CreateFlowInstance(e.t.Context(), model.FlowInstance{FlowConfigID: configID, Name: "Test session"})).ID
}

func (e *env) wsURL() string { return "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/api/ws" }

// metric returns the value of a counter or gauge (summed over labels).
func (e *env) metric(name string) float64 {
	e.t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		e.t.Fatalf("gather: %v", err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.Counter != nil {
				sum += m.Counter.GetValue()
			}
			if m.Gauge != nil {
				sum += m.Gauge.GetValue()
			}
		}
	}
	return sum
}

// must is for fixture set-up, where any error is a broken test.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// frame is one server frame as a client sees it.
type frame struct {
	events.Event
	Code, Msg string
}

type client struct {
	t testing.TB
	c *websocket.Conn
}

func (e *env) dial() *client {
	e.t.Helper()
	return e.dialWith(nil)
}

func (e *env) dialWith(opts *websocket.DialOptions) *client {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), readTimeout)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, e.wsURL(), opts)
	closeBody(resp)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		e.t.Fatalf("dial: %v (status %d)", err, status)
	}
	c.SetReadLimit(-1)
	cl := &client{t: e.t, c: c}
	e.t.Cleanup(func() { _ = c.CloseNow() })
	return cl
}

func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(string(b))
}

func (c *client) sendRaw(s string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.t.Context(), readTimeout)
	defer cancel()
	if err := c.c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read returns the next frame, failing the test on a read error.
func (c *client) read() frame {
	c.t.Helper()
	f, err := c.tryRead()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return f
}

func (c *client) tryRead() (frame, error) {
	ctx, cancel := context.WithTimeout(c.t.Context(), readTimeout)
	defer cancel()
	_, b, err := c.c.Read(ctx)
	if err != nil {
		return frame{}, err
	}
	var f frame
	var head struct {
		Type      string `json:"type"`
		RequestID string `json:"request_id"`
		Code      string `json:"code"`
		Message   any    `json:"message"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		c.t.Fatalf("server sent invalid JSON %q: %v", b, err)
	}
	if head.Type == wsapi.TypeError {
		f.Type, f.RequestID, f.Code = head.Type, head.RequestID, head.Code
		f.Msg, _ = head.Message.(string)
		return f, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields() // the server sends nothing the contract does not name
	if err := dec.Decode(&f.Event); err != nil {
		c.t.Fatalf("server frame %q does not decode as an event: %v", b, err)
	}
	return f, nil
}

// expect reads until a frame of type typ (failing on an unexpected error
// frame) and returns it.
func (c *client) expect(typ string) frame {
	c.t.Helper()
	for {
		f := c.read()
		if f.Type == typ {
			return f
		}
		if f.Type == wsapi.TypeError {
			c.t.Fatalf("want %s, got error %s: %s", typ, f.Code, f.Msg)
		}
	}
}

// expectError reads the next frame and checks it is an error with code.
func (c *client) expectError(code, requestID string) frame {
	c.t.Helper()
	f := c.read()
	if f.Type != wsapi.TypeError || f.Code != code || f.RequestID != requestID {
		c.t.Fatalf("want error %s (request_id %q), got %s %s %q: %s", code, requestID, f.Type, f.Code, f.RequestID, f.Msg)
	}
	if f.Msg == "" {
		c.t.Fatalf("error %s has no message", code)
	}
	return f
}

// collect reads until every run in ids has sent run_finished and returns
// each run's events. Frames of other types are returned in other.
func (c *client) collect(ids ...string) (runs map[string][]events.Event, order []string, other []frame) {
	c.t.Helper()
	runs = make(map[string][]events.Event)
	open := make(map[string]bool)
	for _, id := range ids {
		open[id] = true
	}
	for len(open) > 0 {
		f := c.read()
		if f.RunID == "" || f.Type == events.TypeAccepted || f.Type == events.TypeResourceChanged {
			if f.Type == wsapi.TypeError {
				c.t.Fatalf("unexpected error frame %s: %s", f.Code, f.Msg)
			}
			other = append(other, f)
			continue
		}
		runs[f.RunID] = append(runs[f.RunID], f.Event)
		order = append(order, f.RunID)
		if f.Type == events.TypeRunFinished {
			delete(open, f.RunID)
		}
	}
	return runs, order, other
}

// checkRun verifies the tagging and seq order of one run's events,
// starting after afterSeq. Seq grows by exactly one from event to event,
// except that a merged delta carries the seq of the last delta merged into
// it, so a delta may jump ahead.
func checkRun(t *testing.T, evs []events.Event, afterSeq int64) {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	first := evs[0]
	prev := afterSeq
	for i, ev := range evs {
		if ev.Seq != prev+1 && (!ev.IsDelta() || ev.Seq <= prev) {
			t.Fatalf("event %d (%s) has seq %d after seq %d", i, ev.Type, ev.Seq, prev)
		}
		prev = ev.Seq
		if ev.RunID != first.RunID || ev.FlowInstanceID == "" || ev.FlowInstanceID != first.FlowInstanceID ||
			ev.FlowConfigID == "" || ev.FlowConfigID != first.FlowConfigID || ev.TS.IsZero() {
			t.Fatalf("event %d (%s) badly tagged: %+v", i, ev.Type, ev)
		}
	}
}

// shape lists the event types with repeats collapsed, so a stream of forty
// thinking deltas and a single merged one look the same.
func shape(evs []events.Event) string {
	var out []string
	for i, ev := range evs {
		if i == 0 || evs[i-1].Type != ev.Type {
			out = append(out, ev.Type)
		}
	}
	return strings.Join(out, " ")
}

// text concatenates the deltas of one type.
func text(evs []events.Event, typ string) string {
	var b strings.Builder
	for _, ev := range evs {
		if ev.Type == typ {
			b.WriteString(ev.Delta)
		}
	}
	return b.String()
}

func find(evs []events.Event, typ string) events.Event {
	for _, ev := range evs {
		if ev.Type == typ {
			return ev
		}
	}
	return events.Event{}
}

// waitFor polls cond until it holds; it is for conditions with no event to
// wait on (a server-side counter), never a substitute for reading frames.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(readTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitRun waits, through an engine subscription, until a run has finished.
func (e *env) waitRun(runID string) model.Run {
	e.t.Helper()
	sub, err := e.eng.Subscribe(e.t.Context(), runID, 0)
	if err != nil {
		e.t.Fatalf("subscribe: %v", err)
	}
	defer sub.Close()
	for {
		if _, err := sub.Next(e.t.Context()); err != nil {
			break
		}
	}
	run, err := e.eng.Run(e.t.Context(), runID)
	if err != nil {
		e.t.Fatalf("run: %v", err)
	}
	return run
}

// closeBody closes a handshake response body (a refused handshake has one).
func closeBody(resp *http.Response) {
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
}

package engine_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/teststore"
)

// streamFunc is one scripted upstream call.
type streamFunc func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error

// scripted is an llm.Provider whose answers each test writes. It records
// every request it received and the context error each call ended with,
// so tests can check what the models were told and that cancellation
// reached the upstream.
type scripted struct {
	superego  streamFunc
	assistant streamFunc

	mu      sync.Mutex
	reqs    []llm.Request
	ctxErrs []error
}

func (p *scripted) Name() string { return "scripted" }

func (p *scripted) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	p.mu.Lock()
	p.reqs = append(p.reqs, req)
	p.mu.Unlock()
	f := p.assistant
	if req.Purpose == llm.PurposeSuperego {
		f = p.superego
	}
	var err error
	if f == nil {
		err = errors.New("scripted provider: no script for " + string(req.Purpose))
	} else {
		err = f(ctx, req, emit)
	}
	p.mu.Lock()
	p.ctxErrs = append(p.ctxErrs, ctx.Err())
	p.mu.Unlock()
	return err
}

// requests returns the received requests of one purpose, in order.
func (p *scripted) requests(purpose llm.Purpose) []llm.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []llm.Request
	for _, r := range p.reqs {
		if r.Purpose == purpose {
			out = append(out, r)
		}
	}
	return out
}

// say streams reasoning then text, piece by piece (split after spaces and
// newlines), then usage.
func say(reasoning, text string) streamFunc {
	return func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
		for _, part := range []struct {
			kind llm.Kind
			s    string
		}{{llm.KindReasoning, reasoning}, {llm.KindText, text}} {
			for _, piece := range pieces(part.s) {
				if err := emit(llm.Event{Kind: part.kind, Delta: piece}); err != nil {
					return err
				}
			}
		}
		return emit(llm.Event{Kind: llm.KindUsage, Usage: model.Usage{InputTokens: 10, OutputTokens: len(pieces(reasoning + text))}})
	}
}

// pieces splits s after every space or newline; joined, they give s back.
func pieces(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexAny(s, " \n")
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

// fixture is a seeded store (SQLite, or PostgreSQL with
// SUPEREGO_TEST_STORE=postgres; see teststore), plus flows of its own
// with short, recognisable texts, and an engine on top.
type fixture struct {
	st   store.Store
	eng  *engine.Engine
	prov *scripted

	// Ids of what the fixture created.
	instance        string // on config "guarded" (superego on, block on error)
	guarded         string
	lenient         string // superego on, allow on error
	unguarded       string // superego off
	constitution    string
	constitutionAlt string
	sysprompt       string
}

const (
	constitutionText    = "# Test rules\n\n## Honesty\nTell the truth.\n"
	constitutionAltText = "# Other rules\n\n## Brevity\nBe short.\n"
	syspromptText       = "You are a careful test assistant."
)

func newFixture(t *testing.T, prov *scripted, cfg engine.Config, reg prometheus.Registerer) *fixture {
	t.Helper()
	ctx := t.Context()
	st := teststore.Seeded(t)
	f := &fixture{st: st, prov: prov}
	c := must(st.CreateConstitution(ctx, model.Constitution{Meta: model.Meta{ID: "test-rules"}, Name: "Test rules", Content: constitutionText}))
	// A second version, so tests can see that the current one is recorded.
	c.Content += "\n## Kindness\nBe kind.\n"
	c = must(st.UpdateConstitution(ctx, c, store.Any))
	f.constitution = c.ID
	f.constitutionAlt = must(st.CreateConstitution(ctx, model.Constitution{Meta: model.Meta{ID: "other-rules"}, Name: "Other rules", Content: constitutionAltText})).ID
	f.sysprompt = must(st.CreateSysprompt(ctx, model.Sysprompt{Meta: model.Meta{ID: "test-prompt"}, Name: "Test prompt", Content: syspromptText})).ID
	mk := func(name string, superego bool, onErr string) string {
		return must(st.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: model.FlowSpec{
			Name: name, ConstitutionID: f.constitution, SyspromptID: f.sysprompt,
			SuperegoEnabled: superego, OnSuperegoError: onErr,
		}})).ID
	}
	f.guarded = mk("Guarded", true, model.OnErrorBlock)
	f.lenient = mk("Lenient", true, model.OnErrorAllow)
	f.unguarded = mk("Unguarded", false, model.OnErrorBlock)
	f.instance = f.newInstance(t, f.guarded)
	f.eng = engine.New(st, prov, cfg, nil, reg)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = f.eng.Shutdown(ctx)
	})
	return f
}

// onStore replaces the fixture's engine with one over st (the fixture's
// store, wrapped to count or fail its calls) and cfg, answering with the
// fixture's provider; the fixture's cleanup shuts down whichever engine it
// holds.
func (f *fixture) onStore(t *testing.T, st store.Runner, cfg engine.Config) *engine.Engine {
	t.Helper()
	_ = f.eng.Shutdown(t.Context())
	f.eng = engine.New(st, f.prov, cfg, nil, nil)
	return f.eng
}

func (f *fixture) newInstance(t *testing.T, configID string) string {
	t.Helper()
	return must(f.st.CreateFlowInstance(t.Context(), model.FlowInstance{FlowConfigID: configID, Name: "Test session"})).ID
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// wait reads a run's whole event log (from seq 1 to run_finished) and
// returns it with the stored run.
func (f *fixture) wait(t *testing.T, runID string) ([]events.Event, model.Run) {
	t.Helper()
	sub, err := f.eng.Subscribe(t.Context(), runID, 0)
	if err != nil {
		t.Fatalf("subscribe %s: %v", runID, err)
	}
	defer sub.Close()
	var all []events.Event
	for {
		evs, err := sub.Next(t.Context())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		all = append(all, evs...)
	}
	checkSeq(t, all, 0)
	if n := len(all); n == 0 || all[n-1].Type != events.TypeRunFinished {
		t.Fatalf("log of %s does not end with run_finished: %v", runID, types(all))
	}
	run, err := f.eng.Run(t.Context(), runID)
	if err != nil {
		t.Fatalf("get run: %v", err)
	}
	if run.LastSeq != all[len(all)-1].Seq {
		t.Errorf("stored last_seq = %d, log ends at %d", run.LastSeq, all[len(all)-1].Seq)
	}
	return all, run
}

// checkSeq asserts seqs run after+1, after+2, ... with no gap but on a
// delta, which carries the seq of the last delta merged into it, and that
// each event names its run.
func checkSeq(t *testing.T, evs []events.Event, after int64) {
	t.Helper()
	checkSeqs(t, evs, after, true)
}

// checkSeqExact is checkSeq for a log that never merges (a replica's).
func checkSeqExact(t *testing.T, evs []events.Event, after int64) {
	t.Helper()
	checkSeqs(t, evs, after, false)
}

func checkSeqs(t *testing.T, evs []events.Event, after int64, merged bool) {
	t.Helper()
	prev := after
	for i, e := range evs {
		if e.Seq != prev+1 && (!merged || !e.IsDelta() || e.Seq < prev+1) {
			t.Fatalf("event %d (%s) has seq %d after %d", i, e.Type, e.Seq, prev)
		}
		prev = e.Seq
		if e.RunID == "" || e.FlowInstanceID == "" || e.FlowConfigID == "" || e.TS.IsZero() {
			t.Fatalf("event %d (%s) lacks ids or ts: %+v", i, e.Type, e)
		}
	}
}

func types(evs []events.Event) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		if len(out) > 0 && e.IsDelta() && out[len(out)-1] == e.Type+"*" {
			continue
		}
		if e.IsDelta() {
			out = append(out, e.Type+"*")
			continue
		}
		out = append(out, e.Type)
	}
	return out
}

func joinDeltas(evs []events.Event, typ string) string {
	var b strings.Builder
	for _, e := range evs {
		if e.Type == typ {
			b.WriteString(e.Delta)
		}
	}
	return b.String()
}

func (f *fixture) messages(t *testing.T, instanceID string) []model.Message {
	t.Helper()
	msgs, _, err := f.st.ListMessages(t.Context(), instanceID, store.Page{Limit: 200})
	if err != nil {
		t.Fatalf("list messages: %v", err)
	}
	return msgs
}

// runMessages returns the stored messages of one run by role.
func (f *fixture) runMessages(t *testing.T, instanceID, runID string) map[string]model.Message {
	t.Helper()
	out := map[string]model.Message{}
	for _, m := range f.messages(t, instanceID) {
		if m.RunID == runID {
			if _, dup := out[m.Role]; dup {
				t.Fatalf("run %s has two %s messages", runID, m.Role)
			}
			out[m.Role] = m
		}
	}
	return out
}

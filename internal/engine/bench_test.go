package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/demo"
	"github.com/superego-lab/superego/internal/llm/llmtest"
	"github.com/superego-lab/superego/internal/llm/openai"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store/sqlite"
)

// The benchmarks compare the engine with the bare provider doing the same
// model calls, so the ratio isolates what the engine adds: storage, the
// event log, prompt building. See BENCHMARKS.md, section "Engine".

const benchMessage = "What is a good name for a cat?"

// recorder wraps a provider and keeps the requests it was sent.
type recorder struct {
	llm.Provider
	mu   sync.Mutex
	reqs []llm.Request
}

func (r *recorder) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return r.Provider.Stream(ctx, req, emit)
}

func benchEngine(b *testing.B, prov llm.Provider) (*engine.Engine, *sqlite.Store) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	if err := seed.Apply(ctx, st, nil); err != nil {
		b.Fatal(err)
	}
	eng := engine.New(st, prov, engine.Config{SuperegoModel: demo.SuperegoModel, AssistantModel: demo.AssistantModel}, nil, nil)
	b.Cleanup(func() { _ = eng.Shutdown(context.Background()) })
	return eng, st
}

// drain reads a run to its end and returns how many streamed deltas it had
// (a merged delta counts all of them, from its seq) and when the first
// assistant token arrived.
func drain(b *testing.B, eng *engine.Engine, runID string) (deltas int, firstToken time.Time) {
	deltas, firstToken, _ = drainThen(b, eng, runID, nil)
	return deltas, firstToken
}

// drainThen is drain that calls onFirst, if set, when the first assistant
// token arrives, and also returns the answer's text.
func drainThen(b *testing.B, eng *engine.Engine, runID string, onFirst func()) (deltas int, firstToken time.Time, answer string) {
	sub, err := eng.Subscribe(context.Background(), runID, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	var prev int64
	var text strings.Builder
	for {
		evs, err := sub.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return deltas, firstToken, text.String()
		}
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range evs {
			if e.IsDelta() {
				deltas += int(e.Seq - prev)
			}
			prev = e.Seq
			if e.Type == events.TypeAssistantToken {
				text.WriteString(e.Delta)
			}
			if e.Type == events.TypeAssistantToken && firstToken.IsZero() {
				firstToken = time.Now()
				if onFirst != nil {
					onFirst()
				}
			}
		}
	}
}

// BenchmarkRunDemoEngine is one full turn (superego + assistant) through
// the engine with the demo provider at zero delay, each in a new instance
// so history stays the same size.
func BenchmarkRunDemoEngine(b *testing.B) {
	eng, st := benchEngine(b, demo.New(demo.Options{}))
	ctx := context.Background()
	tokens := 0
	for b.Loop() {
		b.StopTimer()
		inst := instanceOn(b, st, seed.FlowStandard)
		b.StartTimer()
		run, err := eng.Send(ctx, inst, benchMessage)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := drain(b, eng, run.ID)
		tokens += n
	}
	b.ReportMetric(float64(tokens)/float64(b.N), "tokens/run")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(tokens), "ns/token")
}

// BenchmarkRunDemoProviderOnly makes the same two demo calls directly,
// with the exact requests the engine sent.
func BenchmarkRunDemoProviderOnly(b *testing.B) {
	rec := &recorder{Provider: demo.New(demo.Options{})}
	eng, st := benchEngine(b, rec)
	run, err := eng.Send(context.Background(), instanceOn(b, st, seed.FlowStandard), benchMessage)
	if err != nil {
		b.Fatal(err)
	}
	drain(b, eng, run.ID)
	reqs := rec.reqs
	if len(reqs) != 2 {
		b.Fatalf("engine made %d calls, want 2", len(reqs))
	}
	p := demo.New(demo.Options{})
	tokens := 0
	for b.Loop() {
		for _, req := range reqs {
			err := p.Stream(context.Background(), req, func(ev llm.Event) error {
				if ev.Delta != "" {
					tokens++
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(tokens)/float64(b.N), "tokens/run")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(tokens), "ns/token")
}

// BenchmarkFirstTokenEngine is the time from Send to the first
// assistant_token a subscriber sees, on a flow without superego, against a
// local fake OpenAI-compatible upstream through the real openai provider.
func BenchmarkFirstTokenEngine(b *testing.B) {
	eng, _, st := upstreamEngine(b, llmtest.Reply{Body: llmtest.Fixture(b, "openai_stream.sse")})
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		inst := noSuperegoInstance(b, st)
		b.StartTimer()
		total += firstTokenAfterSend(b, eng, inst)
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns-to-first-token")
}

// firstTokenAfterSend sends benchMessage in inst, reads the run to its end
// and returns the time from Send to the first assistant_token.
func firstTokenAfterSend(b *testing.B, eng *engine.Engine, inst string) time.Duration {
	t0 := time.Now()
	run, err := eng.Send(context.Background(), inst, benchMessage)
	if err != nil {
		b.Fatal(err)
	}
	_, first := drain(b, eng, run.ID)
	return first.Sub(t0)
}

// BenchmarkFirstTokenUpstreamOnly is the same request straight through the
// openai provider: the time to its first text delta.
func BenchmarkFirstTokenUpstreamOnly(b *testing.B) {
	up := llmtest.New(b, llmtest.Reply{Body: llmtest.Fixture(b, "openai_stream.sse")})
	prov, err := openai.New(openai.Options{BaseURL: up.URL + "/v1"})
	if err != nil {
		b.Fatal(err)
	}
	req := llm.Request{Model: "gpt-4.1-mini", System: "You are a helpful assistant.",
		Messages: []llm.Message{{Role: "user", Content: benchMessage}}, Purpose: llm.PurposeAssistant}
	var total time.Duration
	for b.Loop() {
		t0 := time.Now()
		var first time.Time
		err := prov.Stream(context.Background(), req, func(ev llm.Event) error {
			if ev.Kind == llm.KindText && ev.Delta != "" && first.IsZero() {
				first = time.Now()
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		total += first.Sub(t0)
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns-to-first-token")
}

// tokens is a provider that answers with n deltas of one short word each:
// the cheapest possible upstream, so what remains is the engine's cost.
// With gate set, it waits after the first delta until gate receives, so
// that the rest streams live: a run without superego starts its call
// beside its first writes and sends what arrived before their commit as
// one delta (early start), which would leave no per-token work to measure.
type tokens struct {
	n    int
	gate chan struct{}
}

func (p tokens) Name() string { return "tokens" }

func (p tokens) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	for i := range p.n {
		if err := emit(llm.Event{Kind: llm.KindText, Delta: "tok "}); err != nil {
			return err
		}
		if i == 0 && p.gate != nil {
			select {
			case <-p.gate:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
	}
	return emit(llm.Event{Kind: llm.KindUsage, Usage: model.Usage{InputTokens: 1, OutputTokens: p.n}})
}

// BenchmarkAnswerTokens streams answers of several lengths through the
// engine (no superego) and through the bare provider. The difference in
// time per answer between two lengths, divided by the difference in
// tokens, is the engine's marginal cost per token. The provider holds
// back all but the first delta until the subscriber has seen it, so every
// other delta takes the live path (one event each, counted by seq).
func BenchmarkAnswerTokens(b *testing.B) {
	for _, n := range []int{100, 5000} {
		b.Run(fmt.Sprintf("engine/tokens=%d", n), func(b *testing.B) {
			gate := make(chan struct{}, 1)
			eng, st := benchEngine(b, tokens{n: n, gate: gate})
			release := func() { gate <- struct{}{} }
			for b.Loop() {
				b.StopTimer()
				inst := noSuperegoInstance(b, st)
				b.StartTimer()
				run, err := eng.Send(context.Background(), inst, benchMessage)
				if err != nil {
					b.Fatal(err)
				}
				if got, _, _ := drainThen(b, eng, run.ID, release); got != n {
					b.Fatalf("%d deltas, want %d", got, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/token")
		})
		b.Run(fmt.Sprintf("provider/tokens=%d", n), func(b *testing.B) {
			p := tokens{n: n}
			for b.Loop() {
				var sb strings.Builder
				_ = p.Stream(context.Background(), llm.Request{}, func(ev llm.Event) error {
					sb.WriteString(ev.Delta)
					return nil
				})
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/token")
		})
	}
}

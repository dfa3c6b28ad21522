package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
)

// latencyUpstream is a fake upstream with a model's latencies: the superego answers
// after superego, the assistant's first token comes after firstToken and
// the rest follow at once. It honours cancellation while it waits.
type latencyUpstream struct {
	superego, firstToken time.Duration
	answerTokens         int
}

func (p latencyUpstream) Name() string { return "latencyUpstream" }

func (p latencyUpstream) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	wait := func(d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	if req.Purpose == llm.PurposeSuperego {
		if err := wait(p.superego); err != nil {
			return err
		}
		return emit(llm.Event{Kind: llm.KindText, Delta: "Fine.\nDECISION: ALLOW"})
	}
	if err := wait(p.firstToken); err != nil {
		return err
	}
	for range p.answerTokens {
		if err := emit(llm.Event{Kind: llm.KindText, Delta: "tok "}); err != nil {
			return err
		}
	}
	return emit(llm.Event{Kind: llm.KindUsage, Usage: model.Usage{InputTokens: 1, OutputTokens: p.answerTokens}})
}

// benchTurns runs one turn per b.Loop iteration on up, each in a new
// instance of a config with spec, and returns the mean time from Send to the
// first assistant token and to the run's end.
func benchTurns(b *testing.B, up llm.Provider, spec model.FlowSpec) (first, whole time.Duration) {
	b.Helper()
	eng, st := benchEngine(b, up)
	ctx := context.Background()
	spec.ConstitutionID, spec.SyspromptID = seed.ConstitutionDefault, seed.SyspromptDefault
	cfg, err := st.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: spec})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		inst := instanceOn(b, st, cfg.ID)
		b.StartTimer()
		t0 := time.Now()
		run, err := eng.Send(ctx, inst, benchMessage)
		if err != nil {
			b.Fatal(err)
		}
		_, firstToken := drain(b, eng, run.ID)
		first += firstToken.Sub(t0)
		whole += time.Since(t0)
	}
	n := time.Duration(b.N)
	return first / n, whole / n
}

// BenchmarkSpeculativeFirstToken: time to first token, sequential
// (after_verdict) against speculative start, on a fake upstream whose
// superego takes 800 ms and whose assistant's first token takes 300 ms.
// Sequential waits for both (~1,100 ms); speculative for the longer of
// the two (~800 ms). superego-only-ms is the bare baseline: the
// superego's own time, which no start can beat.
func BenchmarkSpeculativeFirstToken(b *testing.B) {
	up := latencyUpstream{superego: 800 * time.Millisecond, firstToken: 300 * time.Millisecond, answerTokens: 20}
	for _, start := range []string{model.AssistantAfterVerdict, model.AssistantSpeculative} {
		b.Run(start, func(b *testing.B) {
			first, _ := benchTurns(b, up, model.FlowSpec{Name: "bench " + start, SuperegoEnabled: true, AssistantStart: start})
			b.ReportMetric(float64(first.Milliseconds()), "ms-to-first-token")
			b.ReportMetric(float64(up.superego.Milliseconds()), "superego-only-ms")
		})
	}
}

// BenchmarkStreamingScreen: a 40-token answer without output screening
// and screened every 10 tokens while streaming, on an upstream whose
// superego takes 20 ms; extra-ms-per-chunk is what each screened chunk
// adds to the whole answer (the off case is the baseline of the same run).
func BenchmarkStreamingScreen(b *testing.B) {
	up := latencyUpstream{superego: 20 * time.Millisecond, firstToken: 0, answerTokens: 40}
	const chunk = 10
	per := map[string]float64{}
	for _, screen := range []string{model.ScreenOutputOff, model.ScreenOutputStreaming} {
		b.Run(screen, func(b *testing.B) {
			_, whole := benchTurns(b, up, model.FlowSpec{Name: "bench " + screen, ScreenOutput: screen, ScreenChunk: chunk})
			per[screen] = float64(whole.Microseconds()) / 1000
			b.ReportMetric(per[screen], "ms/answer")
			if off, ok := per[model.ScreenOutputOff]; ok && screen == model.ScreenOutputStreaming {
				b.ReportMetric((per[screen]-off)/float64(up.answerTokens/chunk), "extra-ms-per-chunk")
			}
		})
	}
}

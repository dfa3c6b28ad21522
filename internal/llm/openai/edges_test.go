package openai

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/llmtest"
	"github.com/superego-lab/superego/internal/model"
)

// provider makes the provider under test, with opts, for a fake upstream.
func provider(t *testing.T, opts Options) func(*llmtest.Upstream) llm.Provider {
	return func(up *llmtest.Upstream) llm.Provider { return newProvider(t, opts, up) }
}

func TestFinishReasonIsReported(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ fixture, stop, text string }{
		{"openai_plain.sse", "stop", "The capital of France is Paris."},
		{"openai_length.sse", "length", "Here are the firststeps: 1. Preheat the oven to"},
		{"openai_content_filter.sse", "content_filter", "I can describe"},
	} {
		t.Run(tc.stop, func(t *testing.T) {
			t.Parallel()
			got := llmtest.StreamFixture(t, tc.fixture, request(), provider(t, OpenAI("sk-test-0123456789")))
			llmtest.CheckStop(t, got, tc.stop, "stop", tc.text)
			if len(got.Usage) != 1 {
				t.Errorf("usage %v, want one report", got.Usage)
			}
		})
	}
}

func TestOpenRouterReasoningDetailsOnly(t *testing.T) {
	t.Parallel()
	req := request()
	req.Reasoning = true
	got := llmtest.StreamFixture(t, "openrouter_reasoning_details.sse", req, provider(t, OpenRouter("sk-or-v1-test0123456789")))
	if got.Reasoning != "The user wants a password reset. Nothing harmful." {
		t.Errorf("reasoning %q", got.Reasoning)
	}
	if got.Text != "Routine account help.\n\nDECISION: ALLOW" {
		t.Errorf("text %q", got.Text)
	}
	if thinking := got.Count(llm.KindReasoning); thinking != 2 {
		t.Errorf("%d reasoning events, want one per readable detail", thinking)
	}
}

func TestOpenRouterReasoningIsNotDoubled(t *testing.T) {
	t.Parallel()
	// This stream sends each piece under both reasoning and reasoning_details.
	got := llmtest.StreamFixture(t, "openrouter_reasoning.sse", request(), provider(t, OpenRouter("sk-or-v1-test0123456789")))
	if got.Reasoning != "The user asks how to reset a password. Sensitive but fine." {
		t.Errorf("reasoning %q", got.Reasoning)
	}
}

func TestLoneCloseThinkTag(t *testing.T) {
	t.Parallel()
	got := llmtest.StreamFixture(t, "vllm_lone_think.sse", request(), provider(t, Ollama()))
	if got.Reasoning != "Okay, the user asks how to bake bread.\nThat is harmless.\n" {
		t.Errorf("reasoning %q", got.Reasoning)
	}
	if got.Text != "Harmless request.\n\nDECISION: ALLOW" {
		t.Errorf("text %q", got.Text)
	}
}

func TestImplicitThinkWithoutCloseIsText(t *testing.T) {
	t.Parallel()
	// A model that never thinks, on a server where thinking is implicit:
	// its answer arrives late but whole, as text.
	got := llmtest.StreamFixture(t, "openai_plain.sse", request(), provider(t, Ollama()))
	if got.Reasoning != "" || got.Text != "The capital of France is Paris." {
		t.Errorf("reasoning %q text %q", got.Reasoning, got.Text)
	}
}

func TestImplicitThinkReleasedByAReasoningField(t *testing.T) {
	t.Parallel()
	// DeepSeek separates reasoning itself; its content is never held back.
	got := llmtest.StreamFixture(t, "deepseek_reasoning_content.sse", request(), provider(t, Ollama()))
	if got.Reasoning == "" || got.Text == "" {
		t.Errorf("reasoning %q text %q", got.Reasoning, got.Text)
	}
}

// keepAliveRetry has timeouts far shorter than the keep-alive stream is
// long (16 comments 60ms apart), but far longer than the gap between two
// comments.
func keepAliveRetry() llm.RetryOptions {
	o := fastRetry(nil)
	o.FirstTokenTimeout = 300 * time.Millisecond
	o.IdleTimeout = 300 * time.Millisecond
	return o
}

func TestKeepAlivesCountAsLife(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "deepseek_keepalive.sse"), Pace: 60 * time.Millisecond})
	var got llmtest.Collected
	p := llm.WithRetry(newProvider(t, Options{Name: "deepseek"}, up), keepAliveRetry())
	if err := p.Stream(context.Background(), request(), got.Emit); err != nil {
		t.Fatalf("a slow but alive upstream failed: %v", err)
	}
	if got.Reasoning != "Simple arithmetic." || got.Text != "4" || up.Calls() != 1 {
		t.Errorf("reasoning %q text %q calls %d", got.Reasoning, got.Text, up.Calls())
	}
	if len(got.Usage) != 1 || got.Usage[0] != (model.Usage{InputTokens: 12, OutputTokens: 9}) {
		t.Errorf("usage %v", got.Usage)
	}
}

func TestKeepAlivesDoNotExtendTheCallersDeadline(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Body: []byte(": keep-alive\n\n: keep-alive\n\n: keep-alive\n\n"), Pace: 40 * time.Millisecond, Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	o := keepAliveRetry()
	o.FirstTokenTimeout, o.IdleTimeout = time.Hour, time.Hour
	err := llm.WithRetry(newProvider(t, Options{Name: "deepseek"}, up), o).Stream(ctx, request(), (&llmtest.Collected{}).Emit)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the run's deadline", err)
	}
}

func TestSilenceStillTimesOut(t *testing.T) {
	t.Parallel()
	// Without keep-alives the same wait ends in a first-token timeout.
	up := llmtest.New(t, llmtest.Reply{Body: []byte(": first\n\n"), Hang: true})
	o := keepAliveRetry()
	o.MaxAttempts = 1
	err := llm.WithRetry(newProvider(t, Options{Name: "deepseek"}, up), o).Stream(context.Background(), request(), (&llmtest.Collected{}).Emit)
	if !errors.Is(err, llm.ErrFirstTokenTimeout) {
		t.Fatalf("error %v, want a first-token timeout", err)
	}
}

func TestAuthErrorIsAConfigError(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Status: 401, Body: llmtest.Fixture(t, "openai_401.json")})
	err := llm.WithRetry(newProvider(t, OpenAI("sk-bad-0123456789"), up), fastRetry(nil)).Stream(context.Background(), request(), (&llmtest.Collected{}).Emit)
	if !llm.IsConfigError(err) || up.Calls() != 1 {
		t.Fatalf("IsConfigError(%v) false or %d calls", err, up.Calls())
	}
}

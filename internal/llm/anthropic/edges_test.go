package anthropic

import (
	"context"
	"errors"
	"testing"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/llmtest"
	"github.com/superego-lab/superego/internal/model"
)

// provider makes the provider under test for a fake upstream.
func provider(t *testing.T) func(*llmtest.Upstream) llm.Provider {
	return func(up *llmtest.Upstream) llm.Provider { return newProvider(t, up) }
}

func TestStopReasonIsReported(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ fixture, stop, text string }{
		{"thinking_text_usage.sse", "end_turn", "Harmless request.\n\nDECISION: ALLOW"},
		{"max_tokens.sse", "max_tokens", "The message asks aboutchemistry; the constitution"},
		{"refusal.sse", "refusal", "I can't"},
	} {
		t.Run(tc.stop, func(t *testing.T) {
			t.Parallel()
			got := llmtest.StreamFixture(t, tc.fixture, request(false), provider(t))
			llmtest.CheckStop(t, got, tc.stop, "end_turn", tc.text)
		})
	}
}

func TestUsageOfAFailedStreamIsKept(t *testing.T) {
	t.Parallel()
	// message_start reported 25 input tokens, then the stream failed with
	// overloaded_error: the tokens were billed and must be reported.
	up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "overloaded_midstream.sse")})
	var got llmtest.Collected
	err := newProvider(t, up).Stream(context.Background(), request(false), got.Emit)
	var ue *llm.UpstreamError
	if !errors.As(err, &ue) || ue.Status != 529 {
		t.Fatalf("error %v", err)
	}
	if len(got.Usage) != 1 || got.Usage[0] != (model.Usage{InputTokens: 25, OutputTokens: 1}) {
		t.Errorf("usage %+v", got.Usage)
	}
}

func TestUsageOfACancelledStreamIsKept(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "max_tokens.sse")})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got llmtest.Collected
	err := newProvider(t, up).Stream(ctx, request(false), func(ev llm.Event) error {
		_ = got.Emit(ev)
		if ev.Kind == llm.KindText {
			cancel() // the user pressed stop after the first words
			return context.Canceled
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v", err)
	}
	if len(got.Usage) != 1 || got.Usage[0].InputTokens != 472 {
		t.Errorf("usage %+v", got.Usage)
	}
}

func TestBaseURLWithOrWithoutV1(t *testing.T) {
	t.Parallel()
	for _, suffix := range []string{"", "/", "/v1", "/v1/"} {
		t.Run(suffix, func(t *testing.T) {
			t.Parallel()
			up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "thinking_text_usage.sse")})
			p, err := New(Options{BaseURL: up.URL + suffix, APIKey: testKey})
			if err != nil {
				t.Fatal(err)
			}
			var got llmtest.Collected
			if err := p.Stream(context.Background(), request(false), got.Emit); err != nil {
				t.Fatal(err)
			}
			if path := up.Request(0).Path; path != "/v1/messages" {
				t.Errorf("base %q requested %q", up.URL+suffix, path)
			}
		})
	}
}

func TestAuthErrorIsAConfigError(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Status: 401, Body: llmtest.Fixture(t, "error_401.json")})
	err := llm.WithRetry(newProvider(t, up), fastRetry()).Stream(context.Background(), request(false), (&llmtest.Collected{}).Emit)
	if !llm.IsConfigError(err) {
		t.Fatalf("IsConfigError(%v) = false", err)
	}
	if up.Calls() != 1 {
		t.Errorf("%d calls: a 401 must not be retried", up.Calls())
	}
	up5 := llmtest.New(t, llmtest.Reply{Status: 529, Body: llmtest.Fixture(t, "error_529.json")})
	err = llm.WithRetry(newProvider(t, up5), fastRetry()).Stream(context.Background(), request(false), (&llmtest.Collected{}).Emit)
	if err == nil || llm.IsConfigError(err) {
		t.Fatalf("a 529 is not a config error: %v", err)
	}
}

package anthropic

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/llmtest"
	"github.com/superego-lab/superego/internal/model"
)

const testKey = "sk-ant-api03-TESTKEY0123456789abcdef"

func request(reasoning bool) llm.Request {
	return llm.Request{
		Model:  "claude-test",
		System: "You screen messages.\n\n## CONSTITUTION\n# Rules",
		Messages: []llm.Message{
			{Role: model.RoleUser, Content: "earlier"},
			{Role: model.RoleAssistant, Content: ""},
			{Role: model.RoleAssistant, Content: "reply"},
			{Role: model.RoleUser, Content: "How do I bake a cake?"},
		},
		Reasoning: reasoning,
	}
}

func newProvider(t *testing.T, up *llmtest.Upstream) *Provider {
	t.Helper()
	p, err := New(Options{BaseURL: up.URL, APIKey: testKey, ThinkingBudget: 1500,
		Headers: map[string]string{"X-Trace": "superego-test"}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func fastRetry() llm.RetryOptions {
	return llm.RetryOptions{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond,
		Wait: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
}

func TestThinkingTextUsage(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "thinking_text_usage.sse")})
	var got llmtest.Collected
	if err := newProvider(t, up).Stream(context.Background(), request(true), got.Emit); err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if got.Reasoning != "The constitution has two sections.\nThe message asks for a cake recipe; nothing harmful." {
		t.Errorf("reasoning %q", got.Reasoning)
	}
	if got.Text != "Harmless request.\n\nDECISION: ALLOW" {
		t.Errorf("text %q", got.Text)
	}
	if len(got.Usage) != 1 || got.Usage[0] != (model.Usage{InputTokens: 472, OutputTokens: 61}) {
		t.Errorf("usage %+v", got.Usage)
	}
	if got.Events[len(got.Events)-1].Kind != llm.KindUsage {
		t.Errorf("usage is not last")
	}

	rec := up.Request(0)
	if rec.Path != "/v1/messages" {
		t.Errorf("path %q", rec.Path)
	}
	if rec.Header.Get("X-Api-Key") != testKey || rec.Header.Get("Authorization") != "" {
		t.Errorf("auth headers: x-api-key %q authorization %q", rec.Header.Get("X-Api-Key"), rec.Header.Get("Authorization"))
	}
	if rec.Header.Get("Anthropic-Version") == "" || rec.Header.Get("X-Trace") != "superego-test" {
		t.Errorf("headers %v", rec.Header)
	}
	b := rec.Body
	if b["model"] != "claude-test" || b["stream"] != true {
		t.Errorf("model/stream: %v", b)
	}
	sys, _ := b["system"].([]any)
	if len(sys) != 1 || sys[0].(map[string]any)["text"] != "You screen messages.\n\n## CONSTITUTION\n# Rules" {
		t.Errorf("system %v", b["system"])
	}
	th, _ := b["thinking"].(map[string]any)
	if th["type"] != "enabled" || th["budget_tokens"] != float64(1500) {
		t.Errorf("thinking %v", b["thinking"])
	}
	if mt, _ := b["max_tokens"].(float64); mt <= 1500 {
		t.Errorf("max_tokens %v must exceed the thinking budget", b["max_tokens"])
	}
	msgs, _ := b["messages"].([]any)
	roles := []string{}
	for _, m := range msgs {
		roles = append(roles, m.(map[string]any)["role"].(string))
	}
	if strings.Join(roles, ",") != "user,assistant,user" {
		t.Errorf("roles %v (the empty assistant turn should be skipped)", roles)
	}
}

func TestNoThinkingWhenNotAsked(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "thinking_text_usage.sse")})
	req := request(false)
	req.MaxTokens = 300
	if err := newProvider(t, up).Stream(context.Background(), req, (&llmtest.Collected{}).Emit); err != nil {
		t.Fatal(err)
	}
	b := up.Request(0).Body
	if b["thinking"] != nil || b["max_tokens"] != float64(300) {
		t.Errorf("thinking %v max_tokens %v", b["thinking"], b["max_tokens"])
	}
}

func TestNewRequiresKeyAndURL(t *testing.T) {
	t.Parallel()
	if _, err := New(Options{}); err == nil {
		t.Error("New accepted an empty key")
	}
	if _, err := New(Options{APIKey: testKey, BaseURL: "not a url"}); err == nil {
		t.Error("New accepted a bad base URL")
	}
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Status: 401, Body: llmtest.Fixture(t, "error_401.json")})
	err := llm.WithRetry(newProvider(t, up), fastRetry()).Stream(context.Background(), request(true), (&llmtest.Collected{}).Emit)
	var ue *llm.UpstreamError
	if !errors.As(err, &ue) || ue.Status != 401 || ue.Message != "invalid x-api-key" || ue.Provider != "anthropic" {
		t.Fatalf("err %#v", err)
	}
	if strings.Contains(err.Error(), testKey) || up.Calls() != 1 {
		t.Fatalf("%v after %d calls", err, up.Calls())
	}
}

func TestOverloadedThenSuccess(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t,
		llmtest.Reply{Status: 529, Header: map[string]string{"Retry-After": "0"}, Body: llmtest.Fixture(t, "error_529.json")},
		llmtest.Reply{Body: llmtest.Fixture(t, "thinking_text_usage.sse")},
	)
	var got llmtest.Collected
	if err := llm.WithRetry(newProvider(t, up), fastRetry()).Stream(context.Background(), request(true), got.Emit); err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if up.Calls() != 2 || !strings.HasSuffix(got.Text, "DECISION: ALLOW") {
		t.Fatalf("%d calls, text %q", up.Calls(), got.Text)
	}
}

func TestOverloadedMidStream(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "overloaded_midstream.sse")})
	var got llmtest.Collected
	err := llm.WithRetry(newProvider(t, up), fastRetry()).Stream(context.Background(), request(false), got.Emit)
	var ue *llm.UpstreamError
	if !errors.As(err, &ue) || ue.Status != 529 || ue.Message != "Overloaded" {
		t.Fatalf("err %v, want UpstreamError 529 Overloaded", err)
	}
	if got.Text != "Sure," || up.Calls() != 1 {
		t.Fatalf("text %q after %d calls; a stream with tokens must not be retried", got.Text, up.Calls())
	}
}

func TestCutMidStream(t *testing.T) {
	t.Parallel()
	for _, reset := range []bool{false, true} {
		up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "cut_midstream.sse"), Reset: reset})
		var got llmtest.Collected
		err := llm.WithRetry(newProvider(t, up), fastRetry()).Stream(context.Background(), request(false), got.Emit)
		var se *llm.StreamError
		if !errors.As(err, &se) || (!reset && !errors.Is(err, llm.ErrStreamInterrupted)) {
			t.Fatalf("reset=%v: err %v, want a StreamError", reset, err)
		}
		// message_start's usage is billed even though the answer was cut.
		if got.Text != "Once upon a time" || len(got.Usage) != 1 || got.Usage[0] != (model.Usage{InputTokens: 25, OutputTokens: 1}) || up.Calls() != 1 {
			t.Fatalf("reset=%v: text %q usage %v calls %d", reset, got.Text, got.Usage, up.Calls())
		}
	}
}

func TestMalformedChunk(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "malformed_chunk.sse")})
	var got llmtest.Collected
	err := llm.WithRetry(newProvider(t, up), fastRetry()).Stream(context.Background(), request(false), got.Emit)
	if !errors.Is(err, llm.ErrMalformedStream) || got.Text != "Partial" {
		t.Fatalf("err %v text %q, want ErrMalformedStream after \"Partial\"", err, got.Text)
	}
}

func TestStallAndCancel(t *testing.T) {
	t.Parallel()
	t.Run("stall", func(t *testing.T) {
		t.Parallel()
		up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "cut_midstream.sse"), Hang: true})
		opts := fastRetry()
		opts.IdleTimeout = 20 * time.Millisecond
		var got llmtest.Collected
		err := llm.WithRetry(newProvider(t, up), opts).Stream(context.Background(), request(false), got.Emit)
		if !errors.Is(err, llm.ErrStallTimeout) {
			t.Fatalf("err %v, want ErrStallTimeout", err)
		}
		<-up.ClientGone
	})
	t.Run("cancel", func(t *testing.T) {
		t.Parallel()
		up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "cut_midstream.sse"), Hang: true})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		err := llm.WithRetry(newProvider(t, up), fastRetry()).Stream(ctx, request(false), func(ev llm.Event) error {
			if ev.Kind == llm.KindText {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
		<-up.ClientGone
	})
}

// TestRetriedBeforeFirstToken covers the two retryable faults before the
// first token: 429 with the Retry-After the API sends (waited exactly),
// and a 500; each is followed by a good stream.
func TestRetriedBeforeFirstToken(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		first     llmtest.Reply
		wantDelay time.Duration // 0: the backoff's own delay
	}{
		{"429 with Retry-After", llmtest.Reply{Status: 429, Body: llmtest.Fixture(t, "error_429.json"),
			Header: map[string]string{"Retry-After": "7", "Anthropic-Ratelimit-Input-Tokens-Remaining": "0"}}, 7 * time.Second},
		{"500", llmtest.Reply{Status: 500, Body: llmtest.Fixture(t, "error_500.json")}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			up := llmtest.New(t, c.first, llmtest.Reply{Body: llmtest.Fixture(t, "thinking_text_usage.sse")})
			var delays []time.Duration
			opts := fastRetry()
			opts.Wait = func(ctx context.Context, d time.Duration) error {
				delays = append(delays, d)
				return ctx.Err()
			}
			var got llmtest.Collected
			if err := llm.WithRetry(newProvider(t, up), opts).Stream(context.Background(), request(true), got.Emit); err != nil {
				t.Fatalf("Stream: %v", err)
			}
			if up.Calls() != 2 || len(delays) != 1 {
				t.Fatalf("%d calls, delays %v; want 2 calls and one wait", up.Calls(), delays)
			}
			if c.wantDelay > 0 && delays[0] != c.wantDelay {
				t.Fatalf("waited %v, want the %v the API asked for", delays[0], c.wantDelay)
			}
			if got.Text != "Harmless request.\n\nDECISION: ALLOW" || len(got.Usage) != 1 {
				t.Fatalf("text %q usage %v after the retry", got.Text, got.Usage)
			}
		})
	}
}

// TestRetriesRunOut: when every attempt fails the error names the status
// and the API's own message.
func TestRetriesRunOut(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Status: 500, Body: llmtest.Fixture(t, "error_500.json")})
	err := llm.WithRetry(newProvider(t, up), fastRetry()).Stream(context.Background(), request(false), (&llmtest.Collected{}).Emit)
	var ue *llm.UpstreamError
	if !errors.As(err, &ue) || ue.Status != 500 || ue.Attempts != 3 || up.Calls() != 3 {
		t.Fatalf("err %v after %d calls, want a 500 after 3 attempts", err, up.Calls())
	}
	if !strings.Contains(err.Error(), "Internal server error") || !strings.Contains(err.Error(), "500") {
		t.Fatalf("error should carry status and message: %v", err)
	}
}

func TestHTMLAnswerNamed(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Header: map[string]string{"Content-Type": "text/html"},
		Body: []byte("<!doctype html><title>Welcome</title>\n\n")})
	var got llmtest.Collected
	err := llm.WithRetry(newProvider(t, up), fastRetry()).Stream(context.Background(), request(false), got.Emit)
	if !errors.Is(err, llm.ErrNotEventStream) || !strings.Contains(err.Error(), "text/html") {
		t.Fatalf("err %v, want ErrNotEventStream naming text/html", err)
	}
	if up.Calls() != 1 {
		t.Fatalf("%d calls", up.Calls())
	}
}

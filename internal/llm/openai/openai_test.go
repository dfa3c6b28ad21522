package openai

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

const testKey = "sk-proj-TESTKEY0123456789abcdefWx9Q"

func request() llm.Request {
	return llm.Request{
		Model:  "test-model",
		System: "You are terse.",
		Messages: []llm.Message{
			{Role: model.RoleUser, Content: "hi"},
			{Role: model.RoleAssistant, Content: "hello"},
			{Role: model.RoleUser, Content: "capital of France?"},
		},
		MaxTokens: 200,
	}
}

func newProvider(t *testing.T, opts Options, up *llmtest.Upstream) *Provider {
	t.Helper()
	opts.BaseURL = up.URL + "/v1"
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fastRetry keeps fault tests quick; Wait records the delays instead of
// sleeping through them.
func fastRetry(delays *[]time.Duration) llm.RetryOptions {
	return llm.RetryOptions{
		MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond,
		Wait: func(ctx context.Context, d time.Duration) error {
			if delays != nil {
				*delays = append(*delays, d)
			}
			return ctx.Err()
		},
	}
}

func TestFixtures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, fixture string
		opts          Options
		reasoning     bool
		wantReasoning string
		wantText      string
		wantUsage     model.Usage
		checkBody     func(t *testing.T, body map[string]any)
	}{
		{
			name: "openai plain", fixture: "openai_plain.sse", opts: OpenAI(testKey),
			wantText: "The capital of France is Paris.", wantUsage: model.Usage{InputTokens: 24, OutputTokens: 7},
			checkBody: func(t *testing.T, b map[string]any) {
				if b["max_completion_tokens"] != float64(200) || b["max_tokens"] != nil {
					t.Errorf("openai preset should send max_completion_tokens: %v", b)
				}
				if b["reasoning"] != nil {
					t.Errorf("openai preset must not send reasoning: %v", b["reasoning"])
				}
			},
		},
		{
			name: "openrouter reasoning", fixture: "openrouter_reasoning.sse", opts: OpenRouter(testKey), reasoning: true,
			wantReasoning: "The user asks how to reset a password. Sensitive but fine.",
			wantText:      "Credentials are involved.\n\nDECISION: CAUTION: never reveal credentials",
			wantUsage:     model.Usage{InputTokens: 312, OutputTokens: 58},
			checkBody: func(t *testing.T, b map[string]any) {
				r, ok := b["reasoning"].(map[string]any)
				if !ok || r["enabled"] != true {
					t.Errorf("reasoning object missing or wrong: %v", b["reasoning"])
				}
				if b["max_tokens"] != float64(200) {
					t.Errorf("openrouter should send max_tokens: %v", b)
				}
			},
		},
		{
			name: "deepseek reasoning_content", fixture: "deepseek_reasoning_content.sse", opts: Options{Name: "deepseek", APIKey: testKey},
			wantReasoning: "Okay, 2 + 2 is 4.", wantText: "4", wantUsage: model.Usage{InputTokens: 13, OutputTokens: 21},
		},
		{
			name: "think tags split across chunks", fixture: "ollama_think_split.sse", opts: Ollama(),
			wantReasoning: "\nThe user says hi. <b>Friendly</b>.\n", wantText: "Hello there! 2 < 3",
			wantUsage: model.Usage{InputTokens: 11, OutputTokens: 19},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, c.fixture)})
			p := newProvider(t, c.opts, up)
			req := request()
			req.Reasoning = c.reasoning
			var got llmtest.Collected
			if err := p.Stream(context.Background(), req, got.Emit); err != nil {
				t.Fatalf("Stream: %v", err)
			}
			if got.Reasoning != c.wantReasoning || got.Text != c.wantText {
				t.Fatalf("reasoning %q text %q\nwant %q / %q", got.Reasoning, got.Text, c.wantReasoning, c.wantText)
			}
			if len(got.Usage) != 1 || got.Usage[0] != c.wantUsage {
				t.Fatalf("usage %+v, want one %+v", got.Usage, c.wantUsage)
			}
			if last := got.Events[len(got.Events)-1]; last.Kind != llm.KindUsage {
				t.Fatalf("usage should be the last event, got %+v", last)
			}
			rec := up.Request(0)
			if rec.Path != "/v1/chat/completions" {
				t.Errorf("path %q", rec.Path)
			}
			b := rec.Body
			if b["model"] != "test-model" || b["stream"] != true {
				t.Errorf("model/stream wrong: %v", b)
			}
			if so, _ := b["stream_options"].(map[string]any); so["include_usage"] != true {
				t.Errorf("stream_options.include_usage not set: %v", b["stream_options"])
			}
			msgs, _ := b["messages"].([]any)
			wantRoles := []string{"system", "user", "assistant", "user"}
			if len(msgs) != len(wantRoles) {
				t.Fatalf("messages %v", msgs)
			}
			for i, m := range msgs {
				if m.(map[string]any)["role"] != wantRoles[i] {
					t.Errorf("message %d role %v, want %s", i, m, wantRoles[i])
				}
			}
			if msgs[0].(map[string]any)["content"] != "You are terse." {
				t.Errorf("system prompt not sent: %v", msgs[0])
			}
			auth := rec.Header.Get("Authorization")
			if c.opts.APIKey == "" && auth != "" {
				t.Errorf("keyless provider sent Authorization %q", auth)
			}
			if c.opts.APIKey != "" && auth != "Bearer "+testKey {
				t.Errorf("Authorization %q", auth)
			}
			if c.checkBody != nil {
				c.checkBody(t, b)
			}
		})
	}
}

func TestOpenRouterEffortAndHeaders(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "openrouter_reasoning.sse")})
	opts := OpenRouter(testKey)
	opts.ReasoningEffort = "low"
	opts.Headers["HTTP-Referer"] = "https://example.org/superego"
	p := newProvider(t, opts, up)
	req := request()
	req.Reasoning = true
	if err := p.Stream(context.Background(), req, (&llmtest.Collected{}).Emit); err != nil {
		t.Fatal(err)
	}
	rec := up.Request(0)
	if r, _ := rec.Body["reasoning"].(map[string]any); r["effort"] != "low" {
		t.Errorf("reasoning %v, want effort low", rec.Body["reasoning"])
	}
	if rec.Header.Get("X-Title") != "Superego" || rec.Header.Get("HTTP-Referer") != "https://example.org/superego" {
		t.Errorf("extra headers missing: %v", rec.Header)
	}
	// Without Request.Reasoning nothing is asked for.
	if err := p.Stream(context.Background(), request(), (&llmtest.Collected{}).Emit); err != nil {
		t.Fatal(err)
	}
	if r := up.Request(1).Body["reasoning"]; r != nil {
		t.Errorf("reasoning sent although not requested: %v", r)
	}
}

func TestKeylessIgnoresEnvironmentKey(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", testKey)
	up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "openai_plain.sse")})
	p := newProvider(t, Ollama(), up)
	if err := p.Stream(context.Background(), request(), (&llmtest.Collected{}).Emit); err != nil {
		t.Fatal(err)
	}
	if auth := up.Request(0).Header.Get("Authorization"); auth != "" {
		t.Fatalf("the environment's OpenAI key leaked to a keyless endpoint: %q", auth)
	}
}

func TestKeylessIgnoresEnvironmentAdminKey(t *testing.T) {
	t.Setenv("OPENAI_ADMIN_KEY", testKey)
	up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "openai_plain.sse")})
	p := newProvider(t, Ollama(), up)
	if err := p.Stream(context.Background(), request(), (&llmtest.Collected{}).Emit); err != nil {
		t.Fatal(err)
	}
	if auth := up.Request(0).Header.Get("Authorization"); auth != "" {
		t.Fatalf("the environment's OpenAI admin key leaked to a keyless endpoint: %q", auth)
	}
}

func TestBadBaseURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "localhost:11434", "ftp://x/v1", "http://"} {
		if _, err := New(Options{BaseURL: u}); err == nil {
			t.Errorf("New accepted base URL %q", u)
		}
	}
}

func TestUnauthorizedIsNotRetried(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Status: 401, Body: llmtest.Fixture(t, "openai_401.json")})
	p := llm.WithRetry(newProvider(t, OpenAI(testKey), up), fastRetry(nil))
	var got llmtest.Collected
	err := p.Stream(context.Background(), request(), got.Emit)
	var ue *llm.UpstreamError
	if !errors.As(err, &ue) || ue.Status != 401 || ue.Provider != "openai" {
		t.Fatalf("err %v, want an openai UpstreamError 401", err)
	}
	if !strings.Contains(err.Error(), "Incorrect API key provided") {
		t.Errorf("error lacks the provider's message: %v", err)
	}
	if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), "Wx9Q") {
		t.Errorf("error leaks the key: %v", err)
	}
	// Only the parameters the call sent are reported, nothing of an answer.
	if up.Calls() != 1 || len(got.Events) != 1 || got.Events[0].Kind != llm.KindParams {
		t.Fatalf("%d calls and events %+v, want 1 call and only the parameters sent", up.Calls(), got.Events)
	}
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t,
		llmtest.Reply{Status: 429, Header: map[string]string{"Retry-After": "2"}, Body: llmtest.Fixture(t, "openrouter_429.json")},
		llmtest.Reply{Body: llmtest.Fixture(t, "openrouter_reasoning.sse")},
	)
	var delays []time.Duration
	retries := 0
	opts := fastRetry(&delays)
	opts.OnRetry = func(name string) {
		if name == "openrouter" {
			retries++
		}
	}
	p := llm.WithRetry(newProvider(t, OpenRouter(testKey), up), opts)
	var got llmtest.Collected
	if err := p.Stream(context.Background(), request(), got.Emit); err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if up.Calls() != 2 || retries != 1 {
		t.Fatalf("%d calls, %d retries; want 2 and 1", up.Calls(), retries)
	}
	if len(delays) != 1 || delays[0] != 2*time.Second {
		t.Fatalf("waited %v, want exactly the 2s Retry-After", delays)
	}
	if !strings.HasPrefix(got.Text, "Credentials") {
		t.Fatalf("answer after retry: %q", got.Text)
	}
}

func TestRateLimitGivesUpWithMessage(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Status: 429, Body: llmtest.Fixture(t, "openrouter_429.json")})
	p := llm.WithRetry(newProvider(t, OpenRouter(testKey), up), fastRetry(nil))
	err := p.Stream(context.Background(), request(), (&llmtest.Collected{}).Emit)
	var ue *llm.UpstreamError
	if !errors.As(err, &ue) || ue.Status != 429 || ue.Attempts != 3 || up.Calls() != 3 {
		t.Fatalf("err %v after %d calls, want 429 after 3 attempts", err, up.Calls())
	}
	if !strings.Contains(err.Error(), "Rate limit exceeded") || !strings.Contains(err.Error(), "429") {
		t.Fatalf("error should carry status and message: %v", err)
	}
}

func TestServerErrorBeforeFirstTokenIsRetried(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t,
		llmtest.Reply{Status: 500, Body: llmtest.Fixture(t, "openai_500.json")},
		llmtest.Reply{Body: llmtest.Fixture(t, "openai_plain.sse")},
	)
	var delays []time.Duration
	p := llm.WithRetry(newProvider(t, OpenAI(testKey), up), fastRetry(&delays))
	var got llmtest.Collected
	if err := p.Stream(context.Background(), request(), got.Emit); err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if up.Calls() != 2 || got.Text != "The capital of France is Paris." || len(delays) != 1 {
		t.Fatalf("%d calls, delays %v, text %q", up.Calls(), delays, got.Text)
	}
}

func TestCutMidStream(t *testing.T) {
	t.Parallel()
	for _, reset := range []bool{false, true} {
		name := "closed without DONE"
		if reset {
			name = "connection reset"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "cut_midstream.sse"), Reset: reset})
			p := llm.WithRetry(newProvider(t, OpenAI(testKey), up), fastRetry(nil))
			var got llmtest.Collected
			err := p.Stream(context.Background(), request(), got.Emit)
			var se *llm.StreamError
			if err == nil || !errors.As(err, &se) || se.Provider != "openai" {
				t.Fatalf("err %v, want a StreamError", err)
			}
			if !reset && !errors.Is(err, llm.ErrStreamInterrupted) {
				t.Fatalf("err %v, want ErrStreamInterrupted", err)
			}
			if got.Text != "Once upon a time" || len(got.Usage) != 0 {
				t.Fatalf("partial events %q usage %v", got.Text, got.Usage)
			}
			// Tokens were emitted, so no retry may happen.
			if up.Calls() != 1 {
				t.Fatalf("%d calls after a cut stream, want 1", up.Calls())
			}
		})
	}
}

func TestCutBeforeFirstTokenIsRetried(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t,
		llmtest.Reply{Reset: true},
		llmtest.Reply{Body: llmtest.Fixture(t, "openai_plain.sse")},
	)
	p := llm.WithRetry(newProvider(t, OpenAI(testKey), up), fastRetry(nil))
	var got llmtest.Collected
	if err := p.Stream(context.Background(), request(), got.Emit); err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if up.Calls() != 2 || got.Text != "The capital of France is Paris." {
		t.Fatalf("%d calls, text %q", up.Calls(), got.Text)
	}
}

func TestMalformedChunk(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "malformed_chunk.sse")})
	p := llm.WithRetry(newProvider(t, OpenAI(testKey), up), fastRetry(nil))
	var got llmtest.Collected
	err := p.Stream(context.Background(), request(), got.Emit)
	if !errors.Is(err, llm.ErrMalformedStream) {
		t.Fatalf("err %v, want ErrMalformedStream", err)
	}
	if got.Text != "Partial" || up.Calls() != 1 {
		t.Fatalf("text %q after %d calls", got.Text, up.Calls())
	}
}

func TestErrorInsideStream(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "openrouter_midstream_error.sse")})
	p := llm.WithRetry(newProvider(t, OpenRouter(testKey), up), fastRetry(nil))
	var got llmtest.Collected
	err := p.Stream(context.Background(), request(), got.Emit)
	var ue *llm.UpstreamError
	if !errors.As(err, &ue) || ue.Status != 502 || ue.Message != "Provider returned error" {
		t.Fatalf("err %v, want UpstreamError 502 with the provider's message", err)
	}
	if got.Text != "Thinking about" || up.Calls() != 1 {
		t.Fatalf("text %q after %d calls", got.Text, up.Calls())
	}
}

func TestStallPastIdleTimeout(t *testing.T) {
	t.Parallel()
	// The upstream sends two chunks, then goes silent until the client
	// hangs up.
	up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "cut_midstream.sse"), Hang: true})
	opts := fastRetry(nil)
	opts.IdleTimeout = 20 * time.Millisecond
	p := llm.WithRetry(newProvider(t, OpenAI(testKey), up), opts)
	var got llmtest.Collected
	err := p.Stream(context.Background(), request(), got.Emit)
	if !errors.Is(err, llm.ErrStallTimeout) {
		t.Fatalf("err %v, want ErrStallTimeout", err)
	}
	<-up.ClientGone // the upstream request was closed, not leaked
	if got.Text != "Once upon a time" || up.Calls() != 1 {
		t.Fatalf("text %q after %d calls", got.Text, up.Calls())
	}
}

func TestNoFirstTokenTimeout(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Hang: true})
	opts := fastRetry(nil)
	opts.FirstTokenTimeout = 20 * time.Millisecond
	p := llm.WithRetry(newProvider(t, OpenAI(testKey), up), opts)
	err := p.Stream(context.Background(), request(), (&llmtest.Collected{}).Emit)
	if !errors.Is(err, llm.ErrFirstTokenTimeout) {
		t.Fatalf("err %v, want ErrFirstTokenTimeout", err)
	}
	// On a loaded machine the timeout may fire before the request even
	// reaches the server; when it did reach it, the server must see the
	// client go away.
	if up.Calls() > 0 {
		<-up.ClientGone
	}
}

func TestCancelClosesUpstream(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Body: llmtest.Fixture(t, "cut_midstream.sse"), Hang: true})
	p := llm.WithRetry(newProvider(t, OpenAI(testKey), up), fastRetry(nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got llmtest.Collected
	err := p.Stream(ctx, request(), func(ev llm.Event) error {
		if ev.Kind == llm.KindText {
			cancel() // the user pressed stop after the first token
		}
		return got.Emit(ev)
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	<-up.ClientGone
	if up.Calls() != 1 {
		t.Fatalf("%d calls after cancel", up.Calls())
	}
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{})
	p := newProviderAt(t, up.URL)
	up.Close() // nothing listens there any more
	calls := 0
	opts := fastRetry(nil)
	opts.OnRetry = func(string) { calls++ }
	err := llm.WithRetry(p, opts).Stream(context.Background(), request(), (&llmtest.Collected{}).Emit)
	var se *llm.StreamError
	if !errors.As(err, &se) || se.Attempts != 3 || calls != 2 {
		t.Fatalf("err %v after %d retries, want a StreamError after 3 attempts", err, calls)
	}
}

func newProviderAt(t *testing.T, base string) *Provider {
	t.Helper()
	p, err := New(Options{BaseURL: base + "/v1", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHTMLAnswerNamed: a base URL that answers 200 with a web page (the
// site rather than its API, a proxy's login page) is reported as such,
// not as a stream that ended early, and is not retried.
func TestHTMLAnswerNamed(t *testing.T) {
	t.Parallel()
	up := llmtest.New(t, llmtest.Reply{Header: map[string]string{"Content-Type": "text/html; charset=utf-8"},
		Body: []byte("<!doctype html><title>Welcome</title>\n\n")})
	p := llm.WithRetry(newProvider(t, OpenAI(testKey), up), fastRetry(nil))
	var got llmtest.Collected
	err := p.Stream(context.Background(), request(), got.Emit)
	if !errors.Is(err, llm.ErrNotEventStream) || errors.Is(err, llm.ErrStreamInterrupted) {
		t.Fatalf("err %v, want ErrNotEventStream", err)
	}
	if !strings.Contains(err.Error(), "text/html") || !strings.HasPrefix(err.Error(), "openai: ") {
		t.Fatalf("message %q does not name the provider and what it answered", err)
	}
	if up.Calls() != 1 || got.Text != "" {
		t.Fatalf("%d calls, text %q", up.Calls(), got.Text)
	}
}

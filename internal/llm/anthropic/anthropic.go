// Package anthropic streams from the Anthropic Messages API through the
// official anthropic-sdk-go SDK, with extended thinking when a request asks
// for reasoning or sets a thinking budget: thinking deltas become reasoning
// events, text deltas text events, and usage (input tokens from
// message_start, output tokens from
// the last message_delta) one usage event at the end — also when the
// stream fails or is cancelled after message_start, since those tokens are
// billed. The stop_reason of message_delta becomes a stop event.
//
// The SDK's own retries and its environment defaults are off: llm.WithRetry
// is the single retry point, and only the key given in Options is sent.
package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

// DefaultBaseURL is Anthropic's API endpoint.
const DefaultBaseURL = "https://api.anthropic.com"

// Defaults for token limits.
const (
	DefaultThinkingBudget = 2048
	DefaultMaxTokens      = 4096
)

// Options configures a Provider.
type Options struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// APIKey is sent as x-api-key.
	APIKey string
	// Headers are added to every request.
	Headers map[string]string
	// HTTPClient is used for requests; nil uses llm.NewHTTPClient(0).
	HTTPClient *http.Client
	// ThinkingBudget is the extended-thinking budget in tokens when a
	// request wants reasoning (default 2048, at least 1024).
	ThinkingBudget int
	// MaxTokens is used when a request sets none (default 4096). With
	// thinking on, max_tokens is raised to exceed the budget, as the API
	// requires.
	MaxTokens int
}

// Provider streams from the Anthropic Messages API.
type Provider struct {
	key    string // kept only to scrub it from error messages
	opts   Options
	client sdk.Client
}

// New validates opts and returns a provider.
func New(opts Options) (*Provider, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	// The SDK appends /v1/messages; a base URL copied with its /v1 (as
	// other SDKs and the OpenAI-compatible ones want it) must not double it.
	opts.BaseURL = strings.TrimSuffix(strings.TrimRight(opts.BaseURL, "/"), "/v1")
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("anthropic: base URL %q is not an http(s) URL", opts.BaseURL)
	}
	if opts.APIKey == "" {
		return nil, errors.New("anthropic: an API key is required (ANTHROPIC_API_KEY)")
	}
	if opts.ThinkingBudget <= 0 {
		opts.ThinkingBudget = DefaultThinkingBudget
	}
	opts.ThinkingBudget = max(opts.ThinkingBudget, llm.MinThinkingBudget)
	if opts.MaxTokens <= 0 {
		opts.MaxTokens = DefaultMaxTokens
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = llm.NewHTTPClient(0)
	}
	ro := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithBaseURL(opts.BaseURL),
		// The Messages API's documented header for API keys.
		option.WithHeader("X-Api-Key", opts.APIKey),
		option.WithMaxRetries(0),
		option.WithHTTPClient(hc),
		// Any bytes on the wire, the pings between events included, tell
		// llm.WithRetry the upstream is alive.
		option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			resp, err := next(r)
			if err == nil && resp != nil && resp.Body != nil {
				resp.Body = llm.BeatingBody(resp.Body, llm.Heartbeat(r.Context()))
			}
			return resp, err
		}),
	}
	for k, v := range opts.Headers {
		ro = append(ro, option.WithHeader(k, v))
	}
	return &Provider{key: opts.APIKey, opts: opts, client: sdk.NewClient(ro...)}, nil
}

// Name implements llm.Provider.
func (p *Provider) Name() string { return llm.ProviderAnthropic }

// Stream implements llm.Provider.
func (p *Provider) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	if err := llm.CheckParams(llm.ProviderAnthropic, req.Reasoning, req.Params); err != nil {
		return &llm.StreamError{Provider: p.Name(), Err: err}
	}
	body, sent := p.params(req)
	if err := emit(llm.Event{Kind: llm.KindParams, Params: &sent}); err != nil {
		return err
	}
	stream := p.client.Messages.NewStreaming(ctx, body, option.WithMiddleware(
		func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
			resp, err := next(r)
			if err == nil {
				if bad := llm.CheckEventStream(resp); bad != nil {
					_ = resp.Body.Close()
					return nil, bad
				}
			}
			return resp, err
		}))
	defer func() { _ = stream.Close() }()

	var (
		usage    model.Usage
		hasUsage bool
		stop     string
		stopped  bool
	)
	// failed reports a stream that ended badly, after the usage counted so
	// far, which the provider bills whether or not the answer finished.
	failed := func(err error) error {
		if hasUsage {
			_ = emit(llm.Event{Kind: llm.KindUsage, Usage: usage})
		}
		return err
	}
	for stream.Next() {
		ev := stream.Current()
		switch ev.Type {
		case "message_start":
			u := ev.Message.Usage
			usage.InputTokens = int(u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens)
			usage.OutputTokens = int(u.OutputTokens)
			hasUsage = true
		case "content_block_delta":
			var kind llm.Kind
			var text string
			switch ev.Delta.Type {
			case "thinking_delta":
				kind, text = llm.KindReasoning, ev.Delta.Thinking
			case "text_delta":
				kind, text = llm.KindText, ev.Delta.Text
			}
			if text != "" {
				if err := emit(llm.Event{Kind: kind, Delta: text}); err != nil {
					return failed(err)
				}
			}
		case "message_delta":
			// output_tokens is cumulative; the last message_delta has the total.
			if ev.Usage.OutputTokens > 0 {
				usage.OutputTokens = int(ev.Usage.OutputTokens)
				hasUsage = true
			}
			if ev.Usage.InputTokens > 0 {
				usage.InputTokens = int(ev.Usage.InputTokens + ev.Usage.CacheCreationInputTokens + ev.Usage.CacheReadInputTokens)
				hasUsage = true
			}
			if ev.Delta.StopReason != "" {
				stop = string(ev.Delta.StopReason)
			}
		case "message_stop":
			stopped = true
		}
	}
	if err := stream.Err(); err != nil {
		return failed(p.mapError(ctx, err))
	}
	if err := ctx.Err(); err != nil {
		return failed(err)
	}
	if !stopped {
		// The SDK ends quietly when the connection closes; without
		// message_stop the answer is incomplete.
		return failed(&llm.StreamError{Provider: p.Name(), Err: llm.ErrStreamInterrupted})
	}
	if stop != "" {
		if err := emit(llm.Event{Kind: llm.KindStop, Stop: stop}); err != nil {
			return err
		}
	}
	return emit(llm.Event{Kind: llm.KindUsage, Usage: usage})
}

// params builds the request body and returns the generation parameters
// it puts on the wire. max_tokens is required by the API, so it is always
// sent: the flow config's, else the request's, else Options.MaxTokens.
// Thinking is on when the request wants reasoning or sets a budget; its
// budget is the flow config's or Options.ThinkingBudget, and max_tokens,
// which counts the thinking, is raised above it when the config did not
// set both (CheckParams refuses a config that set max_tokens at or below
// its own budget).
func (p *Provider) params(req llm.Request) (sdk.MessageNewParams, model.ModelParams) {
	var msgs []sdk.MessageParam
	for _, m := range req.Messages {
		if m.Content == "" {
			continue // the API rejects empty text blocks
		}
		block := sdk.NewTextBlock(m.Content)
		if m.Role == model.RoleAssistant {
			msgs = append(msgs, sdk.NewAssistantMessage(block))
		} else {
			msgs = append(msgs, sdk.NewUserMessage(block))
		}
	}
	cp := req.Params
	maxTokens := req.MaxTokens
	if cp.MaxTokens != nil {
		maxTokens = *cp.MaxTokens
	}
	if maxTokens <= 0 {
		maxTokens = p.opts.MaxTokens
	}
	params := sdk.MessageNewParams{
		Model:    req.Model,
		Messages: msgs,
	}
	sent := model.ModelParams{Temperature: cp.Temperature, TopP: cp.TopP}
	if req.System != "" {
		params.System = []sdk.TextBlockParam{{Text: req.System}}
	}
	if req.Reasoning || cp.ThinkingBudget != nil {
		budget := p.opts.ThinkingBudget
		if cp.ThinkingBudget != nil {
			budget = *cp.ThinkingBudget
		}
		params.Thinking = sdk.ThinkingConfigParamOfEnabled(int64(budget))
		sent.ThinkingBudget = &budget
		// Thinking counts against max_tokens, which must exceed the budget.
		if maxTokens <= budget {
			maxTokens += budget
		}
	}
	params.MaxTokens = int64(maxTokens)
	sent.MaxTokens = &maxTokens
	// The SDK has no typed fields for the sampling parameters; the
	// Messages API still takes them at the top level of the body.
	extra := map[string]any{}
	if cp.Temperature != nil {
		extra["temperature"] = *cp.Temperature
	}
	if cp.TopP != nil {
		extra["top_p"] = *cp.TopP
	}
	if len(extra) > 0 {
		params.SetExtraFields(extra)
	}
	return params, sent
}

// streamErrorStatus maps the error types Anthropic sends inside a 200
// stream to the HTTP status they stand for, so retry rules apply alike.
var streamErrorStatus = map[string]int{
	"overloaded_error":      529,
	"api_error":             http.StatusInternalServerError,
	"rate_limit_error":      http.StatusTooManyRequests,
	"invalid_request_error": http.StatusBadRequest,
	"authentication_error":  http.StatusUnauthorized,
	"permission_error":      http.StatusForbidden,
	"not_found_error":       http.StatusNotFound,
	"request_too_large":     http.StatusRequestEntityTooLarge,
}

// mapError turns SDK errors into llm errors that name the provider and
// carry the upstream's status and message, never the key.
func (p *Provider) mapError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var apiErr *sdk.Error
	if errors.As(err, &apiErr) {
		status := apiErr.StatusCode
		if status < 400 {
			status = streamErrorStatus[string(apiErr.Type())]
		}
		msg := apiErr.Message
		if msg == "" {
			msg = apiErr.RawJSON()
		}
		ue := &llm.UpstreamError{Provider: p.Name(), Status: status, Message: llm.Redact(msg, p.key)}
		if apiErr.Response != nil && apiErr.StatusCode >= 400 {
			ue.RetryAfter = llm.RetryAfterFromHeader(apiErr.Response.Header, time.Now())
		}
		return ue
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syn) || errors.As(err, &typ) {
		return &llm.StreamError{Provider: p.Name(), Err: fmt.Errorf("%w: %s", llm.ErrMalformedStream, err.Error())}
	}
	if red := llm.Redact(err.Error(), p.key); red != err.Error() {
		return &llm.StreamError{Provider: p.Name(), Err: errors.New(red)}
	}
	return &llm.StreamError{Provider: p.Name(), Err: err}
}

// CanThink reports whether a Claude model supports extended thinking (and
// so streams its reasoning): Claude 3.7 Sonnet and the Claude 4 family.
func CanThink(model string) bool {
	m := strings.ToLower(model)
	if strings.Contains(m, "claude-3-7") {
		return true
	}
	for _, fam := range []string{"claude-sonnet-4", "claude-opus-4", "claude-haiku-4"} {
		if strings.HasPrefix(m, fam) {
			return true
		}
	}
	return false
}

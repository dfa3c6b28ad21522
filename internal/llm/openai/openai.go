// Package openai streams chat completions from any OpenAI-compatible
// endpoint (OpenAI, OpenRouter, Ollama, vLLM, llama.cpp, LM Studio) through
// the official openai-go SDK.
//
// Reasoning is read from three places, because servers disagree on where
// it goes: the delta's "reasoning" field (OpenRouter, recent vLLM), its
// "reasoning_content" field (DeepSeek, older vLLM, many gateways), the text
// of OpenRouter's "reasoning_details" when it sends only those, and a
// <think>…</think> block opening the content (local reasoning models), with
// tags that may be split across chunks; a "<think>" later in the answer is
// text. With Options.ImplicitThink, content before a lone </think> is
// reasoning too. Usage comes from the final chunk, requested with
// stream_options.include_usage; the choice's finish_reason becomes a stop
// event.
//
// The SDK's own retries are off: llm.WithRetry is the single retry point.
package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/shared"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

// Endpoints of the presets.
const (
	OpenAIURL     = "https://api.openai.com/v1"
	OpenRouterURL = "https://openrouter.ai/api/v1"
	OllamaURL     = "http://localhost:11434/v1"
)

// ReasoningStyle says how Request.Reasoning is put on the wire.
type ReasoningStyle int

const (
	// ReasoningNone sends nothing: the model reasons (or not) on its own,
	// and whatever reasoning it streams is still read.
	ReasoningNone ReasoningStyle = iota
	// ReasoningOpenRouter adds OpenRouter's "reasoning" object to the body.
	ReasoningOpenRouter
)

// Options configures a Provider.
type Options struct {
	// Name is what Name() reports and errors carry (default "openai").
	Name string
	// BaseURL of the API, up to and including /v1.
	BaseURL string
	// APIKey is sent as a bearer token; empty sends no Authorization
	// header at all (Ollama and most local servers need none).
	APIKey string
	// Headers are added to every request.
	Headers map[string]string
	// HTTPClient is used for requests; nil uses llm.NewHTTPClient(0).
	HTTPClient *http.Client
	// Reasoning says how to ask for reasoning when a request wants it.
	Reasoning ReasoningStyle
	// ReasoningEffort, with ReasoningOpenRouter, is sent as
	// reasoning.effort ("low", "medium", "high"); empty sends
	// reasoning.enabled=true and lets the model pick.
	ReasoningEffort string
	// MaxCompletionTokens sends Request.MaxTokens as max_completion_tokens
	// (OpenAI's current name, required by its reasoning models) instead of
	// max_tokens (what other servers understand).
	MaxCompletionTokens bool
	// ImplicitThink treats content before a lone </think> as reasoning
	// (see ThinkSplitter.Implicit): for local servers, which may run a
	// reasoning model without a reasoning parser.
	ImplicitThink bool
}

// OpenAI is the preset for api.openai.com.
func OpenAI(key string) Options {
	return Options{Name: llm.ProviderOpenAI, BaseURL: OpenAIURL, APIKey: key, MaxCompletionTokens: true}
}

// OpenRouter is the preset for openrouter.ai, requesting reasoning the way
// OpenRouter documents it and naming the app for its dashboards.
func OpenRouter(key string) Options {
	return Options{Name: llm.ProviderOpenRouter, BaseURL: OpenRouterURL, APIKey: key,
		Reasoning: ReasoningOpenRouter, Headers: map[string]string{"X-Title": "Superego"}}
}

// Ollama is the preset for a local Ollama server: no key.
func Ollama() Options {
	return Options{Name: llm.ProviderOllama, BaseURL: OllamaURL, ImplicitThink: true}
}

// Provider streams chat completions from an OpenAI-compatible endpoint.
type Provider struct {
	name   string
	key    string // kept only to scrub it from error messages
	opts   Options
	client sdk.Client
}

// New validates opts and returns a provider.
func New(opts Options) (*Provider, error) {
	if opts.Name == "" {
		opts.Name = llm.ProviderOpenAI
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: base URL %q is not an http(s) URL", opts.Name, opts.BaseURL)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = llm.NewHTTPClient(0)
	}
	ro := []option.RequestOption{
		option.WithBaseURL(opts.BaseURL),
		// Always set, even empty, so an OPENAI_API_KEY in the environment
		// is never sent to some other server.
		option.WithAPIKey(opts.APIKey),
		// Likewise the admin key, which a request without a key would send.
		option.WithAdminAPIKey(""),
		option.WithMaxRetries(0),
		option.WithHTTPClient(hc),
	}
	for k, v := range opts.Headers {
		ro = append(ro, option.WithHeader(k, v))
	}
	return &Provider{name: opts.Name, key: opts.APIKey, opts: opts, client: sdk.NewClient(ro...)}, nil
}

// Name implements llm.Provider.
func (p *Provider) Name() string { return p.name }

// Stream implements llm.Provider.
func (p *Provider) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	var (
		done atomic.Bool
		raw  *http.Response // the streaming response, read by the loop below
	)
	watch := option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		resp, err := next(r)
		if err == nil {
			if bad := llm.CheckEventStream(resp); bad != nil {
				_ = resp.Body.Close()
				return nil, bad
			}
		}
		if err == nil && resp != nil && resp.StatusCode < 300 && resp.Body != nil {
			// Any bytes, keep-alive comments included, are a sign of life.
			resp.Body = llm.BeatingBody(&doneWatcher{rc: resp.Body, done: &done}, llm.Heartbeat(ctx))
			raw = resp
		}
		return resp, err
	})
	if err := llm.CheckParams(p.kind(), req.Reasoning, req.Params); err != nil {
		return &llm.StreamError{Provider: p.name, Err: err}
	}
	body, sent := p.settings(req)
	if err := emit(llm.Event{Kind: llm.KindParams, Params: &sent}); err != nil {
		return err
	}
	// The SDK makes the request and checks its answer; the events are read
	// from the response here, each decoded by decodeChunk, not by the
	// SDK's stream.
	var err error
	if b, ok := encodeWire(body, req); ok {
		// Posted as encoded: NewStreaming would first encode its (empty)
		// params by reflection and then rewrite the whole body to set
		// "stream", which it already says, on the path to the first token.
		var resp *http.Response
		err = p.client.Post(ctx, "chat/completions", nil, &resp,
			watch, option.WithRequestBody("application/json", b))
		if err == nil && resp != nil {
			defer func() { _ = resp.Body.Close() }()
		}
	} else {
		// Closing the stream closes the response.
		body.Messages = sdkMessages(req)
		stream := p.client.Chat.Completions.NewStreaming(ctx, body, watch)
		defer func() { _ = stream.Close() }()
		err = stream.Err()
	}

	var (
		think    = ThinkSplitter{Implicit: p.opts.ImplicitThink}
		usage    model.Usage
		hasUsage bool
		stop     string
	)
	send := func(segs []Segment) error {
		for _, seg := range segs {
			kind := llm.KindText
			if seg.Reasoning {
				kind = llm.KindReasoning
			}
			if seg.Text == "" {
				continue
			}
			if err := emit(llm.Event{Kind: kind, Delta: seg.Text}); err != nil {
				return err
			}
		}
		return nil
	}
	// failed ends a stream that went wrong, after the usage reported so far.
	failed := func(err error) error {
		if hasUsage {
			_ = emit(llm.Event{Kind: llm.KindUsage, Usage: usage})
		}
		return err
	}
	var dec ssestream.Decoder
	if err == nil && raw != nil {
		dec = ssestream.NewDecoder(raw)
	}
	for err == nil && dec != nil && dec.Next() {
		ev := dec.Event()
		if isDone(ev.Data) {
			drain(raw.Body)
			break
		}
		chunk, ok, cerr := decodeChunk(ev)
		if cerr != nil {
			err = cerr
			break
		}
		if !ok {
			continue
		}
		if u := chunk.Usage; u != nil && (u.PromptTokens > 0 || u.CompletionTokens > 0) {
			usage = model.Usage{InputTokens: int(u.PromptTokens), OutputTokens: int(u.CompletionTokens)}
			hasUsage = true
		}
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue // we ask for one choice; ignore any others
			}
			if ch.FinishReason != "" {
				stop = ch.FinishReason
			}
			if r := deltaReasoning(ch.Delta); r != "" {
				// The server separates reasoning: content is never a lone
				// </think> block's reasoning.
				segs := append(think.Release(), Segment{Reasoning: true, Text: r})
				if err := send(segs); err != nil {
					return failed(err)
				}
			}
			// A refusal is what the model says instead of an answer, so the
			// user sees it as text.
			if err := send(think.Feed(ch.Delta.Content + ch.Delta.Refusal)); err != nil {
				return failed(err)
			}
		}
	}
	if err == nil && dec != nil {
		err = dec.Err()
	}
	if err != nil {
		return failed(p.mapError(ctx, err))
	}
	if err := ctx.Err(); err != nil {
		return failed(err)
	}
	if !done.Load() {
		return failed(&llm.StreamError{Provider: p.name, Err: llm.ErrStreamInterrupted})
	}
	if err := send(think.Flush()); err != nil {
		return failed(err)
	}
	if stop != "" {
		if err := emit(llm.Event{Kind: llm.KindStop, Stop: stop}); err != nil {
			return err
		}
	}
	if hasUsage {
		return emit(llm.Event{Kind: llm.KindUsage, Usage: usage})
	}
	return nil
}

// kind is the provider name whose parameter rules apply (llm.CheckParams):
// OpenRouter takes reasoning settings its own way.
func (p *Provider) kind() string {
	if p.opts.Reasoning == ReasoningOpenRouter {
		return llm.ProviderOpenRouter
	}
	return llm.ProviderOpenAI
}

// params builds the request body as the SDK's params: settings with the
// request's messages.
func (p *Provider) params(req llm.Request) (sdk.ChatCompletionNewParams, model.ModelParams) {
	params, sent := p.settings(req)
	params.Messages = sdkMessages(req)
	return params, sent
}

// sdkMessages are the request's system prompt and messages as the SDK's
// params (encodeWire writes the same from the request).
func sdkMessages(req llm.Request) []sdk.ChatCompletionMessageParamUnion {
	var msgs []sdk.ChatCompletionMessageParamUnion
	if req.System != "" {
		msgs = append(msgs, sdk.SystemMessage(req.System))
	}
	for _, m := range req.Messages {
		if wireRole(m) == "assistant" {
			msgs = append(msgs, sdk.AssistantMessage(m.Content))
		} else {
			msgs = append(msgs, sdk.UserMessage(m.Content))
		}
	}
	return msgs
}

// wireRole is the role a message of ours is sent with: the assistant's
// own, or else the user's.
func wireRole(m llm.Message) string {
	if m.Role == model.RoleAssistant {
		return "assistant"
	}
	return "user"
}

// settings builds the request body but for its messages, and returns the
// generation parameters it puts on the wire: each one the flow config
// sets, nothing else, so the server's defaults apply to the rest. A
// reasoning effort goes top-level as reasoning_effort, except on
// OpenRouter, whose reasoning object takes it (or a thinking budget as
// reasoning.max_tokens). encodeWire writes what it sets: a field set here
// must be written there too.
func (p *Provider) settings(req llm.Request) (sdk.ChatCompletionNewParams, model.ModelParams) {
	params := sdk.ChatCompletionNewParams{
		Model:         req.Model,
		StreamOptions: sdk.ChatCompletionStreamOptionsParam{IncludeUsage: sdk.Bool(true)},
	}
	cp := req.Params
	sent := model.ModelParams{Temperature: cp.Temperature, TopP: cp.TopP, Seed: cp.Seed}
	if cp.Temperature != nil {
		params.Temperature = sdk.Float(*cp.Temperature)
	}
	if cp.TopP != nil {
		params.TopP = sdk.Float(*cp.TopP)
	}
	if cp.Seed != nil {
		params.Seed = sdk.Int(*cp.Seed)
	}
	maxTokens := req.MaxTokens
	if cp.MaxTokens != nil {
		maxTokens = *cp.MaxTokens
	}
	if maxTokens > 0 {
		sent.MaxTokens = &maxTokens
		if p.opts.MaxCompletionTokens {
			params.MaxCompletionTokens = sdk.Int(int64(maxTokens))
		} else {
			params.MaxTokens = sdk.Int(int64(maxTokens))
		}
	}
	effort := cp.ReasoningEffort
	if p.opts.Reasoning != ReasoningOpenRouter {
		if effort != "" {
			params.ReasoningEffort = shared.ReasoningEffort(effort)
			sent.ReasoningEffort = effort
		}
		return params, sent
	}
	if !req.Reasoning && effort == "" && cp.ThinkingBudget == nil {
		return params, sent
	}
	if effort == "" && cp.ThinkingBudget == nil {
		effort = p.opts.ReasoningEffort
	}
	r := map[string]any{"enabled": true}
	switch {
	case cp.ThinkingBudget != nil:
		r = map[string]any{"max_tokens": *cp.ThinkingBudget}
		sent.ThinkingBudget = cp.ThinkingBudget
	case effort != "":
		r = map[string]any{"effort": effort}
		sent.ReasoningEffort = effort
	}
	params.SetExtraFields(map[string]any{"reasoning": r})
	return params, sent
}

// deltaReasoning reads the reasoning text a delta carries outside the
// SDK's typed fields. "reasoning" wins when both are present, since some
// servers send the same text under both names; OpenRouter's structured
// "reasoning_details" are read only when neither string is there, since it
// usually repeats "reasoning" in them.
func deltaReasoning(d delta) string {
	for _, f := range []json.RawMessage{d.Reasoning, d.ReasoningContent} {
		var s string
		if f != nil && json.Unmarshal(f, &s) == nil && s != "" {
			return s
		}
	}
	if d.ReasoningDetails == nil {
		return ""
	}
	var details []struct {
		Type    string `json:"type"`
		Text    string `json:"text"`
		Summary string `json:"summary"`
	}
	if json.Unmarshal(d.ReasoningDetails, &details) != nil {
		return ""
	}
	var b strings.Builder
	for _, d := range details {
		switch d.Type {
		case "reasoning.text":
			b.WriteString(d.Text)
		case "reasoning.summary":
			b.WriteString(d.Summary)
		}
		// reasoning.encrypted carries no readable text.
	}
	return b.String()
}

// mapError turns SDK errors into llm errors that name the provider and
// carry the upstream's status and message, never the key.
func (p *Provider) mapError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var apiErr *sdk.Error
	if errors.As(err, &apiErr) {
		msg := apiErr.Message
		if msg == "" {
			msg = apiErr.RawJSON()
		}
		ue := &llm.UpstreamError{Provider: p.name, Status: apiErr.StatusCode, Message: llm.Redact(msg, p.key)}
		if apiErr.Response != nil {
			ue.RetryAfter = llm.RetryAfterFromHeader(apiErr.Response.Header, time.Now())
		}
		return ue
	}
	var se *ssestream.StreamError
	if errors.As(err, &se) {
		return p.streamedError(se.Event.Data)
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syn) || errors.As(err, &typ) {
		return &llm.StreamError{Provider: p.name, Err: fmt.Errorf("%w: %s", llm.ErrMalformedStream, err.Error())}
	}
	if red := llm.Redact(err.Error(), p.key); red != err.Error() {
		return &llm.StreamError{Provider: p.name, Err: errors.New(red)}
	}
	// Keep the chain so connection errors stay recognisable as retryable.
	return &llm.StreamError{Provider: p.name, Err: err}
}

// streamedError decodes an error object sent inside an HTTP 200 stream,
// as OpenRouter does when a model fails mid-answer.
func (p *Provider) streamedError(data []byte) error {
	var body struct {
		Error struct {
			Message string          `json:"message"`
			Code    json.RawMessage `json:"code"`
		} `json:"error"`
	}
	ue := &llm.UpstreamError{Provider: p.name}
	if json.Unmarshal(data, &body) != nil {
		ue.Message = llm.Redact(string(data), p.key)
		return ue
	}
	ue.Message = llm.Redact(body.Error.Message, p.key)
	var code int
	if json.Unmarshal(body.Error.Code, &code) == nil && code >= 400 && code < 600 {
		ue.Status = code
	}
	return ue
}

// drainLimit and drainTimeout bound what drain reads after the terminator.
const (
	drainLimit   = 4 << 10
	drainTimeout = time.Second
)

// drain reads the response body to its end after the stream's terminator,
// which its server sends right after it: a body closed before its end
// closes the connection with it, and the next call would dial (and
// handshake TLS) again. A server that keeps the body open is cut after
// drainTimeout or drainLimit bytes.
func drain(body io.ReadCloser) {
	t := time.AfterFunc(drainTimeout, func() { _ = body.Close() })
	defer t.Stop()
	_, _ = io.CopyN(io.Discard, body, drainLimit)
}

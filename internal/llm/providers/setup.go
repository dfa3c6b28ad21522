// Package providers turns an llm.Config (flags and environment) into a
// ready llm.Catalog: it picks the provider, builds it with its defaults and
// wraps it with llm.WithRetry. It is separate from package llm because it
// imports every implementation, and they import llm.
//
// Selection: an explicit Config.Provider wins. Otherwise the first
// credential that is set decides, in this order: OpenRouter, OpenAI,
// Anthropic. With no credential but a BaseURL, the OpenAI-compatible
// provider is used without a key (Ollama, vLLM, llama.cpp, LM Studio).
// With neither, the offline demo runs.
package providers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/anthropic"
	"github.com/superego-lab/superego/internal/llm/demo"
	"github.com/superego-lab/superego/internal/llm/openai"
)

// Default models per provider; flags and flow configs override them.
const (
	OpenAISuperegoModel      = "gpt-4.1-mini"
	OpenAIAssistantModel     = "gpt-4.1-mini"
	OpenRouterSuperegoModel  = "deepseek/deepseek-r1" // streams its reasoning
	OpenRouterAssistantModel = "openai/gpt-4.1-mini"
	OllamaSuperegoModel      = "qwen3" // thinks in <think> tags
	OllamaAssistantModel     = "qwen3"
	AnthropicSuperegoModel   = "claude-sonnet-4-5"
	AnthropicAssistantModel  = "claude-sonnet-4-5"
)

// Names lists the accepted values of Config.Provider.
var Names = llm.ProviderNames

// Setup builds the default provider described by cfg (an error names what
// is missing or wrong and never contains a credential) and every other
// provider that is configured beside it, behind one router. A provider
// that is not configured is listed with the reason, and runs naming its
// models fail with it.
func Setup(cfg llm.Config, log *slog.Logger) (*llm.Catalog, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	name := Choose(cfg)
	hc := llm.NewPooledHTTPClient(cfg.ConnectTimeout, cfg.MaxConns)
	def, err := newBackend(name, cfg, cfg.BaseURL, hc, log)
	if err != nil {
		return nil, err
	}
	if !def.Demo {
		if cfg.SuperegoModel != "" {
			def.SuperegoModel = cfg.SuperegoModel
		}
		if cfg.AssistantModel != "" {
			def.AssistantModel = cfg.AssistantModel
		}
	} else if cfg.SuperegoModel != "" || cfg.AssistantModel != "" {
		log.Warn("model overrides are ignored by the offline demo provider")
	}
	backends := []*llm.Backend{def}
	for _, other := range Names {
		if other == name {
			continue
		}
		if why := missing(other, cfg); why != "" {
			backends = append(backends, &llm.Backend{Name: other, Err: "not configured: " + why})
			continue
		}
		b, err := newBackend(other, cfg, cfg.BaseURLs[other], hc, log)
		if err != nil {
			b = &llm.Backend{Name: other, Err: err.Error()}
		}
		backends = append(backends, b)
	}
	for _, b := range backends {
		if b.Provider != nil {
			log.Info("model provider ready", "provider", b.Name, "default", b.Name == name, "demo", b.Demo,
				"base_url", redactURL(b.BaseURL), "superego_model", b.SuperegoModel, "assistant_model", b.AssistantModel)
		}
	}
	return &llm.Catalog{
		Provider: llm.NewRouter(name, backends),
		Name:     name, BaseURL: def.BaseURL, Demo: def.Demo,
		SuperegoModel: def.SuperegoModel, AssistantModel: def.AssistantModel,
		Backends: backends,
	}, nil
}

// missing says what a provider other than the default lacks to be
// available beside it; "" when it can be built.
func missing(name string, cfg llm.Config) string {
	switch name {
	case llm.ProviderOpenAI:
		if cfg.OpenAIKey == "" && cfg.BaseURLs[name] == "" {
			return "set OPENAI_API_KEY"
		}
	case llm.ProviderOpenRouter:
		if cfg.OpenRouterKey == "" {
			return "set OPENROUTER_API_KEY"
		}
	case llm.ProviderAnthropic:
		if cfg.AnthropicKey == "" {
			return "set ANTHROPIC_API_KEY"
		}
	case llm.ProviderOllama:
		if cfg.BaseURLs[name] == "" {
			return "set SUPEREGO_OLLAMA_URL (e.g. http://localhost:11434/v1)"
		}
	}
	return ""
}

// newBackend builds one provider with its defaults, wrapped with
// llm.WithRetry; baseURL overrides its endpoint.
func newBackend(name string, cfg llm.Config, baseURL string, hc *http.Client, log *slog.Logger) (*llm.Backend, error) {
	var (
		p   llm.Provider
		b   = &llm.Backend{Name: name}
		err error
	)
	switch name {
	case llm.ProviderDemo:
		p = demo.New(demo.Options{Delay: cfg.DemoDelay})
		b.Demo = true
		b.SuperegoModel, b.AssistantModel = demo.SuperegoModel, demo.AssistantModel
		b.CanReason = func(m string) bool { return m == demo.SuperegoModel }

	case llm.ProviderOpenAI:
		opts := openai.OpenAI(cfg.OpenAIKey)
		if baseURL != "" {
			opts.BaseURL = baseURL
			// Other OpenAI-compatible servers know max_tokens only.
			opts.MaxCompletionTokens = sameEndpoint(baseURL, openai.OpenAIURL)
		}
		// A keyless server is local (vLLM, llama.cpp, LM Studio), where
		// a reasoning model may run without a reasoning parser.
		opts.ImplicitThink = cfg.OpenAIKey == ""
		if cfg.OpenAIKey == "" && sameEndpoint(opts.BaseURL, openai.OpenAIURL) {
			return nil, errors.New("provider openai: OPENAI_API_KEY is required for api.openai.com " +
				"(set --base-url to use a keyless OpenAI-compatible server)")
		}
		p, err = buildOpenAI(opts, cfg, hc)
		b.BaseURL = opts.BaseURL
		b.SuperegoModel, b.AssistantModel = OpenAISuperegoModel, OpenAIAssistantModel
		if cfg.OpenAIKey == "" {
			b.SuperegoModel, b.AssistantModel = OllamaSuperegoModel, OllamaAssistantModel
		}
		b.List = openAIModels(opts.BaseURL, cfg.OpenAIKey, hc)
		b.CanReason = thinksInText

	case llm.ProviderOpenRouter:
		if cfg.OpenRouterKey == "" {
			return nil, errors.New("provider openrouter: OPENROUTER_API_KEY is required")
		}
		opts := openai.OpenRouter(cfg.OpenRouterKey)
		if baseURL != "" {
			opts.BaseURL = baseURL
		}
		p, err = buildOpenAI(opts, cfg, hc)
		b.BaseURL = opts.BaseURL
		b.SuperegoModel, b.AssistantModel = OpenRouterSuperegoModel, OpenRouterAssistantModel
		b.List = openAIModels(opts.BaseURL, cfg.OpenRouterKey, hc)
		b.ListsReasoning = true
		b.CanReason = thinksInText

	case llm.ProviderOllama:
		opts := openai.Ollama()
		if baseURL != "" {
			opts.BaseURL = baseURL
		}
		p, err = buildOpenAI(opts, cfg, hc)
		b.BaseURL = opts.BaseURL
		b.SuperegoModel, b.AssistantModel = OllamaSuperegoModel, OllamaAssistantModel
		b.List = openAIModels(opts.BaseURL, "", hc)
		b.CanReason = thinksInText

	case llm.ProviderAnthropic:
		if cfg.AnthropicKey == "" {
			return nil, errors.New("provider anthropic: ANTHROPIC_API_KEY is required")
		}
		opts := anthropic.Options{BaseURL: baseURL, APIKey: cfg.AnthropicKey, Headers: cfg.ExtraHeaders,
			HTTPClient: hc, ThinkingBudget: cfg.ThinkingBudget}
		p, err = anthropic.New(opts)
		b.BaseURL = baseURL
		if b.BaseURL == "" {
			b.BaseURL = anthropic.DefaultBaseURL
		}
		b.SuperegoModel, b.AssistantModel = AnthropicSuperegoModel, AnthropicAssistantModel
		b.List = anthropicModels(b.BaseURL, cfg.AnthropicKey, hc)
		b.CanReason = anthropic.CanThink

	default:
		return nil, fmt.Errorf("unknown provider %q: use one of %s", cfg.Provider, strings.Join(Names, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", name, err)
	}
	b.Provider = llm.WithRetry(p, llm.RetryOptions{
		MaxAttempts:       cfg.MaxAttempts,
		BaseDelay:         cfg.RetryBaseDelay,
		FirstTokenTimeout: cfg.FirstTokenTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		OnRetry:           cfg.OnRetry,
		Logger:            log,
	})
	return b, nil
}

// Choose returns the provider name Setup will use for cfg (see the package
// comment for the rules).
func Choose(cfg llm.Config) string {
	if p := strings.ToLower(strings.TrimSpace(cfg.Provider)); p != "" {
		return p
	}
	switch {
	case cfg.OpenRouterKey != "":
		return llm.ProviderOpenRouter
	case cfg.OpenAIKey != "":
		return llm.ProviderOpenAI
	case cfg.AnthropicKey != "":
		return llm.ProviderAnthropic
	case cfg.BaseURL != "":
		return llm.ProviderOpenAI
	}
	return llm.ProviderDemo
}

// buildOpenAI finishes an OpenAI-compatible preset with the shared HTTP
// client and the configured extra headers (which win over the preset's).
func buildOpenAI(opts openai.Options, cfg llm.Config, hc *http.Client) (llm.Provider, error) {
	opts.HTTPClient = hc
	if len(cfg.ExtraHeaders) > 0 {
		h := map[string]string{}
		for k, v := range opts.Headers {
			h[k] = v
		}
		for k, v := range cfg.ExtraHeaders {
			h[k] = v
		}
		opts.Headers = h
	}
	return openai.New(opts)
}

// sameEndpoint compares two base URLs ignoring a trailing slash and case.
func sameEndpoint(a, b string) bool {
	norm := func(s string) string { return strings.ToLower(strings.TrimRight(s, "/")) }
	return norm(a) == norm(b)
}

// redactURL hides any user:password in a URL before it is logged.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

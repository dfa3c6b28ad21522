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
var Names = []string{llm.ProviderDemo, llm.ProviderOpenAI, llm.ProviderOpenRouter, llm.ProviderAnthropic, llm.ProviderOllama}

// Setup selects and builds the provider described by cfg. The error names
// what is missing or wrong and never contains a credential.
func Setup(cfg llm.Config, log *slog.Logger) (*llm.Catalog, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	name := Choose(cfg)
	hc := llm.NewPooledHTTPClient(cfg.ConnectTimeout, cfg.MaxConns)

	var (
		p   llm.Provider
		cat = &llm.Catalog{Name: name}
		err error
	)
	switch name {
	case llm.ProviderDemo:
		if cfg.SuperegoModel != "" || cfg.AssistantModel != "" {
			log.Warn("model overrides are ignored by the offline demo provider")
		}
		p = demo.New(demo.Options{Delay: cfg.DemoDelay})
		cat.Demo = true
		cat.SuperegoModel, cat.AssistantModel = demo.SuperegoModel, demo.AssistantModel

	case llm.ProviderOpenAI:
		opts := openai.OpenAI(cfg.OpenAIKey)
		if cfg.BaseURL != "" {
			opts.BaseURL = cfg.BaseURL
			// Other OpenAI-compatible servers know max_tokens only.
			opts.MaxCompletionTokens = sameEndpoint(cfg.BaseURL, openai.OpenAIURL)
		}
		// A keyless server is local (vLLM, llama.cpp, LM Studio), where
		// a reasoning model may run without a reasoning parser.
		opts.ImplicitThink = cfg.OpenAIKey == ""
		if cfg.OpenAIKey == "" && sameEndpoint(opts.BaseURL, openai.OpenAIURL) {
			return nil, errors.New("provider openai: OPENAI_API_KEY is required for api.openai.com " +
				"(set --base-url to use a keyless OpenAI-compatible server)")
		}
		p, err = buildOpenAI(opts, cfg, hc)
		cat.BaseURL = opts.BaseURL
		cat.SuperegoModel, cat.AssistantModel = OpenAISuperegoModel, OpenAIAssistantModel
		if cfg.OpenAIKey == "" {
			cat.SuperegoModel, cat.AssistantModel = OllamaSuperegoModel, OllamaAssistantModel
		}

	case llm.ProviderOpenRouter:
		if cfg.OpenRouterKey == "" {
			return nil, errors.New("provider openrouter: OPENROUTER_API_KEY is required")
		}
		opts := openai.OpenRouter(cfg.OpenRouterKey)
		if cfg.BaseURL != "" {
			opts.BaseURL = cfg.BaseURL
		}
		p, err = buildOpenAI(opts, cfg, hc)
		cat.BaseURL = opts.BaseURL
		cat.SuperegoModel, cat.AssistantModel = OpenRouterSuperegoModel, OpenRouterAssistantModel

	case llm.ProviderOllama:
		opts := openai.Ollama()
		if cfg.BaseURL != "" {
			opts.BaseURL = cfg.BaseURL
		}
		p, err = buildOpenAI(opts, cfg, hc)
		cat.BaseURL = opts.BaseURL
		cat.SuperegoModel, cat.AssistantModel = OllamaSuperegoModel, OllamaAssistantModel

	case llm.ProviderAnthropic:
		if cfg.AnthropicKey == "" {
			return nil, errors.New("provider anthropic: ANTHROPIC_API_KEY is required")
		}
		opts := anthropic.Options{BaseURL: cfg.BaseURL, APIKey: cfg.AnthropicKey, Headers: cfg.ExtraHeaders,
			HTTPClient: hc, ThinkingBudget: cfg.ThinkingBudget}
		p, err = anthropic.New(opts)
		cat.BaseURL = cfg.BaseURL
		if cat.BaseURL == "" {
			cat.BaseURL = anthropic.DefaultBaseURL
		}
		cat.SuperegoModel, cat.AssistantModel = AnthropicSuperegoModel, AnthropicAssistantModel

	default:
		return nil, fmt.Errorf("unknown provider %q: use one of %s", cfg.Provider, strings.Join(Names, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", name, err)
	}
	if !cat.Demo {
		if cfg.SuperegoModel != "" {
			cat.SuperegoModel = cfg.SuperegoModel
		}
		if cfg.AssistantModel != "" {
			cat.AssistantModel = cfg.AssistantModel
		}
	}
	cat.Provider = llm.WithRetry(p, llm.RetryOptions{
		MaxAttempts:       cfg.MaxAttempts,
		BaseDelay:         cfg.RetryBaseDelay,
		FirstTokenTimeout: cfg.FirstTokenTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		OnRetry:           cfg.OnRetry,
		Logger:            log,
	})
	log.Info("model provider ready", "provider", cat.Name, "demo", cat.Demo, "base_url", redactURL(cat.BaseURL),
		"superego_model", cat.SuperegoModel, "assistant_model", cat.AssistantModel)
	return cat, nil
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

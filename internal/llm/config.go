package llm

import (
	"net"
	"net/http"
	"time"
)

// Provider names accepted by Config.Provider (--provider).
const (
	ProviderDemo       = "demo"
	ProviderOpenAI     = "openai"
	ProviderOpenRouter = "openrouter"
	ProviderAnthropic  = "anthropic"
	ProviderOllama     = "ollama"
)

// Config selects and configures the model provider. It is filled from flags
// and environment by the command and handed to providers.Setup (the
// constructor lives in a sub-package because it imports every
// implementation, which themselves import this package).
type Config struct {
	// Provider is demo, openai, openrouter, anthropic or ollama; empty
	// means "choose from the credentials that are set".
	Provider string
	// BaseURL overrides the endpoint of the default provider (Provider).
	BaseURL string
	// BaseURLs set the endpoints of the other providers by name; an
	// "ollama" entry makes Ollama available beside the default provider.
	BaseURLs map[string]string
	// SuperegoModel and AssistantModel override the provider's defaults.
	SuperegoModel  string
	AssistantModel string
	// DemoDelay paces the demo provider's tokens; 0 means no wait. Setup
	// does not apply a default: the command's flag default (20ms) does.
	DemoDelay time.Duration
	// Credentials. They are only ever sent to their provider.
	OpenAIKey     string
	OpenRouterKey string
	AnthropicKey  string
	// ExtraHeaders are added to every upstream request.
	ExtraHeaders map[string]string
	// ThinkingBudget is Anthropic's extended-thinking budget in tokens
	// (default 2048).
	ThinkingBudget int

	// ConnectTimeout bounds dialing and the TLS handshake (default 10s).
	ConnectTimeout time.Duration
	// MaxConns is how many upstream calls may run at once (--max-upstream);
	// the transport keeps as many idle connections per host, so that calls
	// reuse them instead of dialing anew (default DefaultIdleConnsPerHost).
	MaxConns int
	// FirstTokenTimeout, IdleTimeout and MaxAttempts: see RetryOptions.
	FirstTokenTimeout time.Duration
	IdleTimeout       time.Duration
	MaxAttempts       int
	// RetryBaseDelay is the first backoff delay (default 500ms).
	RetryBaseDelay time.Duration
	// OnRetry is called once per retry (for metrics); may be nil.
	OnRetry func(provider string)
}

// DefaultIdleConnsPerHost is how many idle connections to one upstream host
// a client keeps when the number of concurrent calls is not given: the
// engine's default limit of concurrent upstream calls.
const DefaultIdleConnsPerHost = 16

// NewHTTPClient returns a client for streaming calls (see NewPooledHTTPClient)
// that keeps DefaultIdleConnsPerHost idle connections per host.
func NewHTTPClient(connectTimeout time.Duration) *http.Client {
	return NewPooledHTTPClient(connectTimeout, 0)
}

// NewPooledHTTPClient returns a client for streaming calls: dialing and the
// TLS handshake are bounded by connectTimeout, but there is no overall
// timeout because a long answer may legitimately stream for minutes
// (WithRetry's first-token and idle timeouts bound it instead). It keeps up
// to conns idle connections per host (DefaultIdleConnsPerHost when conns <=
// 0): Go's default of 2 would close all but two connections after a burst of
// concurrent calls and dial (and handshake TLS) anew for the next.
func NewPooledHTTPClient(connectTimeout time.Duration, conns int) *http.Client {
	if connectTimeout <= 0 {
		connectTimeout = 10 * time.Second
	}
	if conns <= 0 {
		conns = DefaultIdleConnsPerHost
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = connectTimeout
	t.MaxIdleConnsPerHost = conns
	// Room for that many to each of a few hosts (several providers).
	t.MaxIdleConns = max(t.MaxIdleConns, 4*conns)
	return &http.Client{Transport: t}
}

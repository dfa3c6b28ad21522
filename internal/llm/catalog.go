package llm

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Price is US dollars per million tokens (see package pricing).
type Price struct {
	Input  float64 `json:"input_per_mtok"`
	Output float64 `json:"output_per_mtok"`
	// Source says where the price comes from: "configured", "default"
	// (built-in list price), "demo" (nominal) or "local" (self-hosted).
	Source string `json:"source"`
}

// Backend is one provider of a Catalog.
type Backend struct {
	// Name is the provider's name, the prefix of its model references.
	Name string
	// Provider is nil when the provider is not configured or could not be
	// built; Err then says why. It is already wrapped with WithRetry.
	Provider Provider
	Err      string
	// BaseURL is the endpoint in use (empty for the demo).
	BaseURL        string
	SuperegoModel  string
	AssistantModel string
	Demo           bool
	// List asks the provider's models endpoint for its models; nil when it
	// has none, in which case the default models are listed.
	List func(ctx context.Context) ([]ModelInfo, error)
	// CanReason reports whether a model of this provider can stream its
	// reasoning, for models its endpoint does not describe.
	CanReason func(model string) bool
	// ListsReasoning is true when List says of each model whether it takes
	// reasoning (OpenRouter's supported_parameters). Only then, or on the
	// demo, is a reasoning_effort refused on a model without the flag:
	// elsewhere the flag is a guess from the name, and a model may take an
	// effort without streaming its reasoning (OpenAI's o-series).
	ListsReasoning bool
}

// Catalog is every provider the server knows, the default one first.
type Catalog struct {
	// Provider routes each request to the backend its model names and is
	// what the engine calls (see Router).
	Provider Provider
	// Name, BaseURL, SuperegoModel, AssistantModel and Demo describe the
	// default provider; bare model names belong to it.
	Name           string
	BaseURL        string
	SuperegoModel  string
	AssistantModel string
	Demo           bool
	Backends       []*Backend
	// Price, when set, prices a model reference for GET /api/models.
	Price func(ref string) (Price, bool)

	mu     sync.Mutex
	cached map[string]listed
	now    func() time.Time
}

// listed is a cached answer of a models endpoint.
type listed struct {
	models []ModelInfo
	err    string
	at     time.Time
}

// modelsTTL is how long a provider's model list is kept before it is
// asked again; GET /api/models?refresh=true asks at once.
const modelsTTL = 10 * time.Minute

// ModelsInfo is the body of GET /api/models.
type ModelsInfo struct {
	// Provider is the default provider: bare model names belong to it.
	Provider              string `json:"provider"`
	Demo                  bool   `json:"demo"`
	DefaultSuperegoModel  string `json:"default_superego_model"`
	DefaultAssistantModel string `json:"default_assistant_model"`
	// Models of every available provider; ID is what a flow config names.
	Models    []ModelInfo    `json:"models"`
	Providers []ProviderInfo `json:"providers"`
}

// ModelInfo is one model a provider offers.
type ModelInfo struct {
	// ID is the model reference: "provider:model", bare on the default
	// provider.
	ID       string `json:"id"`
	Provider string `json:"provider"`
	// Model is the provider's own name of it.
	Model string `json:"model"`
	// Roles it is the default model for ("superego", "assistant").
	Roles []string `json:"roles"`
	Demo  bool     `json:"demo"`
	// Reasoning is true when the model can stream its reasoning.
	Reasoning bool `json:"reasoning"`
	// Price per million tokens, when one is known.
	Price *Price `json:"price,omitempty"`
}

// ProviderInfo describes one provider in GET /api/models.
type ProviderInfo struct {
	Name string `json:"name"`
	// Available is false when the provider is not configured or broken;
	// Error then says why, and runs naming its models fail with it.
	Available bool   `json:"available"`
	Default   bool   `json:"default"`
	Demo      bool   `json:"demo"`
	BaseURL   string `json:"base_url,omitempty"`
	Error     string `json:"error,omitempty"`
	// Listed is true when the models came from the provider's models
	// endpoint; ListError says why they could not (the defaults are
	// listed then).
	Listed    bool      `json:"listed"`
	ListError string    `json:"list_error,omitempty"`
	ListedAt  time.Time `json:"listed_at,omitzero"`
}

// Backend returns the backend of a provider name, or nil.
func (c *Catalog) Backend(name string) *Backend {
	for _, b := range c.Backends {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// Info describes the catalog without asking any provider (the default
// models only). It never carries credentials.
func (c *Catalog) Info() ModelsInfo { return c.info(context.TODO(), false) }

// Models describes the catalog with every available provider's models
// from its models endpoint, cached for ten minutes unless refresh is set.
func (c *Catalog) Models(ctx context.Context, refresh bool) ModelsInfo {
	return c.info(ctx, refresh)
}

func (c *Catalog) info(ctx context.Context, refresh bool) ModelsInfo {
	info := ModelsInfo{Provider: c.Name, Demo: c.Demo, DefaultSuperegoModel: c.SuperegoModel,
		DefaultAssistantModel: c.AssistantModel, Models: []ModelInfo{}}
	backends := c.Backends
	single := len(backends) == 0
	if single {
		// A catalog of just its default provider, as tests build it.
		backends = []*Backend{{Name: c.Name, Provider: c.Provider, BaseURL: c.BaseURL, Demo: c.Demo,
			SuperegoModel: c.SuperegoModel, AssistantModel: c.AssistantModel}}
	}
	for _, b := range backends {
		avail := b.Provider != nil || single
		pi := ProviderInfo{Name: b.Name, Available: avail, Default: b.Name == c.Name, Demo: b.Demo,
			BaseURL: b.BaseURL, Error: b.Err}
		info.Providers = append(info.Providers, pi)
		if !avail {
			continue
		}
		var models []ModelInfo
		if ctx != nil && b.List != nil {
			l := c.list(ctx, b, refresh)
			models = l.models
			p := &info.Providers[len(info.Providers)-1]
			p.Listed, p.ListError, p.ListedAt = l.err == "" && len(l.models) > 0, l.err, l.at
		}
		info.Models = append(info.Models, c.describe(b, models)...)
	}
	return info
}

// describe completes a backend's listed models with its defaults (listed
// first, marked with their roles), references and prices.
func (c *Catalog) describe(b *Backend, listed []ModelInfo) []ModelInfo {
	roles := map[string][]string{}
	roles[b.SuperegoModel] = append(roles[b.SuperegoModel], string(PurposeSuperego))
	roles[b.AssistantModel] = append(roles[b.AssistantModel], string(PurposeAssistant))
	var out []ModelInfo
	seen := map[string]bool{}
	add := func(m ModelInfo) {
		if m.Model == "" || seen[m.Model] {
			return
		}
		seen[m.Model] = true
		m.Provider, m.Demo = b.Name, b.Demo
		m.ID = m.Model
		if b.Name != c.Name {
			m.ID = JoinModel(b.Name, m.Model)
		}
		m.Roles = roles[m.Model]
		if m.Roles == nil {
			m.Roles = []string{}
		}
		if !m.Reasoning && b.CanReason != nil {
			m.Reasoning = b.CanReason(m.Model)
		}
		if c.Price != nil && m.Price == nil {
			if p, ok := c.Price(JoinModel(b.Name, m.Model)); ok {
				m.Price = &p
			}
		}
		out = append(out, m)
	}
	add(ModelInfo{Model: b.SuperegoModel})
	add(ModelInfo{Model: b.AssistantModel})
	rest := append([]ModelInfo(nil), listed...)
	sort.Slice(rest, func(i, j int) bool { return rest[i].Model < rest[j].Model })
	for _, m := range rest {
		add(m)
	}
	return out
}

// list returns a backend's models from the cache or its endpoint.
func (c *Catalog) list(ctx context.Context, b *Backend, refresh bool) listed {
	now := time.Now
	if c.now != nil {
		now = c.now
	}
	c.mu.Lock()
	l, ok := c.cached[b.Name]
	c.mu.Unlock()
	if ok && !refresh && now().Sub(l.at) < modelsTTL {
		return l
	}
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	models, err := b.List(lctx)
	l = listed{models: models, at: now().UTC()}
	if err != nil {
		l.err = err.Error()
	}
	c.mu.Lock()
	if c.cached == nil {
		c.cached = map[string]listed{}
	}
	c.cached[b.Name] = l
	c.mu.Unlock()
	return l
}

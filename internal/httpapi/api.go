// Package httpapi is Superego's REST API: the five resources of docs/design.md,
// "Resources" (constitutions, sysprompts, flow configs, flow templates, flow
// instances), health, models and the OpenAPI document, built code-first with
// Huma v2 on the standard library's http.ServeMux.
//
// Handler wraps everything in the cross-cutting middleware: request ids,
// panic recovery, bearer-token auth, the body limit, Prometheus metrics and
// the single log line per failed request. Other packages add their own
// operations through Huma (typed) or Handle (raw, e.g. the WebSocket).
package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// DefaultBodyLimit is the request body limit when Config.BodyLimit is unset.
const DefaultBodyLimit int64 = 1 << 20

// Config is the API's static configuration.
type Config struct {
	// APIToken, when set, is required as "Authorization: Bearer <token>" on
	// every /api route except /api/health.
	APIToken string
	// Version is reported in the OpenAPI document.
	Version string
	// BodyLimit caps request bodies in bytes (413 beyond); 0 means 1 MiB.
	BodyLimit int64
	// ListenAddr is the address the server listens on; requests may name
	// its host. Empty is taken as listening on every interface.
	ListenAddr string
	// AllowedHosts are further host names requests may name (see
	// HostGuard); loopback names are always allowed.
	AllowedHosts []string
	// TrustedOrigins ("https://ui.example.org") may send writes from a
	// browser page of another origin; same-origin pages always may.
	TrustedOrigins []string
}

// Deps are the API's collaborators. Every field may be nil, which is how
// OpenAPI builds the document without a database.
type Deps struct {
	Store store.Store
	// Bus receives a resource_changed event for every successful write.
	Bus events.Bus
	Log *slog.Logger
	// Registry receives the HTTP metrics; the caller then serves /metrics
	// itself. When nil the API keeps a private registry and serves it at
	// GET /metrics, so parallel tests never clash on metric names.
	Registry prometheus.Registerer
	// Models returns the payload of GET /api/models, documented as
	// llm.ModelsInfo (llm.Catalog.Models); refresh asks the providers'
	// models endpoints again. Nil means the demo provider only.
	Models func(ctx context.Context, refresh bool) any
	// CheckParams refuses a flow config's generation parameters that its
	// model cannot take (llm.Catalog.CheckParams); nil checks against the
	// demo-only catalog.
	CheckParams func(ctx context.Context, ref string, purpose llm.Purpose, p model.ModelParams) error
	// Cost prices a message's usage by its model (pricing.Table.Cost);
	// nil, or false for a model without a price, leaves cost out.
	Cost func(model string, u model.Usage) (model.Cost, bool)
	// UI serves every path outside /api; nil answers those with 404.
	UI http.Handler
	// Evals stores eval suites, runs and results.
	Evals EvalStore
	// EvalRuns starts and cancels eval runs; nil answers those with 503.
	EvalRuns EvalRunner
	// Attributions plans, starts and stops "Why?" attributions; nil
	// answers those with 503. They are read from Evals.
	Attributions Attributor
	// InstanceCreated is told of every flow instance created (the
	// engine's Remember, so that the new conversation's first message
	// starts its run without reading the instance back); nil is fine.
	InstanceCreated func(model.FlowInstance)
}

// API is the REST API. Build it with New, add operations through Huma or
// Handle, then serve Handler.
type API struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	mux     *http.ServeMux
	huma    huma.API
	metrics *metrics
	docs    *docsPage
	hosts   *HostGuard

	mu     sync.RWMutex
	public map[string]bool // mux patterns that skip the bearer check
}

// New builds the API and registers every operation of this package.
func New(cfg Config, deps Deps) *API {
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &API{cfg: cfg, deps: deps, log: log, mux: http.NewServeMux(), hosts: NewHostGuard(cfg.ListenAddr, cfg.AllowedHosts)}

	reg := deps.Registry
	if reg == nil {
		own := prometheus.NewRegistry()
		reg = own
		a.mux.Handle("GET /metrics", promhttp.HandlerFor(own, promhttp.HandlerOpts{}))
	}
	a.metrics = newMetrics(reg)

	a.huma = humago.New(a.mux, a.humaConfig())
	a.huma.UseMiddleware(a.rejectDuplicateKeys)
	a.docs = &docsPage{api: a.huma}
	a.mux.Handle("GET /api/docs", a.docs)

	// Anything under /api that no operation claims gets a problem+json 404
	// (or 405), never the UI's HTML and never the mux's plain-text answer.
	a.mux.HandleFunc("/api/", a.unmatched)
	a.mux.HandleFunc("/api", a.unmatched)
	if deps.UI != nil {
		a.mux.Handle("/", deps.UI)
	} else {
		a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, r, http.StatusNotFound, "no such page")
		})
	}

	a.registerHealth()
	a.registerModels()
	a.registerConstitutions()
	a.registerSysprompts()
	a.registerFlowConfigs()
	a.registerFlowTemplates()
	a.registerFlowInstances()
	a.registerSearch()
	a.registerImports()
	a.registerEvalSuites()
	a.registerEvalRuns()
	a.registerAttributions()
	return a
}

// humaConfig is huma.DefaultConfig without the $schema link transformer
// (responses stay plain snake_case objects), without Huma's CDN-based docs
// page, and with the spec under /api.
func (a *API) humaConfig() huma.Config {
	c := huma.DefaultConfig("Superego API", a.cfg.Version)
	c.CreateHooks = nil
	c.DocsPath = ""
	c.SchemasPath = ""
	c.OpenAPIPath = "/api/openapi"
	c.Info.Description = "REST API of Superego, a research workbench for superego agents. " +
		"Real-time work (runs, streamed tokens, notifications) uses the WebSocket at /api/ws."
	c.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "Required on every /api route except /api/health when the server has an API token."},
	}
	c.Transformers = []huma.Transformer{a.sanitizeError}
	jsonF := jsonFormat()
	c.Formats = map[string]huma.Format{"application/json": jsonF, "json": jsonF}
	// A mistyped query parameter (?limt=5) is a 422 naming it, not a
	// silently ignored filter.
	c.RejectUnknownQueryParameters = true
	// Operations added later by other packages get the same body limit.
	limit := a.cfg.BodyLimit
	c.OnAddOperation = append(c.OnAddOperation, func(_ *huma.OpenAPI, op *huma.Operation) {
		// Huma answers 413 once it has read MaxBodyBytes, so allow one byte
		// more than the limit: a body of exactly BodyLimit bytes passes.
		op.MaxBodyBytes = limit + 1
	}, a.documentOperation)
	c.Servers = []*huma.Server{{URL: "http://127.0.0.1:8000", Description: "superego serve with its default --addr"}}
	c.Info.Contact = &huma.Contact{Name: "Superego maintainers"}
	return c
}

// Huma returns the Huma API so other packages can register typed operations
// (they appear in the OpenAPI document and get the same error handling).
func (a *API) Huma() huma.API { return a.huma }

// Handle registers a raw handler (SSE, WebSocket, /metrics) on the mux
// behind the same middleware, auth included for /api paths.
func (a *API) Handle(pattern string, h http.Handler) { a.mux.Handle(pattern, h) }

// HandlePublic registers a raw handler that skips the bearer-token check
// because it authenticates by itself: the WebSocket, whose browser clients
// cannot send an Authorization header. Everything else still applies.
func (a *API) HandlePublic(pattern string, h http.Handler) {
	a.mu.Lock()
	if a.public == nil {
		a.public = map[string]bool{}
	}
	a.public[pattern] = true
	a.mu.Unlock()
	a.mux.Handle(pattern, h)
}

// isPublic reports whether r routes to a HandlePublic handler.
func (a *API) isPublic(r *http.Request) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if len(a.public) == 0 {
		return false
	}
	_, p := a.mux.Handler(r)
	return a.public[p]
}

// Handler returns the complete HTTP handler with all middleware.
func (a *API) Handler() http.Handler {
	var h http.Handler = a.mux
	h = conditionalGET(h)
	h = a.limitBody(h)
	h = normalizeContentType(h)
	h = a.authenticate(h)
	h = a.guardPath(h)
	h = a.crossOrigin(h, a.cfg.TrustedOrigins)
	h = a.recoverPanics(h)
	h = a.hosts.Wrap(h)
	h = compress(h)
	h = secureHeaders(h)
	h = a.observe(h)
	return h
}

// OpenAPI returns the OpenAPI 3.1 document as indented JSON, built without a
// database. extra may register further operations (such as the run
// endpoints) so the document is complete. The output is deterministic.
func OpenAPI(cfg Config, extra ...func(*API)) ([]byte, error) {
	a := New(cfg, Deps{})
	for _, f := range extra {
		f(a)
	}
	b, err := json.MarshalIndent(a.huma.OpenAPI(), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("httpapi: marshal OpenAPI: %w", err)
	}
	return append(b, '\n'), nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/httpapi"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/pricing"
	"github.com/superego-lab/superego/internal/llm/providers"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/sqlite"
	"github.com/superego-lab/superego/internal/wsapi"
	"github.com/superego-lab/superego/web"
)

// apiVersion is the version of the HTTP contract in the OpenAPI document. It
// changes with the contract, not with every build, so the committed
// api/openapi.json stays comparable.
const apiVersion = "1.0.0"

// app is a wired server: everything serve needs, built once.
type app struct {
	log     *slog.Logger
	stopBus func()
	ws      *wsapi.Handler
	// stopReplicas writes queued run events and stops following other
	// replicas; after the engine's shutdown, before the store closes.
	stopReplicas func()
	store        store.Store
	catalog      *llm.Catalog
	engine       *engine.Engine
	evals        *evalService
	handler      http.Handler
	// metrics serves /metrics on --metrics-addr; nil when it is served
	// beside the API.
	metrics http.Handler
}

// openStore opens SQLite under the data dir, or PostgreSQL when a database
// URL is given, with migrations applied.
func openStore(ctx context.Context, c config, log *slog.Logger) (store.Store, error) {
	if c.DatabaseURL != "" {
		if strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://") {
			return openPostgres(ctx, c, log)
		}
		return nil, errors.New("--database-url must start with postgres:// (leave it empty for the embedded SQLite)")
	}
	return sqlite.Open(ctx, filepath.Join(c.DataDir, "superego.db"), log)
}

// providerConfig is the model-provider part of the config; onRetry counts
// retries (may be nil).
func providerConfig(c config, onRetry func(provider string)) llm.Config {
	return llm.Config{
		Provider:       c.Provider,
		BaseURL:        c.BaseURL,
		BaseURLs:       c.BaseURLs,
		SuperegoModel:  c.SuperegoModel,
		AssistantModel: c.AssistantModel,
		DemoDelay:      c.DemoDelay,
		OpenAIKey:      c.OpenAIKey,
		OpenRouterKey:  c.OpenRouterKey,
		AnthropicKey:   c.AnthropicKey,
		OnRetry:        onRetry,
		// 0 means no limit on the command line; RetryOptions reads a
		// negative value that way.
		FirstTokenTimeout: noLimit(c.FirstTokenTimeout),
		IdleTimeout:       noLimit(c.IdleTimeout),
		MaxAttempts:       c.MaxAttempts,
		MaxConns:          c.MaxConcurrentUpstream,
	}
}

// noLimit maps the command line's 0 ("no limit") to RetryOptions' -1.
func noLimit(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// newApp wires store, providers, engine and the HTTP surface.
func newApp(ctx context.Context, c config, log *slog.Logger, reg *prometheus.Registry) (*app, error) {
	st, err := openStore(ctx, c, log)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	fail := func(err error) (*app, error) {
		_ = st.Close()
		return nil, err
	}
	if err := seed.Apply(ctx, st, log); err != nil {
		return fail(fmt.Errorf("seed: %w", err))
	}

	// Retries happen inside the provider, which is built before the engine
	// that counts them; eng is set before any run can start.
	var eng *engine.Engine
	cat, err := providers.Setup(providerConfig(c, func(p string) { eng.CountRetry(p) }), log)
	if err != nil {
		return fail(fmt.Errorf("provider: %w", err))
	}
	prices, err := pricing.Load(c.PricesFile, cat.Name)
	if err != nil {
		return fail(err)
	}
	cat.Price = prices.Lookup

	bus, stopBus, err := openBus(ctx, st, log)
	if err != nil {
		return fail(err)
	}
	fail = func(err error) (*app, error) {
		stopBus()
		_ = st.Close()
		return nil, err
	}
	rep, stopReplicas, err := openReplicas(ctx, st, c.RunLease, log)
	if err != nil {
		return fail(fmt.Errorf("replicas: %w", err))
	}
	eng = engine.New(st, cat.Provider, engine.Config{
		SuperegoModel:         cat.SuperegoModel,
		AssistantModel:        cat.AssistantModel,
		MaxConcurrentUpstream: c.MaxConcurrentUpstream,
		RunTimeout:            c.RunTimeout,
		HistoryBudgetChars:    c.HistoryBudget,
		Replicas:              rep,
		Bus:                   bus,
		MetricModels:          catalogModels(cat),
	}, log, reg)
	fail = func(err error) (*app, error) {
		_ = eng.Shutdown(ctx)
		stopReplicas()
		stopBus()
		_ = st.Close()
		return nil, err
	}
	// Runs left running by a crash are ended before this replica starts
	// any; on PostgreSQL only those whose lease ran out, as the others
	// belong to live replicas.
	if n, err := eng.Recover(ctx); err != nil {
		return fail(fmt.Errorf("recover runs: %w", err))
	} else if n > 0 {
		log.Warn("runs left running by an earlier process marked interrupted", "count", n)
	}

	ev, err := openEvals(ctx, c, st, eng, bus, log)
	if err != nil {
		return fail(err)
	}
	api := httpapi.New(httpapi.Config{
		APIToken: c.APIToken, Version: apiVersion, ListenAddr: c.Addr, AllowedHosts: c.AllowedHosts,
		TrustedOrigins: fullOrigins(c.AllowedOrigins),
	}, httpapi.Deps{
		Store:        st,
		Bus:          bus,
		Log:          log,
		Registry:     reg,
		Models:       func(ctx context.Context, refresh bool) any { return cat.Models(ctx, refresh) },
		CheckParams:  cat.CheckParams,
		Cost:         prices.Cost,
		UI:           web.Handler(),
		Evals:        ev.db,
		EvalRuns:     ev.runner,
		Attributions: ev.runner,
		// A new conversation's first run starts from the instance as
		// created, without reading it back.
		InstanceCreated: eng.Remember,
	})
	wsapi.RegisterRuns(api.Huma(), eng)
	// The WebSocket checks the token itself: browsers cannot send an
	// Authorization header, so it also accepts it as a subprotocol.
	ws := wsapi.New(wsapi.Config{
		Evals:            ev.db,
		APIToken:         c.APIToken,
		AllowedOrigins:   c.AllowedOrigins,
		MaxRunsPerSocket: c.MaxRunsPerSocket,
	}, eng, bus, log, reg)
	api.HandlePublic("GET /api/ws", ws)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	if c.MetricsAddr == "" {
		// Beside the API, behind its token when there is one.
		api.Handle("GET /metrics", metrics)
		metrics = nil
	} else {
		// On its own listener for a scraper, still refusing foreign host
		// names (a rebound page could otherwise read it).
		metrics = httpapi.NewHostGuard(c.MetricsAddr, c.AllowedHosts).Wrap(metrics)
	}

	return &app{log: log, stopBus: stopBus, stopReplicas: stopReplicas, ws: ws, store: st, catalog: cat, engine: eng,
		evals: ev, handler: api.Handler(), metrics: metrics}, nil
}

// fullOrigins keeps the --allowed-origins entries that name one origin
// (scheme://host[:port]), which may also write over REST; host patterns
// only widen the WebSocket's origin check.
func fullOrigins(origins []string) []string {
	var out []string
	for _, o := range origins {
		if strings.Contains(o, "://") && !strings.Contains(o, "*") {
			out = append(out, o)
		}
	}
	return out
}

// catalogModels lists the models the provider catalogue offers: the ones
// counted by name in the upstream metrics.
func catalogModels(cat *llm.Catalog) []string {
	var ids []string
	for _, m := range cat.Info().Models {
		ids = append(ids, m.ID)
	}
	return ids
}

func cmdServe(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	c, rest, err := parseConfig("serve", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", rest)
	}
	log, err := newLogger(c, stderr)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	unlock, err := lockDataDir(c)
	if err != nil {
		return err
	}
	defer unlock()
	// SUPEREGO_CPU_PROFILE: where a server under load spends its time
	// (benchwire -cpuprofile). SUPEREGO_TRACE: where a request waits
	// (goroutine handoffs, wakeups, syscalls, GC), which a CPU profile does
	// not show.
	for _, rec := range []struct {
		env   string
		start func(io.Writer) error
		stop  func()
	}{
		{"SUPEREGO_CPU_PROFILE", pprof.StartCPUProfile, pprof.StopCPUProfile},
		{"SUPEREGO_TRACE", trace.Start, trace.Stop},
	} {
		if file := getenv(rec.env); file != "" {
			stop, err := record(rec.env, file, rec.start, rec.stop)
			if err != nil {
				return err
			}
			defer stop()
		}
	}
	a, err := newApp(ctx, c, log, reg)
	if err != nil {
		return err
	}
	defer func() {
		a.stopBus()
		a.stopReplicas()
		_ = a.store.Close()
	}()

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	// Long-lived streams (WebSocket, SSE) hang off baseCtx, so cancelling
	// it on shutdown ends them instead of waiting for clients to leave.
	baseCtx, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if a.metrics != nil {
		mln, err := net.Listen("tcp", c.MetricsAddr)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		msrv := &http.Server{Handler: a.metrics, ReadHeaderTimeout: 10 * time.Second, ErrorLog: srv.ErrorLog}
		defer func() { _ = msrv.Close() }()
		// Logged before the API's line, which tests and scripts wait for.
		log.Info("metrics listening", "metrics_url", "http://"+mln.Addr().String()+"/metrics")
		go func() {
			if err := msrv.Serve(mln); !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server", "err", err)
			}
		}()
	}
	log.Info("superego listening", "url", "http://"+ln.Addr().String(), "provider", a.catalog.Name,
		"demo", a.catalog.Demo, "database", describeDB(c), "version", version)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Answers in flight finish first (new runs are refused meanwhile), so
	// a restart does not cut them off; sockets keep streaming them.
	log.Info("shutting down: letting runs in flight finish", "grace", c.ShutdownGrace)
	drainCtx, cancelDrain := context.WithTimeout(context.Background(), c.ShutdownGrace)
	if err := a.engine.Drain(drainCtx); err != nil {
		log.Warn("runs still going after the grace period are cancelled", "err", err)
	}
	cancelDrain()
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// Sockets get a 1001 "going away" close and can resume elsewhere.
	a.ws.Close()
	cancelBase()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	a.evals.stop()
	if err := a.engine.Shutdown(shutCtx); err != nil {
		log.Warn("engine shutdown", "err", err)
	}
	return nil
}

// record writes what start records of the whole process (a CPU profile,
// a runtime trace) to file until the returned stop is called; env names
// the setting in errors.
func record(env, file string, start func(io.Writer) error, stop func()) (func(), error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", env, err)
	}
	if err := start(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("%s: %w", env, err)
	}
	return func() {
		stop()
		_ = f.Close()
	}, nil
}

// describeDB names the database for the start-up log without credentials.
func describeDB(c config) string {
	if c.DatabaseURL == "" {
		return "sqlite:" + filepath.Join(c.DataDir, "superego.db")
	}
	return "postgres"
}

func cmdOpenAPI(stdout io.Writer) error {
	b, err := openAPIDocument()
	if err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
}

// openAPIDocument builds the full spec, including the run operations the
// WebSocket package registers.
func openAPIDocument() ([]byte, error) {
	return httpapi.OpenAPI(httpapi.Config{Version: apiVersion}, registerDocumentOnly)
}

// registerDocumentOnly adds the operations of package wsapi, without an
// engine, to an API that only describes itself.
func registerDocumentOnly(api *httpapi.API) {
	wsapi.RegisterRuns(api.Huma(), nil)
}

// Package engine runs flows: it stores the user's message, lets the
// superego screen it against a constitution, has the assistant answer, and
// records everything as it happens. Runs belong to the engine, not to the
// caller that started them: each has an in-memory, append-only event log
// that any number of subscribers can read from any sequence number, while
// the run goes on whether anyone listens or not.
//
// On a database shared by several replicas (Config.Replicas), each run's
// events are also stored in batches and the run is leased to this
// replica: any replica can then subscribe to it, cancel it, or — once the
// lease of a replica that died runs out — mark it interrupted.
//
// Timings: a run's superego_ms is the superego step (including any wait
// for an upstream slot), first_token_ms runs from the moment the run was
// taken (before it is stored) to the first assistant token — what the
// user waits — and
// total_ms to its end. A message's timings cover its own upstream call.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// Errors returned by the engine; test them with errors.Is. Missing flow
// instances, configs and messages wrap store.ErrNotFound instead.
var (
	// ErrRunNotFound: no such run, neither live nor stored.
	ErrRunNotFound = errors.New("run not found")
	// ErrLogUnavailable: the run exists but its event log is no longer in
	// memory (evicted, or written by an earlier process).
	ErrLogUnavailable = errors.New("run log unavailable")
	// ErrInvalid: bad arguments; the wrapping error says which.
	ErrInvalid = errors.New("invalid request")
	// ErrClosed: the engine is shutting down and starts no new runs.
	ErrClosed = errors.New("engine is shutting down")
)

// Reasons a run's context ends; they are recorded on the run and message.
var (
	errCancelledByUser = errors.New("cancelled by user")
	errShuttingDown    = errors.New("server shutting down")
	errLeaseLost       = errors.New("another replica took this run for one whose server had stopped")
)

// Config tunes the engine. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// SuperegoModel and AssistantModel are used when a flow config names no
	// model of its own.
	SuperegoModel, AssistantModel string
	// MaxConcurrentUpstream limits concurrent upstream model calls across
	// all runs; excess calls queue.
	MaxConcurrentUpstream int
	// HistoryBudgetChars bounds the earlier conversation sent to the models;
	// whole turns are dropped from the oldest end.
	HistoryBudgetChars int
	// RunTimeout bounds a whole run.
	RunTimeout time.Duration
	// LogRetention is how long finished runs' event logs are kept at least,
	// unless MaxLogs or MaxLogBytes force the oldest out earlier.
	LogRetention time.Duration
	// MaxLogs and MaxLogBytes bound the retained finished logs.
	MaxLogs     int
	MaxLogBytes int64
	// Replicas, when set, makes run events durable and runs leased in the
	// database shared with other replicas (PostgreSQL); nil on SQLite.
	Replicas *Replicas
	// MetricModels are further model names (besides the two defaults)
	// counted under their own name in the upstream metrics; calls to any
	// other model a flow config names count as "other", so user-edited
	// names cannot grow the metrics without bound.
	MetricModels []string
	// HistoryCache is how many conversations' newest messages are kept in
	// memory for the next run's history (see historyCache); 0 means the
	// default, negative none. It is off with Replicas: other processes
	// write the same conversations.
	HistoryCache int
	// Bus, when set, hears a resource_changed for every flow instance the
	// engine creates (comparison columns, forks) or adds messages to (run
	// started, run finished), as REST writes announce theirs, so every open
	// client shows them at once.
	Bus events.Bus
}

// announce publishes a change to a flow instance the engine made: one it
// created (a comparison column, a fork), or one whose conversation grew
// (a run started or finished), so that other tabs refresh it.
func (e *Engine) announce(ctx context.Context, action string, inst model.FlowInstance) {
	e.announceRun(ctx, action, inst, "")
}

// announceRun is announce for a run's start or end on inst: the notice names
// the run, so that it goes only to the clients that show inst.
func (e *Engine) announceRun(ctx context.Context, action string, inst model.FlowInstance, runID string) {
	if e.cfg.Bus != nil {
		ev := events.ResourceChanged("flow_instance", action, inst.ID, inst.Version)
		ev.RunID = runID
		e.cfg.Bus.Publish(ctx, ev)
	}
}

// DefaultConfig returns the defaults used for zero Config fields.
func DefaultConfig() Config {
	return Config{
		MaxConcurrentUpstream: 16,
		HistoryBudgetChars:    24000,
		RunTimeout:            DefaultRunTimeout,
		LogRetention:          10 * time.Minute,
		MaxLogs:               1000,
		MaxLogBytes:           64 << 20,
		HistoryCache:          256,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxConcurrentUpstream <= 0 {
		c.MaxConcurrentUpstream = d.MaxConcurrentUpstream
	}
	if c.HistoryBudgetChars <= 0 {
		c.HistoryBudgetChars = d.HistoryBudgetChars
	}
	if c.RunTimeout <= 0 {
		c.RunTimeout = d.RunTimeout
	}
	if c.LogRetention <= 0 {
		c.LogRetention = d.LogRetention
	}
	if c.MaxLogs <= 0 {
		c.MaxLogs = d.MaxLogs
	}
	if c.MaxLogBytes <= 0 {
		c.MaxLogBytes = d.MaxLogBytes
	}
	if c.HistoryCache == 0 {
		c.HistoryCache = d.HistoryCache
	}
	c.Replicas = c.Replicas.withDefaults()
	return c
}

// Engine runs flows. It is safe for concurrent use.
type Engine struct {
	st   store.Runner
	prov llm.Provider
	cfg  Config
	log  *slog.Logger
	m    *metrics
	sem  *slots // upstream call slots, chat first
	logs *logStore
	now  func() time.Time

	base     context.Context // parent of every run's context
	stopBase context.CancelFunc

	mu      sync.Mutex
	closing bool
	active  map[string]context.CancelCauseFunc // live runs by id
	insts   map[string]*instanceLock
	wg      sync.WaitGroup

	hist *historyCache  // nil when off
	seen *instanceCache // the instances runs were last started on
	// localReads: the store reads a local file (see startEarly).
	localReads bool

	own ownership // what running beside other replicas adds (localRuns when alone)
	// gateLogs: run logs send only stored events (Replicas.OnStored).
	gateLogs bool
}

// New returns an engine storing into st and calling provider. reg may be
// nil, in which case no metrics are registered. With cfg.Replicas set it
// starts the lease loop, which Shutdown stops; an incomplete Replicas is a
// programming error and panics.
func New(st store.Runner, provider llm.Provider, cfg Config, log *slog.Logger, reg prometheus.Registerer) *Engine {
	cfg = cfg.withDefaults()
	if err := cfg.Replicas.validate(); err != nil {
		panic(err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base, stop := context.WithCancel(context.Background())
	e := &Engine{
		st:       st,
		prov:     provider,
		cfg:      cfg,
		log:      log,
		m:        newMetrics(reg, append([]string{cfg.SuperegoModel, cfg.AssistantModel}, cfg.MetricModels...)...),
		sem:      newSlots(cfg.MaxConcurrentUpstream),
		now:      time.Now,
		base:     base,
		stopBase: stop,
		active:   make(map[string]context.CancelCauseFunc),
		insts:    make(map[string]*instanceLock),
		own:      localRuns{st: st},
		seen:     newInstanceCache(),
	}
	if l, ok := st.(interface{ LocalReads() bool }); ok {
		e.localReads = l.LocalReads()
	}
	e.logs = newLogStore(cfg.LogRetention, cfg.MaxLogs, cfg.MaxLogBytes, func() time.Time { return e.now() })
	if cfg.Replicas != nil {
		e.own = newReplicated(e, cfg.Replicas)
	} else if cfg.HistoryCache > 0 {
		e.hist = newHistoryCache(cfg.HistoryCache)
	}
	return e
}

// Recover marks runs left "running" by a crashed process as "interrupted"
// (with their streaming messages), keeping partial text. Call it once at
// start-up, before starting runs.
func (e *Engine) Recover(ctx context.Context) (int, error) {
	n, err := e.own.interruptOrphans(ctx)
	if err != nil {
		return 0, err
	}
	e.m.runs.WithLabelValues(model.RunInterrupted).Add(float64(n))
	return n, nil
}

// Send stores content as a new user message of the instance and starts a
// run on it. ctx bounds only the synchronous part; the run itself belongs
// to the engine.
func (e *Engine) Send(ctx context.Context, instanceID, content string) (model.Run, error) {
	if err := e.checkOpen(); err != nil {
		return model.Run{}, err
	}
	if err := validateContent(content); err != nil {
		return model.Run{}, err
	}
	r, err := e.send(ctx, instanceID, content)
	if err != nil {
		return model.Run{}, err
	}
	return r.startRun(), nil
}

// Cancel stops a live run and its upstream request. A run that already
// finished is left as it is (nil); an unknown one is ErrRunNotFound. With
// Config.Replicas, a run executed by another replica is cancelled there;
// the run's log shows when that happened.
func (e *Engine) Cancel(ctx context.Context, runID string) error {
	if e.cancelLive(runID, errCancelledByUser) {
		return nil
	}
	run, err := e.Run(ctx, runID)
	if err != nil {
		return err
	}
	return e.own.cancelElsewhere(ctx, run)
}

// cancelLive cancels a run this process executes, reporting whether it
// had one by that id.
func (e *Engine) cancelLive(runID string, cause error) bool {
	e.mu.Lock()
	cancel, ok := e.active[runID]
	e.mu.Unlock()
	if ok {
		cancel(cause)
	}
	return ok
}

func (e *Engine) activeCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.active)
}

// Run returns the stored state of a run.
func (e *Engine) Run(ctx context.Context, runID string) (model.Run, error) {
	r, err := e.st.GetRun(ctx, runID)
	if errors.Is(err, store.ErrNotFound) {
		return model.Run{}, fmt.Errorf("run %q: %w (%w)", runID, ErrRunNotFound, err)
	}
	return r, err
}

// Subscribe returns the run's events with Seq > afterSeq, then live ones.
// A run not in this process's memory is read from the shared database when
// there is one (Config.Replicas), whichever replica runs it; otherwise a
// stored run whose log is gone is ErrLogUnavailable.
func (e *Engine) Subscribe(ctx context.Context, runID string, afterSeq int64) (*Subscription, error) {
	if afterSeq < 0 {
		afterSeq = 0
	}
	l, ok := e.logs.get(runID)
	if !ok {
		run, err := e.Run(ctx, runID)
		if err != nil {
			return nil, err
		}
		sub, err := e.own.follow(ctx, run, afterSeq)
		if err != nil || sub != nil {
			return sub, err
		}
		return nil, fmt.Errorf("run %q: %w", runID, ErrLogUnavailable)
	}
	// No client can have seen an event the log does not hold yet: such an
	// after_seq would wait for events that never come.
	if last := l.lastSeq(); afterSeq > last {
		return nil, fmt.Errorf("%w: after_seq %d is past the last event of run %q (%d)", ErrInvalid, afterSeq, runID, last)
	}
	return &Subscription{log: l, pos: l.startAfter(afterSeq), closed: make(chan struct{})}, nil
}

// Drain refuses new runs (ErrClosed) and waits, bounded by ctx, for the
// running ones to finish on their own, so that a restart completes the
// answers in flight instead of cutting them off. Shutdown then cancels
// whatever is still running.
func (e *Engine) Drain(ctx context.Context) error {
	e.mu.Lock()
	e.closing = true
	e.mu.Unlock()
	done := make(chan struct{})
	go func() {
		e.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("engine drain: %w", ctx.Err())
	}
}

// Shutdown cancels every live run with the reason "server shutting down",
// refuses new ones, and waits — bounded by ctx — until they are stored.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	e.closing = true
	for _, cancel := range e.active {
		cancel(errShuttingDown)
	}
	e.mu.Unlock()
	done := make(chan struct{})
	go func() {
		e.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("engine shutdown: %w", ctx.Err())
	}
	e.stopBase()
	e.own.stop()
	return err
}

func (e *Engine) checkOpen() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closing {
		return ErrClosed
	}
	return nil
}

func validateContent(content string) error {
	switch {
	case strings.TrimSpace(content) == "":
		return fmt.Errorf("%w: content is empty", ErrInvalid)
	case len(content) > MaxContentBytes:
		return fmt.Errorf("%w: content is %d bytes; the limit is %d", ErrInvalid, len(content), MaxContentBytes)
	case !utf8.ValidString(content):
		return fmt.Errorf("%w: content is not valid UTF-8", ErrInvalid)
	case strings.IndexByte(content, 0) >= 0:
		return fmt.Errorf("%w: content must not contain NUL characters", ErrInvalid)
	}
	return nil
}

// instanceLock serialises the runs of one instance so a second message's
// history includes the answer to the first.
type instanceLock struct {
	ch   chan struct{}
	refs int
}

// lockInstance waits for the instance's previous run, or for ctx.
func (e *Engine) lockInstance(ctx context.Context, id string) (func(), error) {
	e.mu.Lock()
	l := e.insts[id]
	if l == nil {
		l = &instanceLock{ch: make(chan struct{}, 1)}
		e.insts[id] = l
	}
	l.refs++
	e.mu.Unlock()
	release := func() {
		e.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(e.insts, id)
		}
		e.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, context.Cause(ctx)
	}
}

// tryLockInstance takes the instance's lock if no run holds it or waits
// for it.
func (e *Engine) tryLockInstance(id string) (func(), bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	l := e.insts[id]
	if l == nil {
		l = &instanceLock{ch: make(chan struct{}, 1)}
		e.insts[id] = l
	}
	select {
	case l.ch <- struct{}{}:
	default:
		return nil, false // held, so refs > 0 keeps l in insts
	}
	l.refs++
	return func() {
		<-l.ch
		e.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(e.insts, id)
		}
		e.mu.Unlock()
	}, true
}

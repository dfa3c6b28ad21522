package engine

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/superego-lab/superego/internal/model"
)

// metrics are the engine's Prometheus collectors. They always exist so the
// code paths never branch on them; they are registered only when a
// Registerer is given.
type metrics struct {
	runs       *prometheus.CounterVec   // status
	decisions  *prometheus.CounterVec   // decision, constitution
	firstToken *prometheus.HistogramVec // provider, model
	duration   *prometheus.HistogramVec // provider, model
	tokens     *prometheus.CounterVec   // provider, model, direction
	retries    *prometheus.CounterVec   // provider
	queued     prometheus.Gauge         // upstream calls waiting for a slot
	inFlight   prometheus.Gauge         // upstream calls holding a slot
	wasted     prometheus.Counter       // output tokens of discarded speculative calls

	// Model and constitution names are user-editable (a flow config may
	// name any model), and every distinct label value is a series kept
	// for the life of the process: both label sets are bounded.
	models        map[string]bool // model names counted under their own name
	constitutions *labelSet
}

// otherLabel stands for every label value beyond the bounded set.
const otherLabel = "other"

// maxConstitutionLabels bounds the constitutions counted by name; a lab
// compares a handful, and later ones count as "other".
const maxConstitutionLabels = 50

// labelSet hands out up to max distinct label values, then otherLabel.
type labelSet struct {
	mu   sync.Mutex
	max  int
	seen map[string]bool
}

func (l *labelSet) label(v string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[v] {
		return v
	}
	if len(l.seen) >= l.max {
		return otherLabel
	}
	l.seen[v] = true
	return v
}

// boundModel is the model label of an upstream call: the model's name
// when the server was configured with it or it is the provider's default
// ("<provider>-default"), otherwise "other".
func (m *metrics) boundModel(name, provider string) string {
	if m.models[name] || name == provider+"-default" {
		return name
	}
	return otherLabel
}

// decision counts one superego decision under a bounded constitution label.
func (m *metrics) decision(d model.Decision, constitution string) {
	m.decisions.WithLabelValues(string(d), m.constitutions.label(constitution)).Inc()
}

// upstreamBuckets span a fast local model (tens of ms) to a slow reasoning
// model (minutes).
var upstreamBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300}

// newMetrics builds the collectors; models are the names counted under
// their own label (the configured defaults and catalogue).
func newMetrics(reg prometheus.Registerer, models ...string) *metrics {
	m := &metrics{
		models:        map[string]bool{},
		constitutions: &labelSet{max: maxConstitutionLabels, seen: map[string]bool{}},
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "superego_runs_total",
			Help: "Finished runs by final status.",
		}, []string{"status"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "superego_decisions_total",
			Help: "Superego decisions by value and constitution.",
		}, []string{"decision", "constitution"}),
		firstToken: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "superego_upstream_first_token_seconds",
			Help:    "Time from an upstream model request to its first streamed token.",
			Buckets: upstreamBuckets,
		}, []string{"provider", "model"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "superego_upstream_duration_seconds",
			Help:    "Duration of upstream model requests, start to end of stream.",
			Buckets: upstreamBuckets,
		}, []string{"provider", "model"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "superego_tokens_total",
			Help: "Tokens reported by upstream models, by direction (in or out).",
		}, []string{"provider", "model", "direction"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "superego_upstream_retries_total",
			Help: "Upstream requests retried before their first token.",
		}, []string{"provider"}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "superego_upstream_queued",
			Help: "Upstream calls waiting for a slot under the concurrency limit.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "superego_upstream_in_flight",
			Help: "Upstream calls in progress.",
		}),
		wasted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "superego_wasted_tokens_total",
			Help: "Output tokens of speculative assistant calls thrown away because the verdict was not ALLOW.",
		}),
	}
	for _, name := range models {
		if name != "" {
			m.models[name] = true
		}
	}
	if reg != nil {
		reg.MustRegister(m.runs, m.decisions, m.firstToken, m.duration, m.tokens, m.retries, m.queued, m.inFlight, m.wasted)
	}
	return m
}

// upstream records one finished upstream call.
func (m *metrics) upstream(provider, mdl string, firstToken time.Duration, gotToken bool, total time.Duration, u model.Usage) {
	mdl = m.boundModel(mdl, provider)
	if gotToken {
		m.firstToken.WithLabelValues(provider, mdl).Observe(firstToken.Seconds())
	}
	m.duration.WithLabelValues(provider, mdl).Observe(total.Seconds())
	if u.InputTokens > 0 {
		m.tokens.WithLabelValues(provider, mdl, "in").Add(float64(u.InputTokens))
	}
	if u.OutputTokens > 0 {
		m.tokens.WithLabelValues(provider, mdl, "out").Add(float64(u.OutputTokens))
	}
}

// CountRetry counts one upstream retry by the named provider. The llm
// package's retry hook is wired to it at start-up, since retries happen
// inside the provider where the engine cannot see them.
func (e *Engine) CountRetry(provider string) {
	e.m.retries.WithLabelValues(provider).Inc()
}

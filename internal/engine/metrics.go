package engine

import (
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
}

// upstreamBuckets span a fast local model (tens of ms) to a slow reasoning
// model (minutes).
var upstreamBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
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
	if reg != nil {
		reg.MustRegister(m.runs, m.decisions, m.firstToken, m.duration, m.tokens, m.retries, m.queued, m.inFlight, m.wasted)
	}
	return m
}

// upstream records one finished upstream call.
func (m *metrics) upstream(provider, mdl string, firstToken time.Duration, gotToken bool, total time.Duration, u model.Usage) {
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

package httpapi

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the API's Prometheus collectors. Routes are labelled by mux
// pattern ("GET /api/constitutions/{id}"), never by raw path.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	dbErrors *prometheus.CounterVec
	children sync.Map // routeStatus → *routeMetrics
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "superego_http_requests_total",
			Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "superego_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		dbErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "superego_db_errors_total",
			Help: "Unexpected database errors (not not-found or conflicts) by operation.",
		}, []string{"operation"}),
	}
	m.requests = register(reg, m.requests)
	m.latency = register(reg, m.latency)
	m.dbErrors = register(reg, m.dbErrors)
	// A counter that has never been incremented is absent from /metrics,
	// and an alert on its rate cannot tell "no errors" from "no data".
	// Start the common operations at zero; rarer ones appear on first use.
	for _, kind := range []string{"constitution", "sysprompt", "flow config", "flow template", "flow instance"} {
		for _, op := range []string{"list", "get", "create", "update", "delete"} {
			m.dbErrors.WithLabelValues(dbOperation(kind, op))
		}
	}
	m.dbErrors.WithLabelValues(dbOperation("database", "ping"))
	return m
}

// dbOperation is the operation label of superego_db_errors_total, such as
// "flow_config.list_messages": kind and operation, no spaces.
func dbOperation(kind, op string) string {
	return strings.ReplaceAll(kind, " ", "_") + "." + strings.ReplaceAll(op, " ", "_")
}

// register adds c to reg, or reuses the collector already registered under
// the same name, so two APIs sharing one registry count together instead of
// panicking.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic("httpapi: register metric: " + err.Error())
	}
	return c
}

// routeStatus names one child of the request metrics.
type routeStatus struct {
	route  string
	status int
}

// routeMetrics are the children of one route and status, looked up once:
// finding them by label values hashes the labels on every request.
type routeMetrics struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	key := routeStatus{route, status}
	rm, ok := m.children.Load(key)
	if !ok {
		// Routes are mux patterns and statuses few, so this map stays small.
		rm, _ = m.children.LoadOrStore(key, &routeMetrics{
			requests: m.requests.WithLabelValues(route, strconv.Itoa(status)),
			latency:  m.latency.WithLabelValues(route),
		})
	}
	c := rm.(*routeMetrics)
	c.requests.Inc()
	c.latency.Observe(d.Seconds())
}

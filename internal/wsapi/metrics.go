package wsapi

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/superego-lab/superego/internal/events"
)

// metrics are the WebSocket endpoint's Prometheus series. They are
// registered on the Registerer given to New (none when it is nil), so tests
// can read them from a private registry.
type metrics struct {
	connections prometheus.Gauge
	framesIn    *prometheus.CounterVec
	framesOut   *prometheus.CounterVec
	errors      *prometheus.CounterVec
	merged      prometheus.Counter
	coalesced   prometheus.Counter
	dropped     *prometheus.CounterVec
	slowCloses  prometheus.Counter
	queued      prometheus.Gauge
	queuePeak   prometheus.Gauge

	peakMu sync.Mutex
	peak   atomic.Int64

	// Counters of the known frame types, resolved once: a label lookup per
	// frame would cost a hash and a lock on the hot path.
	outByType map[string]prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "superego_ws_connections", Help: "Open WebSocket connections.",
		}),
		framesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "superego_ws_frames_in_total", Help: "Client frames received, by type (invalid for undecodable ones).",
		}, []string{"type"}),
		framesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "superego_ws_frames_out_total", Help: "Server frames written, by type.",
		}, []string{"type"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "superego_ws_errors_total", Help: "Error frames sent, by code.",
		}, []string{"code"}),
		merged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "superego_ws_deltas_merged_total", Help: "Token deltas merged into a pending delta because the client was behind.",
		}),
		coalesced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "superego_ws_notices_coalesced_total", Help: "Resource notices folded into a pending notice of the same resource.",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "superego_ws_frames_dropped_total", Help: "Frames never written: pending when a socket closed (resumable) or notices refused by a full queue.",
		}, []string{"reason"}),
		slowCloses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "superego_ws_slow_client_closes_total", Help: "Sockets closed with 1008 because they did not drain their send queue in time.",
		}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "superego_ws_send_queue_frames", Help: "Frames waiting in all sockets' send queues.",
		}),
		queuePeak: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "superego_ws_send_queue_peak_frames", Help: "Largest number of frames ever pending in one socket's send queue.",
		}),
	}
	m.outByType = make(map[string]prometheus.Counter)
	for _, typ := range []string{
		events.TypeAccepted, events.TypeRunStarted, events.TypeSuperegoStarted, events.TypeSuperegoThinking,
		events.TypeSuperegoToken, events.TypeSuperegoDecision, events.TypeAssistantToken, events.TypeAssistantMessage,
		events.TypeRunFinished, events.TypeResourceChanged, TypeError, TypePong,
	} {
		m.outByType[typ] = m.framesOut.WithLabelValues(typ)
	}
	if reg != nil {
		reg.MustRegister(m.connections, m.framesIn, m.framesOut, m.errors, m.merged, m.coalesced, m.dropped, m.slowCloses, m.queued, m.queuePeak)
	}
	return m
}

// frameOut counts one written frame.
func (m *metrics) frameOut(typ string) {
	if c, ok := m.outByType[typ]; ok {
		c.Inc()
		return
	}
	m.framesOut.WithLabelValues(typ).Inc()
}

// observeQueueLen records a socket's queue length for the peak gauge.
func (m *metrics) observeQueueLen(n int) {
	if int64(n) <= m.peak.Load() { // fast path: no lock unless a new peak
		return
	}
	m.peakMu.Lock()
	defer m.peakMu.Unlock()
	if int64(n) > m.peak.Load() {
		m.peak.Store(int64(n))
		m.queuePeak.Set(float64(n))
	}
}

// Package wsapi serves Superego's WebSocket, GET /api/ws: the one socket for
// real-time work (starting runs, streaming their events, cancelling and
// resuming them, and resource notifications), plus the socket-free views of
// a run (GET /api/runs/{id} and its Server-Sent Events stream).
//
// The protocol is docs/design.md, "The WebSocket"; docs/websocket.md is the guide for
// client authors. Runs belong to the engine, not to a socket: a socket only
// follows runs through engine subscriptions, so closing it never cancels
// anything and any socket can resume any run.
package wsapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
)

// Subprotocols. A browser cannot set an Authorization header on a WebSocket,
// so it offers the token as a second subprotocol next to Subprotocol; the
// server always answers with Subprotocol alone, so the token is never echoed
// and never appears in a URL or an access log.
const (
	Subprotocol          = "superego.v1"
	BearerProtocolPrefix = "superego.bearer."
)

// Config tunes the WebSocket endpoint. Zero values take the defaults noted.
type Config struct {
	// APIToken, when set, is required: "Authorization: Bearer <token>" or
	// the subprotocol "superego.bearer.<token>" (browsers).
	APIToken string
	// AllowedOrigins are extra Origin host patterns (path.Match syntax,
	// e.g. "localhost:5173" or "https://*.example.org") allowed besides the
	// server's own host. "*" allows any origin.
	AllowedOrigins []string
	// MaxRunsPerSocket bounds the runs one socket follows at once (16).
	MaxRunsPerSocket int
	// ReadLimit is the largest client frame in bytes (64 KiB); a larger
	// frame closes the socket with 1009.
	ReadLimit int64
	// SendQueue is the number of frames one socket may have pending (256).
	SendQueue int
	// MergeLimit caps the text of one merged delta frame in bytes (32 KiB).
	MergeLimit int
	// WriteTimeout bounds each server ping until its pong (10s); a peer
	// that misses it is dropped. It also bounds how long Close waits for
	// sockets to write the frames already due. (Close handshakes are
	// bounded by coder/websocket itself, 5 s per step.)
	WriteTimeout time.Duration
	// PingInterval is how often the server pings an idle socket to detect
	// dead peers (30s).
	PingInterval time.Duration
	// DrainTimeout (30s) bounds how long a client may read nothing: a
	// send queue that is full and gives the writer no frame within it
	// closes the socket with 1008, and a single frame write that has not
	// completed within it drops the connection.
	DrainTimeout time.Duration
	// RateLimit is the sustained number of client frames per second one
	// socket may send (20); RateBurst the bucket size (40). A negative
	// RateLimit disables the limit.
	RateLimit float64
	RateBurst int
	// Evals, when set, lets sockets follow eval runs (follow_eval).
	Evals EvalSource
}

func (c Config) withDefaults() Config {
	if c.MaxRunsPerSocket <= 0 {
		c.MaxRunsPerSocket = 16
	}
	if c.ReadLimit <= 0 {
		c.ReadLimit = 64 << 10
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 256
	}
	if c.MergeLimit <= 0 {
		c.MergeLimit = 32 << 10
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 30 * time.Second
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 30 * time.Second
	}
	if c.RateLimit == 0 {
		c.RateLimit = 20
	}
	if c.RateBurst <= 0 {
		c.RateBurst = 40
	}
	return c
}

// Handler serves GET /api/ws. Create it with New; Close it on shutdown.
type Handler struct {
	cfg Config
	eng *engine.Engine
	log *slog.Logger
	m   *metrics

	mu       sync.Mutex
	sessions map[*session]struct{}
	watchers map[string]map[*session]struct{} // by flow instance id: the sockets subscribed to it
	closed   bool
	active   sync.WaitGroup // sessions still being served

	unsubscribe func()
	fanoutDone  chan struct{}

	bus   events.Bus // eval follows wait on its notices; may be nil
	evals evalFollows
}

// New returns the WebSocket handler. Resource notifications published on bus
// (may be nil) go to the sockets subscribed to them (see subscribe).
// Metrics are registered on reg (may be nil).
func New(cfg Config, eng *engine.Engine, bus events.Bus, log *slog.Logger, reg prometheus.Registerer) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{
		cfg:        cfg.withDefaults(),
		eng:        eng,
		log:        log,
		m:          newMetrics(reg),
		sessions:   make(map[*session]struct{}),
		watchers:   make(map[string]map[*session]struct{}),
		fanoutDone: make(chan struct{}),
		bus:        bus,
	}
	if bus == nil {
		close(h.fanoutDone)
		return h
	}
	// One bus subscription for all sockets rather than one each: an idle
	// socket then costs no channel buffer of its own.
	ch, unsub := bus.Subscribe(1024)
	h.unsubscribe = unsub
	go h.fanout(ch)
	return h
}

func (h *Handler) fanout(ch <-chan events.Event) {
	defer close(h.fanoutDone)
	for ev := range ch {
		if ev.Type != events.TypeResourceChanged && ev.Type != events.TypeAttributionProgress && ev.Type != events.TypeAttributionFinished {
			continue
		}
		h.mu.Lock()
		if ev.RunID != "" {
			// A run's start or end: only for the sockets that show its
			// instance. This is the frequent notice, so it is looked up
			// rather than checked against every socket.
			for s := range h.watchers[ev.ID] {
				s.q.offerNotice(ev)
			}
		} else {
			for s := range h.sessions {
				if s.wantsLocked(ev) {
					s.q.offerNotice(ev)
				}
			}
		}
		h.mu.Unlock()
	}
}

// subscribe sets which notices s receives: every notice of the given kinds
// (nil leaves them as they were), and every notice of the given flow
// instances, including their runs' starts and ends (nil leaves them too).
func (h *Handler) subscribe(s *session, kinds, instances []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if kinds != nil {
		s.kinds = make(map[string]bool, len(kinds))
		for _, k := range kinds {
			s.kinds[k] = true
		}
	}
	if instances != nil {
		h.unwatchLocked(s)
		s.instances = instances
		for _, id := range instances {
			set := h.watchers[id]
			if set == nil {
				set = make(map[*session]struct{})
				h.watchers[id] = set
			}
			set[s] = struct{}{}
		}
	}
}

func (h *Handler) unwatchLocked(s *session) {
	for _, id := range s.instances {
		if set := h.watchers[id]; set != nil {
			delete(set, s)
			if len(set) == 0 {
				delete(h.watchers, id)
			}
		}
	}
	s.instances = nil
}

// Close stops the bus fan-out, lets each socket write what is due (bounded
// by WriteTimeout), closes every socket with 1001 (going away) and returns
// once every socket is done. Runs keep going; clients resume
// them after reconnecting.
func (h *Handler) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	sessions := make([]*session, 0, len(h.sessions))
	for s := range h.sessions {
		sessions = append(sessions, s)
	}
	h.mu.Unlock()
	if h.unsubscribe != nil {
		h.unsubscribe()
	}
	<-h.fanoutDone
	// Frames already due (the ends of runs that finished while the server
	// drained) go out first, within one write timeout.
	flushCtx, cancel := context.WithTimeout(context.Background(), h.cfg.WriteTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.flush(flushCtx)
			s.closeWith(websocket.StatusGoingAway, "server shutting down")
		}()
	}
	wg.Wait()
	h.active.Wait()
}

// ServeHTTP authenticates and upgrades; the socket is then served in the
// background until it closes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	offered := offeredProtocols(r)
	if !h.authorized(r, offered) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="superego"`)
		writeProblem(w, http.StatusUnauthorized, "missing or invalid API token: send Authorization: Bearer <token> or offer the subprotocol "+BearerProtocolPrefix+"<token>")
		return
	}
	if hasBearerProtocol(offered) && !containsFold(offered, Subprotocol) {
		// The server must pick one of the offered subprotocols, and it
		// never picks the token: without superego.v1 a browser would fail
		// the handshake with an unhelpful message.
		writeProblem(w, http.StatusBadRequest, "the "+BearerProtocolPrefix+"<token> subprotocol must be offered together with "+Subprotocol)
		return
	}
	opts := &websocket.AcceptOptions{Subprotocols: []string{Subprotocol}, OriginPatterns: h.cfg.AllowedOrigins}
	if containsFold(h.cfg.AllowedOrigins, "*") {
		opts.InsecureSkipVerify = true
	}
	pw := &problemWriter{ResponseWriter: w}
	conn, err := websocket.Accept(pw, r, opts)
	pw.finish()
	if err != nil {
		// Accept has answered (403 for a foreign origin, 4xx for a bad
		// handshake); that is the client's problem, not ours.
		h.log.Debug("websocket handshake refused", "err", err, "origin", r.Header.Get("Origin"))
		return
	}
	conn.SetReadLimit(h.cfg.ReadLimit)

	// The socket outlives this request: it is served on a goroutine of its
	// own and this one returns. The HTTP server's goroutine has been
	// through the middleware and the handshake, whose stack an idle socket
	// would otherwise keep for its whole life (16 KiB against the reader's
	// few). Nor does the session keep the request's context: nothing in it
	// reads the request's values, and they hold the request and its
	// response (the middleware's writer wraps it), with their header maps,
	// some 3 KiB an idle socket would keep for its whole life.
	s := newSession(context.Background(), h, conn)
	if !h.register(s) {
		_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	go func() {
		defer h.unregister(s)
		defer func() {
			// The HTTP server no longer recovers for this goroutine; one
			// socket's fault must not end the process.
			if v := recover(); v != nil {
				h.log.Error("websocket session panicked", "panic", v, "stack", string(debug.Stack()))
				s.drop()
			}
		}()
		s.serve()
	}()
}

func (h *Handler) register(s *session) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.sessions[s] = struct{}{}
	h.active.Add(1)
	h.m.connections.Inc()
	return true
}

func (h *Handler) unregister(s *session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.sessions, s)
	h.unwatchLocked(s)
	h.m.connections.Dec()
	h.active.Done()
}

// authorized checks the API token from the Authorization header or the
// bearer subprotocol. Tokens are compared as SHA-256 digests in constant
// time so neither their content nor their length leaks through timing.
func (h *Handler) authorized(r *http.Request, offered []string) bool {
	if h.cfg.APIToken == "" {
		return true
	}
	want := sha256.Sum256([]byte(h.cfg.APIToken))
	match := func(got string) bool {
		sum := sha256.Sum256([]byte(got))
		return subtle.ConstantTimeCompare(sum[:], want[:]) == 1
	}
	if auth := r.Header.Get("Authorization"); len(auth) > 7 && strings.EqualFold(auth[:7], "Bearer ") {
		if match(strings.TrimSpace(auth[7:])) {
			return true
		}
	}
	for _, p := range offered {
		if len(p) > len(BearerProtocolPrefix) && strings.EqualFold(p[:len(BearerProtocolPrefix)], BearerProtocolPrefix) {
			if match(p[len(BearerProtocolPrefix):]) {
				return true
			}
		}
	}
	return false
}

// offeredProtocols lists the subprotocols of Sec-WebSocket-Protocol.
func offeredProtocols(r *http.Request) []string {
	var out []string
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func hasBearerProtocol(offered []string) bool {
	for _, p := range offered {
		if len(p) >= len(BearerProtocolPrefix) && strings.EqualFold(p[:len(BearerProtocolPrefix)], BearerProtocolPrefix) {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

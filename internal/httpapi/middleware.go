package httpapi

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path"
	"runtime/debug"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// reqInfo travels in the request context so that whoever learns something
// about a failure (handler, error transformer, panic recovery) can hand it
// to observe, which writes the one log line per failed request.
type reqInfo struct {
	id     string
	err    error  // the internal cause of a 5xx; never sent to the client
	detail string // the problem detail the client got
	stack  []byte // where a recovered panic happened
}

type reqInfoKey struct{}

func infoFrom(ctx context.Context) *reqInfo {
	ri, _ := ctx.Value(reqInfoKey{}).(*reqInfo)
	return ri
}

// RequestID returns the id of the request ctx belongs to ("" outside one),
// for packages that log on behalf of a request.
func RequestID(ctx context.Context) string {
	if ri := infoFrom(ctx); ri != nil {
		return ri.id
	}
	return ""
}

// saneRequestID accepts a client's X-Request-Id only when it is short and
// plain, so it can go into logs and headers without escaping.
func saneRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return false
		}
	}
	return true
}

// newRequestID returns a lowercase ULID, as model.NewID does, but from
// ulid's process-wide monotonic entropy (seeded once from crypto/rand): a
// request id must be unique, not unguessable, and this spares a system
// call and an allocation on every request.
func newRequestID() string {
	id := ulid.MustNew(ulid.Now(), ulid.DefaultEntropy())
	var b [ulid.EncodedSize]byte
	_ = id.MarshalTextTo(b[:])
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b[:])
}

// statusWriter records the status and whether anything was written. It
// passes Flush and Hijack through so SSE and WebSocket handlers work behind
// the middleware.
type statusWriter struct {
	http.ResponseWriter
	status  int
	written bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.written {
		w.status = code
		w.written = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.written {
		w.status = http.StatusOK
		w.written = true
	}
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack implements http.Hijacker for WebSocket upgrades.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("httpapi: response writer cannot hijack")
	}
	c, rw, err := h.Hijack()
	if err == nil && !w.written {
		w.status = http.StatusSwitchingProtocols
		w.written = true
	}
	return c, rw, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Header values every response carries, shared rather than allocated per
// request: a header map's values are replaced or appended to (which copies
// a full slice), never changed in place.
var nosniff = []string{"nosniff"}

// observe assigns the request id, measures the request and writes its log
// line, with id, method, path and status: "request failed" at info or above
// for a failure, "request" at debug for a success.
func (a *API) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			id = newRequestID()
		}
		// One allocation for both: what observe keeps of a request.
		o := &struct {
			info reqInfo
			sw   statusWriter
		}{info: reqInfo{id: id}, sw: statusWriter{ResponseWriter: w}}
		ri, sw := &o.info, &o.sw
		h := w.Header()
		h["X-Request-Id"] = []string{id}
		// JSON and problem bodies must never be sniffed into something else.
		h["X-Content-Type-Options"] = nosniff
		r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, ri))

		next.ServeHTTP(sw, r)

		status := sw.status
		if !sw.written {
			status = http.StatusOK
		}
		elapsed := time.Since(start)
		a.metrics.observe(a.routeOf(r), status, elapsed)
		failed := status >= 400 || ri.err != nil
		if !failed && !a.log.Enabled(r.Context(), slog.LevelDebug) {
			return
		}
		attrs := []slog.Attr{
			slog.String("request_id", id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Duration("duration", elapsed),
		}
		if !failed {
			// Successes are an access log for --log-level debug only, so
			// that at info a log line means something went wrong.
			a.log.LogAttrs(r.Context(), slog.LevelDebug, "request", attrs...)
			return
		}
		if ri.detail != "" {
			attrs = append(attrs, slog.String("detail", ri.detail))
		}
		if ri.err != nil {
			attrs = append(attrs, slog.String("err", ri.err.Error()))
		}
		if ri.stack != nil {
			attrs = append(attrs, slog.String("stack", string(ri.stack)))
		}
		level := slog.LevelInfo
		switch {
		case errors.Is(r.Context().Err(), context.Canceled) || errors.Is(ri.err, context.Canceled):
			// The client went away; nothing is wrong with the server.
			level = slog.LevelDebug
		case status >= 500 || ri.err != nil:
			// ri.err on a success status: a panic after the response began.
			level = slog.LevelError
		}
		a.log.LogAttrs(r.Context(), level, "request failed", attrs...)
	})
}

// routeOf names the route for metrics by its mux pattern, so label values
// stay bounded whatever paths clients send.
func (a *API) routeOf(r *http.Request) string {
	p := r.Pattern
	if p == "" {
		// Requests answered before routing (401, 404 for bad paths, 413).
		_, p = a.mux.Handler(r)
	}
	if p == "" {
		return "unmatched"
	}
	return p
}

// recoverPanics turns a panic into a generic 500; the panic value goes to
// the log line only.
func (a *API) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v) // the server's own signal to abort the response
			}
			if ri := infoFrom(r.Context()); ri != nil {
				ri.err = fmt.Errorf("panic: %v", v)
				ri.stack = debug.Stack()
			}
			if sw, ok := w.(*statusWriter); ok && sw.written {
				return // too late for a clean answer; the log line says why
			}
			writeProblem(w, r, http.StatusInternalServerError, internalDetail(r.Context()))
		}()
		next.ServeHTTP(w, r)
	})
}

// guardPath refuses /api paths that are not in canonical form (dot
// segments, doubled or trailing slashes, encoded slashes that decode into
// traversal). The mux would otherwise answer them with a redirect to the
// cleaned path; an API client gets a plain 404 instead, and nothing such a
// path names can reach a handler.
func (a *API) guardPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if isAPIPath(p) && p != "/api/" && path.Clean(p) != p {
			writeProblem(w, r, http.StatusNotFound, "no such resource")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isAPIPath(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }

// authenticate enforces the bearer token on /api routes except health and
// the handlers registered with HandlePublic, and on /metrics, whose label
// values (routes, models, constitutions) are nobody else's business.
func (a *API) authenticate(next http.Handler) http.Handler {
	if a.cfg.APIToken == "" {
		return next
	}
	// Comparing fixed-size digests keeps the comparison constant-time even
	// in the token's length.
	want := sha256.Sum256([]byte(a.cfg.APIToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (!isAPIPath(r.URL.Path) && r.URL.Path != "/metrics") || r.URL.Path == "/api/health" || a.isPublic(r) {
			next.ServeHTTP(w, r)
			return
		}
		token, ok := bearerToken(r.Header.Get("Authorization"))
		got := sha256.Sum256([]byte(token))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="superego"`)
			detail := "missing bearer token: send Authorization: Bearer <token>"
			if ok {
				detail = "invalid bearer token"
			}
			writeProblem(w, r, http.StatusUnauthorized, detail)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearerToken extracts the token of an "Authorization: Bearer <token>"
// header; the scheme is case-insensitive (RFC 9110).
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// limitBody answers 413 to a declared oversized body at once and caps the
// body of every other request, so raw handlers are bounded too. Huma
// operations apply the same limit themselves (see humaConfig).
func (a *API) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > a.cfg.BodyLimit {
			writeProblem(w, r, http.StatusRequestEntityTooLarge, tooLarge(a.cfg.BodyLimit))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, a.cfg.BodyLimit+1)
		}
		next.ServeHTTP(w, r)
	})
}

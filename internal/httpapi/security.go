package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Browser-facing defences that apply to every response, API and UI alike.

// contentSecurityPolicy is the policy of every response. The UI is one
// script and one stylesheet from this origin, with no inline script or
// style element; the WebSocket is same-origin ('self' covers ws: and wss:
// of this host in CSP Level 3). frame-ancestors 'none' forbids framing,
// so the UI cannot be overlaid by another site (clickjacking).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// The security headers' values, shared by every response (see nosniff).
var (
	cspValue   = []string{contentSecurityPolicy}
	frameDeny  = []string{"DENY"}
	noReferrer = []string{"no-referrer"}
	sameOrigin = []string{"same-origin"}
)

// secureHeaders sets the security headers of every response. Handlers may
// replace the CSP (the API reference page needs its inline stylesheet) but
// keep frame-ancestors 'none'.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Security-Policy"] = cspValue
		// For browsers that predate frame-ancestors.
		h["X-Frame-Options"] = frameDeny
		// Ids in URLs (conversations, runs) stay on this server.
		h["Referrer-Policy"] = noReferrer
		h["Cross-Origin-Opener-Policy"] = sameOrigin
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses state-changing requests (POST, PUT, DELETE) that a
// browser sends from another site (by Sec-Fetch-Site, else by Origin
// against Host), with a 403 problem. Content-Type checks alone would not
// do: a cross-site form may POST an empty body to an operation whose body
// is optional (instantiate a template). trusted are origins
// ("https://ui.example.org") allowed to write as well.
func (a *API) crossOrigin(next http.Handler, trusted []string) http.Handler {
	cop := http.NewCrossOriginProtection()
	for _, o := range trusted {
		if err := cop.AddTrustedOrigin(o); err != nil {
			a.log.Warn("ignoring an allowed origin that is not scheme://host[:port]", "origin", o)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, http.StatusForbidden, "cross-origin "+r.Method+" refused: a page of another site may not change data here")
	}))
	return cop.Handler(next)
}

// HostGuard answers 421 Misdirected Request, before any handler, to a
// request whose Host header names a host this server was not told it is.
// That defeats DNS rebinding: a web page whose name re-resolves to
// 127.0.0.1 still sends its own name as Host, so its requests (REST, UI
// and the WebSocket handshake, whose origin check compares Origin with
// Host) never reach a handler. Allowed are loopback names (localhost,
// *.localhost, 127.0.0.0/8, ::1), the host of the listen address (any IP
// address when it listens on all interfaces: a page can only use an IP
// address as Host if it was loaded from that address, i.e. from this
// server), and the names in allowed ("example.org", "*.example.org", or
// "*" for any host, e.g. behind a proxy that checks names itself).
type HostGuard struct {
	listenHost string // lower-cased, without brackets; "" when unspecified
	anyIP      bool   // listening on every interface
	anyHost    bool
	exact      map[string]bool
	suffixes   []string // ".example.org" for "*.example.org"
}

// NewHostGuard returns the guard for a server listening on listenAddr
// (host:port) that also answers to the names in allowed.
func NewHostGuard(listenAddr string, allowed []string) *HostGuard {
	g := &HostGuard{exact: map[string]bool{}}
	host, _, err := net.SplitHostPort(listenAddr)
	if err != nil {
		host = listenAddr
	}
	host = normalHost(host)
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		g.anyIP = true
	} else {
		g.listenHost = host
	}
	for _, a := range allowed {
		a = normalHost(a)
		switch {
		case a == "*":
			g.anyHost = true
		case strings.HasPrefix(a, "*."):
			g.suffixes = append(g.suffixes, a[1:])
		case a != "":
			g.exact[a] = true
		}
	}
	return g
}

// normalHost lower-cases a host name and drops IPv6 brackets and the
// trailing dot of a fully qualified name.
func normalHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.TrimSuffix(h, ".")
}

// Allows reports whether a request with this Host header may be served.
func (g *HostGuard) Allows(hostHeader string) bool {
	if g.anyHost || hostHeader == "" {
		// No browser sends a request without Host (HTTP/1.0 tools do).
		return true
	}
	host, _, err := net.SplitHostPort(hostHeader)
	if err != nil {
		host = hostHeader // no port
	}
	host = normalHost(host)
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true // browsers resolve these to loopback themselves (RFC 6761)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.IsLoopback() || g.anyIP || host == g.listenHost ||
			ip.Unmap().String() == g.listenHost
	}
	if host == g.listenHost || g.exact[host] {
		return true
	}
	for _, s := range g.suffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return false
}

// Wrap returns next behind the guard.
func (g *HostGuard) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.Allows(r.Host) {
			writeProblem(w, r, http.StatusMisdirectedRequest, fmt.Sprintf(
				"this server does not answer to the host name %q; if it should, start it with --allowed-hosts %s",
				clip(r.Host, 100), clip(hostOnly(r.Host), 100)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func hostOnly(hostHeader string) string {
	if h, _, err := net.SplitHostPort(hostHeader); err == nil {
		return h
	}
	return hostHeader
}

// clip shortens s to at most n bytes for a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

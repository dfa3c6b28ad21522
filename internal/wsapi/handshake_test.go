package wsapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"weak"

	"github.com/coder/websocket"

	"github.com/superego-lab/superego/internal/httpapi"
	"github.com/superego-lab/superego/internal/wsapi"
)

// handshakeProblem dials with the given headers and returns the refused
// handshake's status and problem detail; it fails the test on any other
// body than problem+json.
func handshakeProblem(t *testing.T, url string, h http.Header, host string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer closeBody(resp)
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%d with Content-Type %q: %s", resp.StatusCode, ct, b)
	}
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(b, &p); err != nil || p.Status != resp.StatusCode || p.Detail == "" {
		t.Fatalf("not a problem: %v %s", err, b)
	}
	return resp.StatusCode, p.Detail
}

func upgradeHeaders(origin string, protocols ...string) http.Header {
	h := http.Header{
		"Connection":            {"Upgrade"},
		"Upgrade":               {"websocket"},
		"Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key":     {"dGhlIHNhbXBsZSBub25jZQ=="},
	}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if len(protocols) > 0 {
		h.Set("Sec-WebSocket-Protocol", strings.Join(protocols, ", "))
	}
	return h
}

// TestHandshakeErrorsAreProblems: every refused handshake answers
// problem+json, whether the handler or coder/websocket refused it.
func TestHandshakeErrorsAreProblems(t *testing.T) {
	t.Parallel()
	const token = "hs-token"
	e := newEnv(t, envOpts{ws: wsapi.Config{APIToken: token}})
	auth := func(h http.Header) http.Header { h.Set("Authorization", "Bearer "+token); return h }

	if code, _ := handshakeProblem(t, e.srv.URL+"/api/ws", upgradeHeaders(""), ""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	if code, _ := handshakeProblem(t, e.srv.URL+"/api/ws", upgradeHeaders("", wsapi.BearerProtocolPrefix+token), ""); code != http.StatusBadRequest {
		t.Errorf("bearer subprotocol alone: %d", code)
	}
	if code, d := handshakeProblem(t, e.srv.URL+"/api/ws", auth(upgradeHeaders("https://evil.example.com")), ""); code != http.StatusForbidden || !strings.Contains(d, "evil.example.com") {
		t.Errorf("foreign origin: %d %q", code, d)
	}
	plain := auth(http.Header{})
	if code, d := handshakeProblem(t, e.srv.URL+"/api/ws", plain, ""); code < 400 || code >= 500 || !strings.Contains(strings.ToLower(d), "upgrade") {
		t.Errorf("no upgrade headers: %d %q", code, d)
	}
	bad := auth(upgradeHeaders(""))
	bad.Set("Sec-Websocket-Version", "8")
	if code, _ := handshakeProblem(t, e.srv.URL+"/api/ws", bad, ""); code != http.StatusBadRequest {
		t.Errorf("unsupported version: %d", code)
	}
}

// TestHandshakeRefusesForeignHost is DNS rebinding against the socket: a
// page on a name that re-resolves to the server sends that name as Host
// and as Origin, which passes the same-origin check; the REST API's host
// guard refuses it before the handler.
func TestHandshakeRefusesForeignHost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{handler: func(e *env) http.Handler {
		api := httpapi.New(httpapi.Config{}, httpapi.Deps{Store: e.st, Bus: e.bus})
		api.HandlePublic("GET /api/ws", e.h)
		return api.Handler()
	}})
	port := e.srv.URL[strings.LastIndex(e.srv.URL, ":"):]
	code, _ := handshakeProblem(t, e.srv.URL+"/api/ws", upgradeHeaders("http://evil.example"+port), "evil.example"+port)
	if code != http.StatusMisdirectedRequest {
		t.Fatalf("rebound handshake: %d", code)
	}
	// The same handshake under the loopback address is served.
	c, resp, err := websocket.Dial(t.Context(), e.wsURL(), &websocket.DialOptions{Subprotocols: []string{wsapi.Subprotocol}})
	closeBody(resp)
	if err != nil {
		t.Fatalf("loopback handshake: %v", err)
	}
	_ = c.CloseNow()
}

// TestIdleSocketKeepsNotItsRequest: once the handshake is done, an open
// socket does not keep its upgrade request, nor what the middleware put in
// the request's context (the real middleware's request info wraps the
// response): an idle socket would otherwise carry them, header maps and
// all, for its whole life.
func TestIdleSocketKeepsNotItsRequest(t *testing.T) {
	t.Parallel()
	type sentinelKey struct{}
	var held weak.Pointer[[64]byte]
	e := newEnv(t, envOpts{handler: func(e *env) http.Handler {
		api := httpapi.New(httpapi.Config{}, httpapi.Deps{Store: e.st, Bus: e.bus})
		api.HandlePublic("GET /api/ws", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v := new([64]byte)
			held = weak.Make(v)
			e.h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sentinelKey{}, v)))
		}))
		return api.Handler()
	}})
	c := e.dial()
	c.send(map[string]any{"type": "ping"})
	c.expect("pong")
	runtime.GC()
	runtime.GC()
	if held.Value() != nil {
		t.Fatal("an open socket still holds a value of its upgrade request's context")
	}
	// The socket still works.
	c.send(map[string]any{"type": "ping"})
	c.expect("pong")
}

package wsapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/httpapi"
	"github.com/superego-lab/superego/internal/wsapi"
)

// TestThroughRESTAPI wires the socket the way the server does: behind the
// REST API's middleware, exempt from its bearer check because it checks
// the token itself. A REST write reaches the socket as resource_changed.
func TestThroughRESTAPI(t *testing.T) {
	t.Parallel()
	const token = "rest-and-ws"
	e := newEnv(t, envOpts{
		ws: wsapi.Config{APIToken: token},
		handler: func(e *env) http.Handler {
			api := httpapi.New(httpapi.Config{APIToken: token}, httpapi.Deps{Store: e.st, Bus: e.bus})
			api.HandlePublic("GET /api/ws", e.h)
			wsapi.RegisterRuns(api.Huma(), e.eng)
			return api.Handler()
		},
	})
	c := e.dialWith(&websocket.DialOptions{Subprotocols: []string{wsapi.Subprotocol, wsapi.BearerProtocolPrefix + token}})
	pingPong(t, c.c)

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.srv.URL+"/api/constitutions",
		strings.NewReader(`{"id":"fresh","name":"Fresh rules","content":"# Fresh\n"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST constitution: %d", resp.StatusCode)
	}
	f := c.expect(events.TypeResourceChanged)
	if f.Resource != "constitution" || f.Action != events.ActionCreated || f.ID != "fresh" || f.Version != 1 {
		t.Fatalf("resource_changed = %+v", f.Event)
	}

	// A run started on the socket is readable over REST with the token.
	c.send(sendMessage("r", e.instance, "hello"))
	runID := c.expect(events.TypeAccepted).RunIDs[0]
	c.collect(runID)
	if resp := get(t, e.srv.URL+"/api/runs/"+runID, http.Header{"Authorization": {"Bearer " + token}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET run with token: %d", resp.StatusCode)
	}
	stream := get(t, e.srv.URL+"/api/runs/"+runID+"/events", http.Header{"Authorization": {"Bearer " + token}})
	if evs := readSSE(t, stream.Body); len(evs) == 0 || evs[len(evs)-1].event != events.TypeRunFinished {
		t.Fatalf("SSE through the middleware: %d events", len(evs))
	}
	if resp := get(t, e.srv.URL+"/api/runs/"+runID, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET run without token: %d", resp.StatusCode)
	}
}

package wsapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/wsapi"
)

func TestBadFrames(t *testing.T) {
	t.Parallel()
	hold := newGate()
	e := newEnv(t, envOpts{prov: &scripted{pieces: words(10), holdAt: 3, hold: hold, holdMark: "keep going"}})
	c := e.dial()

	// A run is in progress while the bad frames arrive; it must not notice.
	c.send(sendMessage("live", e.instance, "keep going"))
	live := c.expect(events.TypeAccepted).RunIDs[0]

	// A finished message of another instance, to rerun and to misuse.
	c2 := e.dial()
	c2.send(sendMessage("done", e.plainInstance, "hi"))
	doneRun := c2.expect(events.TypeAccepted).RunIDs[0]
	runs, _, _ := c2.collect(doneRun)
	assistantMsg := find(runs[doneRun], events.TypeAssistantMessage).Message.ID
	userMsg := find(runs[doneRun], events.TypeRunStarted).UserMessage.ID

	nine := make([]string, 9)
	for i := range nine {
		nine[i] = e.standard
	}
	cases := []struct {
		name, frame, code, requestID string
	}{
		{"not json", `hello`, wsapi.CodeBadFrame, ""},
		{"truncated json", `{"type":"ping"`, wsapi.CodeBadFrame, ""},
		{"array", `[1,2]`, wsapi.CodeBadFrame, ""},
		{"null", `null`, wsapi.CodeBadFrame, ""},
		{"no type", `{"request_id":"a"}`, wsapi.CodeBadFrame, "a"},
		{"type not string", `{"type":5,"request_id":"b"}`, wsapi.CodeBadFrame, "b"},
		{"unknown type", `{"type":"dance","request_id":"c"}`, wsapi.CodeUnknownType, "c"},
		{"unknown field", `{"type":"ping","request_id":"d","bogus":1}`, wsapi.CodeInvalidField, "d"},
		{"request_id not string", `{"type":"ping","request_id":7}`, wsapi.CodeInvalidField, ""},
		{"missing content", `{"type":"send_message","request_id":"e","flow_instance_id":"` + e.instance + `"}`, wsapi.CodeInvalidField, "e"},
		{"missing request_id", `{"type":"send_message","flow_instance_id":"` + e.instance + `","content":"x"}`, wsapi.CodeInvalidField, ""},
		{"content not string", `{"type":"send_message","request_id":"f","flow_instance_id":"` + e.instance + `","content":42}`, wsapi.CodeInvalidField, "f"},
		{"content null", `{"type":"send_message","request_id":"g","flow_instance_id":"` + e.instance + `","content":null}`, wsapi.CodeInvalidField, "g"},
		{"content blank", `{"type":"send_message","request_id":"h","flow_instance_id":"` + e.instance + `","content":"  "}`, wsapi.CodeInvalidField, "h"},
		{"malformed id", `{"type":"send_message","request_id":"i","flow_instance_id":"../etc","content":"x"}`, wsapi.CodeInvalidField, "i"},
		{"one config", `{"type":"run_parallel","request_id":"j","flow_config_ids":["` + e.standard + `"],"content":"x"}`, wsapi.CodeInvalidField, "j"},
		{"nine configs", `{"type":"run_parallel","request_id":"k","flow_config_ids":["` + strings.Join(nine, `","`) + `"],"content":"x"}`, wsapi.CodeInvalidField, "k"},
		{"configs and comparison", `{"type":"run_parallel","request_id":"l","flow_config_ids":["a1","b2"],"comparison_id":"c3","content":"x"}`, wsapi.CodeInvalidField, "l"},
		{"neither configs nor comparison", `{"type":"run_parallel","request_id":"m","content":"x"}`, wsapi.CodeInvalidField, "m"},
		{"configs not array", `{"type":"run_parallel","request_id":"n","flow_config_ids":"a1,b2","content":"x"}`, wsapi.CodeInvalidField, "n"},
		{"after_seq string", `{"type":"resume","request_id":"o","run_id":"` + live + `","after_seq":"3"}`, wsapi.CodeInvalidField, "o"},
		{"after_seq negative", `{"type":"resume","request_id":"p","run_id":"` + live + `","after_seq":-1}`, wsapi.CodeInvalidField, "p"},
		{"after_seq fraction", `{"type":"resume","request_id":"q","run_id":"` + live + `","after_seq":1.5}`, wsapi.CodeInvalidField, "q"},
		{"after_seq missing", `{"type":"resume","request_id":"r","run_id":"` + live + `"}`, wsapi.CodeInvalidField, "r"},
		{"superego_enabled not bool", `{"type":"rerun","request_id":"s","message_id":"` + assistantMsg + `","superego_enabled":"no"}`, wsapi.CodeInvalidField, "s"},
		{"cancel without run_id", `{"type":"cancel","request_id":"t"}`, wsapi.CodeInvalidField, "t"},
		{"unknown instance", `{"type":"send_message","request_id":"u","flow_instance_id":"nosuch","content":"x"}`, wsapi.CodeNotFound, "u"},
		{"unknown config", `{"type":"run_parallel","request_id":"v","flow_config_ids":["` + e.standard + `","nosuch"],"content":"x"}`, wsapi.CodeNotFound, "v"},
		{"unknown comparison", `{"type":"run_parallel","request_id":"w","comparison_id":"nosuch","content":"x"}`, wsapi.CodeNotFound, "w"},
		{"unknown message", `{"type":"rerun","request_id":"x","message_id":"nosuch"}`, wsapi.CodeNotFound, "x"},
		{"unknown override", `{"type":"rerun","request_id":"y","message_id":"` + userMsg + `","constitution_id":"nosuch"}`, wsapi.CodeNotFound, "y"},
		{"rerun of an assistant message", `{"type":"rerun","request_id":"z","message_id":"` + assistantMsg + `"}`, wsapi.CodeInvalidRequest, "z"},
		{"unknown run", `{"type":"resume","request_id":"aa","run_id":"nosuch","after_seq":0}`, wsapi.CodeNotFound, "aa"},
		{"resources not array", `{"type":"subscribe","request_id":"ab","resources":"constitution"}`, wsapi.CodeInvalidField, "ab"},
		{"resource kind malformed", `{"type":"subscribe","request_id":"ac","resources":["Constitution"]}`, wsapi.CodeInvalidField, "ac"},
		{"resources null", `{"type":"subscribe","request_id":"ad","resources":null}`, wsapi.CodeInvalidField, "ad"},
		{"instance id malformed", `{"type":"subscribe","request_id":"ae","flow_instance_ids":["../x"]}`, wsapi.CodeInvalidField, "ae"},
		{"too many instances", `{"type":"subscribe","request_id":"af","flow_instance_ids":["i` + strings.Repeat(`","i`, 64) + `"]}`, wsapi.CodeInvalidField, "af"},
		{"subscribe unknown field", `{"type":"subscribe","request_id":"ag","flow_instance_id":"x"}`, wsapi.CodeInvalidField, "ag"},
	}
	var liveEvents []events.Event
	for _, tc := range cases {
		c.sendRaw(tc.frame)
		f := c.read()
		for f.RunID == live { // the live run's events may interleave
			liveEvents = append(liveEvents, f.Event)
			f = c.read()
		}
		if f.Type != wsapi.TypeError || f.Code != tc.code || f.RequestID != tc.requestID || f.Msg == "" {
			t.Errorf("%s: got %s code=%q request_id=%q message=%q, want code %q request_id %q",
				tc.name, f.Type, f.Code, f.RequestID, f.Msg, tc.code, tc.requestID)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), readTimeout)
	defer cancel()
	if err := c.c.Write(ctx, websocket.MessageBinary, []byte(`{"type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	if f := c.expect(wsapi.TypeError); f.Code != wsapi.CodeBadFrame {
		t.Fatalf("binary frame: %+v", f)
	}

	// The socket is open and the live run finishes untouched.
	hold.open()
	evs, _, _ := c.collect(live)
	evs[live] = append(liveEvents, evs[live]...)
	checkRun(t, evs[live], 0)
	if fin := evs[live][len(evs[live])-1]; fin.Status != model.RunCompleted || text(evs[live], events.TypeAssistantToken) != strings.Join(words(10), "") {
		t.Fatalf("live run ended %s with %q", fin.Status, text(evs[live], events.TypeAssistantToken))
	}
	if n := e.metric("superego_ws_errors_total"); n < float64(len(cases)+1) {
		t.Fatalf("errors metric %v", n)
	}
}

func TestOversizeFrameCloses1009(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	c := e.dial()
	big := `{"type":"ping","request_id":"` + strings.Repeat("x", 64<<10) + `"}`
	c.sendRaw(big)
	_, err := c.tryRead()
	if got := websocket.CloseStatus(err); got != websocket.StatusMessageTooBig {
		t.Fatalf("close status %v (%v), want 1009", got, err)
	}
}

func TestOrigin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ws: wsapi.Config{AllowedOrigins: []string{"ui.example.org"}}})
	dial := func(origin string) (int, error) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, resp, err := websocket.Dial(t.Context(), e.wsURL(), &websocket.DialOptions{HTTPHeader: h})
		closeBody(resp)
		if err == nil {
			_ = c.CloseNow()
			return http.StatusSwitchingProtocols, nil
		}
		if resp == nil {
			return 0, err
		}
		return resp.StatusCode, err
	}
	if code, err := dial("https://evil.example.com"); code != http.StatusForbidden {
		t.Fatalf("foreign origin: %d %v", code, err)
	}
	if code, err := dial(e.srv.URL); code != http.StatusSwitchingProtocols {
		t.Fatalf("same origin: %d %v", code, err)
	}
	if code, err := dial("https://ui.example.org"); code != http.StatusSwitchingProtocols {
		t.Fatalf("allowed origin: %d %v", code, err)
	}
	if code, err := dial(""); code != http.StatusSwitchingProtocols { // non-browser clients send none
		t.Fatalf("no origin: %d %v", code, err)
	}
}

func TestTokenRequired(t *testing.T) {
	t.Parallel()
	const token = "s3cret-token"
	e := newEnv(t, envOpts{ws: wsapi.Config{APIToken: token}})
	try := func(h http.Header, protos ...string) (*websocket.Conn, int) {
		c, resp, err := websocket.Dial(t.Context(), e.wsURL(), &websocket.DialOptions{HTTPHeader: h, Subprotocols: protos})
		closeBody(resp)
		if err != nil {
			if resp == nil {
				t.Fatalf("dial: %v", err)
			}
			return nil, resp.StatusCode
		}
		t.Cleanup(func() { _ = c.CloseNow() })
		return c, http.StatusSwitchingProtocols
	}
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

	if _, code := try(nil); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	if _, code := try(bearer("wrong")); code != http.StatusUnauthorized {
		t.Fatalf("wrong header token: %d", code)
	}
	if _, code := try(nil, wsapi.Subprotocol, wsapi.BearerProtocolPrefix+"wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong subprotocol token: %d", code)
	}
	if _, code := try(nil, wsapi.BearerProtocolPrefix+token); code != http.StatusBadRequest {
		t.Fatalf("bearer subprotocol without %s: %d", wsapi.Subprotocol, code)
	}
	c, code := try(bearer(token))
	if code != http.StatusSwitchingProtocols {
		t.Fatalf("header token: %d", code)
	}
	pingPong(t, c)
	c, code = try(nil, wsapi.Subprotocol, wsapi.BearerProtocolPrefix+token)
	if code != http.StatusSwitchingProtocols {
		t.Fatalf("subprotocol token: %d", code)
	}
	if c.Subprotocol() != wsapi.Subprotocol {
		t.Fatalf("server selected %q, want %q (never the token)", c.Subprotocol(), wsapi.Subprotocol)
	}
	pingPong(t, c)
}

func pingPong(t *testing.T, conn *websocket.Conn) {
	t.Helper()
	c := &client{t: t, c: conn}
	c.send(map[string]any{"type": "ping"})
	c.expect(wsapi.TypePong)
}

func TestTooManyRunsAndRateLimit(t *testing.T) {
	t.Parallel()
	hold := newGate()
	defer hold.open()
	e := newEnv(t, envOpts{
		prov: &scripted{pieces: words(4), holdAt: 1, hold: hold},
		ws:   wsapi.Config{MaxRunsPerSocket: 2, RateLimit: 0.001, RateBurst: 6},
	})
	c := e.dial()
	c.send(sendMessage("one", e.instance, "a"))
	first := c.expect(events.TypeAccepted).RunIDs[0]
	c.send(map[string]any{"type": "run_parallel", "request_id": "two", "flow_config_ids": []string{e.standard, e.alt}, "content": "b"})
	expectErrorSkipping(t, c, wsapi.CodeTooManyRuns, "two")
	c.send(sendMessage("three", e.plainInstance, "c"))
	if acc := c.expect(events.TypeAccepted); acc.RequestID != "three" {
		t.Fatalf("accepted %+v", acc.Event)
	}
	c.send(sendMessage("four", e.plainInstance, "d"))
	expectErrorSkipping(t, c, wsapi.CodeTooManyRuns, "four")
	// Resuming a run the socket already follows replaces the follow and
	// needs no extra slot.
	c.send(map[string]any{"type": "resume", "request_id": "five", "run_id": first, "after_seq": 0})
	if acc := c.expect(events.TypeAccepted); acc.RequestID != "five" {
		t.Fatalf("accepted %+v", acc.Event)
	}
	// Six frames so far: the bucket is empty now.
	c.send(map[string]any{"type": "ping", "request_id": "six"})
	c.expect(wsapi.TypePong)
	c.send(map[string]any{"type": "ping", "request_id": "seven"})
	expectErrorSkipping(t, c, wsapi.CodeRateLimited, "seven")
}

// expectErrorSkipping reads past run events to the next non-run frame, which
// must be the error.
func expectErrorSkipping(t *testing.T, c *client, code, requestID string) {
	t.Helper()
	for {
		f := c.read()
		if f.RunID != "" && f.Type != events.TypeAccepted {
			continue
		}
		if f.Type != wsapi.TypeError || f.Code != code || f.RequestID != requestID {
			t.Fatalf("want error %s for %s, got %s %s %q", code, requestID, f.Type, f.Code, f.RequestID)
		}
		return
	}
}

func TestResourceChangedFromBus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	a, b := e.dial(), e.dial()
	// A pong proves each socket is registered for notifications.
	pingPong(t, a.c)
	pingPong(t, b.c)
	e.bus.Publish(t.Context(), events.ResourceChanged("constitution", events.ActionUpdated, "default", 2))
	for _, c := range []*client{a, b} {
		f := c.expect(events.TypeResourceChanged)
		if f.Resource != "constitution" || f.Action != events.ActionUpdated || f.ID != "default" || f.Version != 2 || f.TS.IsZero() {
			t.Fatalf("resource_changed = %+v", f.Event)
		}
	}
}

func TestDeadPeerIsDetectedByPing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ws: wsapi.Config{PingInterval: 20 * time.Millisecond, WriteTimeout: 200 * time.Millisecond}})
	c := e.dial()
	pingPong(t, c.c)
	// From now on the client reads nothing, so it never answers the
	// server's WebSocket pings: to the server it is dead.
	waitFor(t, "the server to drop the silent peer", func() bool { return e.metric("superego_ws_connections") == 0 })
}

func TestCloseSaysGoingAway(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	c := e.dial()
	pingPong(t, c.c)
	// Read while the server closes, as a live client would.
	read := make(chan error, 1)
	go func() {
		_, _, err := c.c.Read(t.Context())
		read <- err
	}()
	e.h.Close()
	err := <-read
	if st := websocket.CloseStatus(err); st != websocket.StatusGoingAway {
		t.Fatalf("close status %v (%v), want 1001", st, err)
	}
	if n := e.metric("superego_ws_connections"); n != 0 {
		t.Fatalf("%v connections after Close", n)
	}
}

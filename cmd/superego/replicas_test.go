package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
)

// TestReplicasShareOneDatabase runs two `superego serve` processes on one
// fresh PostgreSQL database and checks what a load balancer in front of
// them relies on: a write on one is read and notified on the other; a run
// started on one is resumed on the other after a disconnect with exactly
// the stored text, and cancelled through the other; and a run whose
// process is killed ends interrupted once its lease runs out, with one
// text: what its client saw, what the other replica replays and what is
// stored.
func TestReplicasShareOneDatabase(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)                                           // a database of its own: NOTIFY channels are per database
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute) // safety net only
	defer cancel()
	// The lease must outlast any stall of a loaded CI machine (renewals
	// come every third of it), yet keep the kill case short.
	args := []string{"--database-url", url, "--run-lease", "3s", "--demo-delay", "15ms"}
	a := startServer(t, t.TempDir(), args...)
	b := startServer(t, t.TempDir(), args...)

	t.Run("health reports the database", func(t *testing.T) {
		for _, s := range []*server{a, b} {
			var h struct{ Status, Database string }
			if code := getJSON(t, s.url+"/api/health", &h); code != http.StatusOK || h.Database != "ok" {
				t.Fatalf("health: %d %+v", code, h)
			}
		}
	})

	t.Run("a write on one replica is read and notified on the other", func(t *testing.T) {
		wsB := dialWS(t, ctx, b)
		var c struct {
			ID      string `json:"id"`
			Content string `json:"content"`
			Version int    `json:"version"`
		}
		postJSON(t, a.url+"/api/constitutions", map[string]any{"name": "Replicated", "content": "# Shared\nOne database.\n"}, &c)
		var got struct {
			Content string `json:"content"`
		}
		if code := getJSON(t, b.url+"/api/constitutions/"+c.ID, &got); code != http.StatusOK || got.Content != c.Content {
			t.Fatalf("read on b: %d %q, want %q", code, got.Content, c.Content)
		}
		for {
			ev := wsB.read(t, ctx)
			if ev.Type == events.TypeResourceChanged && ev.ID == c.ID {
				if ev.Resource != "constitution" || ev.Action != events.ActionCreated || ev.Version != c.Version {
					t.Fatalf("notification on b: %+v", ev)
				}
				break
			}
		}
	})

	inst := newInstance(t, a)

	t.Run("a run started on one replica is resumed on the other", func(t *testing.T) {
		wsA := dialWS(t, ctx, a)
		runID := wsA.send(t, ctx, map[string]any{"type": "send_message", "request_id": "r1", "flow_instance_id": inst, "content": "What is a good name for a cat?"})
		before := wsA.readUntil(t, ctx, func(ev events.Event) bool {
			return ev.Type == events.TypeAssistantToken && ev.Seq > 0 && countAssistant(wsA.seen) >= 3
		})
		wsA.close() // the client drops mid-answer
		last := before[len(before)-1].Seq

		wsB := dialWS(t, ctx, b)
		if got := wsB.send(t, ctx, map[string]any{"type": "resume", "request_id": "r2", "run_id": runID, "after_seq": last}); got != runID {
			t.Fatalf("resume accepted %q, want %q", got, runID)
		}
		after := wsB.readUntil(t, ctx, func(ev events.Event) bool { return ev.Type == events.TypeRunFinished })
		prev := last
		for _, ev := range after {
			// Deltas a slow socket merged carry the last merged seq, so
			// seqs may skip, but never repeat or go back.
			if ev.RunID != runID || ev.Seq <= prev {
				t.Fatalf("event %s seq %d of run %s after seq %d", ev.Type, ev.Seq, ev.RunID, prev)
			}
			prev = ev.Seq
		}
		if fin := after[len(after)-1]; fin.Status != model.RunCompleted {
			t.Fatalf("run ended %s: %s", fin.Status, fin.Error)
		}
		text := joinAssistant(before) + joinAssistant(after)
		answer := lastMessage(t, b, inst)
		if answer.Status != model.MessageComplete || answer.RunID != runID || text != answer.Content {
			t.Fatalf("streamed %q, stored %q (%s)", text, answer.Content, answer.Status)
		}
		var run model.Run
		if code := getJSON(t, b.url+"/api/runs/"+runID, &run); code != http.StatusOK || run.LastSeq != prev {
			t.Fatalf("run on b: %d last_seq %d, stream ended at %d", code, run.LastSeq, prev)
		}
	})

	t.Run("a cancel sent to the other replica stops the run", func(t *testing.T) {
		wsA := dialWS(t, ctx, a)
		runID := wsA.send(t, ctx, map[string]any{"type": "send_message", "request_id": "c1", "flow_instance_id": inst, "content": "Tell me about the moon."})
		wsA.readUntil(t, ctx, func(events.Event) bool { return countAssistant(wsA.seen) >= 2 })
		wsB := dialWS(t, ctx, b)
		if got := wsB.send(t, ctx, map[string]any{"type": "cancel", "request_id": "c2", "run_id": runID}); got != runID {
			t.Fatalf("cancel accepted %q, want %q", got, runID)
		}
		evs := wsA.readUntil(t, ctx, func(ev events.Event) bool { return ev.Type == events.TypeRunFinished })
		if fin := evs[len(evs)-1]; fin.Status != model.RunCancelled {
			t.Fatalf("run ended %s, want cancelled", fin.Status)
		}
		answer := lastMessage(t, b, inst)
		if answer.RunID != runID || answer.Status != model.MessageCancelled || answer.Content != joinAssistant(wsA.seen) {
			t.Fatalf("answer %s %q; streamed %q", answer.Status, answer.Content, joinAssistant(wsA.seen))
		}
	})

	t.Run("a killed replica's run ends interrupted with one text everywhere", func(t *testing.T) {
		wsA := dialWS(t, ctx, a)
		runID := wsA.send(t, ctx, map[string]any{"type": "send_message", "request_id": "r3", "flow_instance_id": inst, "content": "Tell me about the sea."})
		wsA.readUntil(t, ctx, func(events.Event) bool { return countAssistant(wsA.seen) >= 1 })
		// Follow it on b too, from the start: what b reads comes from
		// the database.
		wsB := dialWS(t, ctx, b)
		wsB.send(t, ctx, map[string]any{"type": "resume", "request_id": "r4", "run_id": runID, "after_seq": 0})
		wsB.readUntil(t, ctx, func(events.Event) bool { return countAssistant(wsB.seen) >= 3 })
		// Kill a the moment its client gets a token: the text most at
		// risk of not being stored yet.
		n := countAssistant(wsA.seen)
		wsA.readUntil(t, ctx, func(events.Event) bool { return countAssistant(wsA.seen) > n })
		if err := a.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-a.exited
		// Whatever a had sent before it died is still on its way.
		wsA.drain(ctx)
		seenA := wsA.seen

		replay := wsB.readUntil(t, ctx, func(ev events.Event) bool { return ev.Type == events.TypeRunFinished })
		if fin := replay[len(replay)-1]; fin.Status != model.RunInterrupted {
			t.Fatalf("follower on b saw the run end %s, want interrupted", fin.Status)
		}
		var run model.Run
		if code := getJSON(t, b.url+"/api/runs/"+runID, &run); code != http.StatusOK || run.Status != model.RunInterrupted || run.Error == "" {
			t.Fatalf("run on b: %d %+v", code, run)
		}
		// a's client reconnects to b and resumes after the last event a
		// sent it, as the web client does.
		wsC := dialWS(t, ctx, b)
		wsC.send(t, ctx, map[string]any{"type": "resume", "request_id": "r5", "run_id": runID, "after_seq": seenA[len(seenA)-1].Seq})
		resumed := wsC.readUntil(t, ctx, func(ev events.Event) bool { return ev.Type == events.TypeRunFinished })

		// One text: what a's client saw (then resumed), what b replays
		// and what is stored.
		answer := lastMessage(t, b, inst)
		clientText := joinAssistant(seenA) + joinAssistant(resumed)
		replayText := joinAssistant(wsB.seen)
		if answer.RunID != runID || answer.Status != model.MessageInterrupted || replayText == "" ||
			clientText != replayText || replayText != answer.Content {
			t.Fatalf("a's client saw %q, b replays %q, stored %q (%s)", clientText, replayText, answer.Content, answer.Status)
		}
	})
}

// TestHealthReportsAnUnreachableDatabase: when the database goes away under
// a running server, /api/health answers 503 "unreachable". The server logs
// the failures it meets on the way (at debug level), and none of those
// lines holds the password of the database URL.
func TestHealthReportsAnUnreachableDatabase(t *testing.T) {
	t.Parallel()
	// Trust authentication ignores the password, so the URL can carry one
	// that must then never show in the log.
	const secret = "pw-never-logged"
	url := strings.Replace(pgtest.URL(t), "://postgres@", "://postgres:"+secret+"@", 1)
	if !strings.Contains(url, secret) {
		t.Fatalf("no password put into %s", url)
	}
	s := startServer(t, t.TempDir(), "--database-url", url, "--log-level", "debug")
	var h struct{ Status, Database string }
	if code := getJSON(t, s.url+"/api/health", &h); code != http.StatusOK || h.Database != "ok" {
		t.Fatalf("health: %d %+v", code, h)
	}
	// Dropping the database ends the server's sessions and refuses new ones.
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, pgtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	name := url[strings.LastIndex(url, "/")+1:]
	if i := strings.IndexByte(name, '?'); i >= 0 {
		name = name[:i]
	}
	if _, err := conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(s.url + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	h = struct{ Status, Database string }{}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || h.Database != "unreachable" || h.Status != "unavailable" {
		t.Fatalf("health without a database: %d %+v", resp.StatusCode, h)
	}
	// The listeners' failed reconnects, whose errors describe the
	// connection, are logged (every second); wait for one, then read the
	// whole log.
	deadline := time.NewTimer(time.Minute) // safety net only
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(s.log(), "does not exist") {
		select {
		case <-deadline.C:
			t.Fatalf("no failed reconnect logged:\n%s", s.log())
		case <-tick.C:
		}
	}
	if log := s.log(); strings.Contains(log, secret) {
		t.Fatalf("the log shows the database password:\n%s", log)
	}
}

// wsClient is a WebSocket client of one server that keeps every run event
// it read.
type wsClient struct {
	c    *websocket.Conn
	seen []events.Event
}

func dialWS(t *testing.T, ctx context.Context, s *server) *wsClient {
	t.Helper()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/api/ws",
		&websocket.DialOptions{Subprotocols: []string{"superego.v1"}})
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		t.Fatalf("dial %s: %v", s.url, err)
	}
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { _ = c.CloseNow() })
	w := &wsClient{c: c}
	// The server registers a socket for notifications just after the
	// handshake; a pong proves it has, so a write made next is heard.
	b, _ := json.Marshal(map[string]any{"type": "ping", "request_id": "dial"})
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("websocket write: %v", err)
	}
	for ev := w.read(t, ctx); ev.Type != "pong"; ev = w.read(t, ctx) {
		w.keep(ev)
	}
	return w
}

func (w *wsClient) close() { _ = w.c.Close(websocket.StatusNormalClosure, "") }

// read returns the next frame as an event, failing on an error frame.
func (w *wsClient) read(t *testing.T, ctx context.Context) events.Event {
	t.Helper()
	_, b, err := w.c.Read(ctx)
	if err != nil {
		t.Fatalf("websocket read: %v", err)
	}
	var ev events.Event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("frame %s: %v", b, err)
	}
	if ev.Type == "error" {
		t.Fatalf("error frame: %s", b)
	}
	return ev
}

// send writes a request and returns the first run id of its accepted reply.
func (w *wsClient) send(t *testing.T, ctx context.Context, req map[string]any) string {
	t.Helper()
	b, _ := json.Marshal(req)
	if err := w.c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("websocket write: %v", err)
	}
	for {
		ev := w.read(t, ctx)
		if ev.Type == events.TypeAccepted && ev.RequestID == req["request_id"] {
			if len(ev.RunIDs) == 0 {
				t.Fatalf("accepted without runs: %+v", ev)
			}
			return ev.RunIDs[0]
		}
		w.keep(ev)
	}
}

// drain reads, until the connection ends, the frames still on their way
// from a server that died.
func (w *wsClient) drain(ctx context.Context) {
	for {
		_, b, err := w.c.Read(ctx)
		if err != nil {
			return
		}
		var ev events.Event
		if json.Unmarshal(b, &ev) == nil {
			w.keep(ev)
		}
	}
}

func (w *wsClient) keep(ev events.Event) {
	if ev.RunID != "" {
		w.seen = append(w.seen, ev)
	}
}

// readUntil reads run events until stop holds for one, and returns those
// read by this call (stop's event included).
func (w *wsClient) readUntil(t *testing.T, ctx context.Context, stop func(events.Event) bool) []events.Event {
	t.Helper()
	from := len(w.seen)
	for {
		ev := w.read(t, ctx)
		if ev.RunID == "" {
			continue // resource_changed and the like
		}
		w.keep(ev)
		if stop(ev) {
			return w.seen[from:]
		}
	}
}

func countAssistant(evs []events.Event) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == events.TypeAssistantToken {
			n++
		}
	}
	return n
}

func joinAssistant(evs []events.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		if ev.Type == events.TypeAssistantToken {
			b.WriteString(ev.Delta)
		}
	}
	return b.String()
}

func postJSON(t *testing.T, url string, body, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, got)
	}
	if err := json.Unmarshal(got, out); err != nil {
		t.Fatalf("POST %s: %v: %s", url, err, got)
	}
}

// newInstance creates a conversation on the standard flow (superego on).
func newInstance(t *testing.T, s *server) string {
	t.Helper()
	var inst struct {
		ID string `json:"id"`
	}
	postJSON(t, s.url+"/api/flow-instances", map[string]any{"flow_config_id": "standard", "name": "Across replicas"}, &inst)
	return inst.ID
}

// lastMessage returns the newest message of an instance, read over REST.
func lastMessage(t *testing.T, s *server, instanceID string) model.Message {
	t.Helper()
	var list struct {
		Items []model.Message `json:"items"`
	}
	if code := getJSON(t, s.url+"/api/flow-instances/"+instanceID+"/messages?limit=200", &list); code != http.StatusOK || len(list.Items) == 0 {
		t.Fatalf("messages: %d, %d items", code, len(list.Items))
	}
	return list.Items[len(list.Items)-1]
}

func TestRunLeaseFlag(t *testing.T) {
	t.Parallel()
	c, _, err := parseConfig("serve", nil, envOf(nil), io.Discard, nil)
	if err != nil || c.RunLease != 30*time.Second {
		t.Fatalf("default run lease: %v, %v", c.RunLease, err)
	}
	c, _, err = parseConfig("serve", nil, envOf(map[string]string{"SUPEREGO_RUN_LEASE": "2s"}), io.Discard, nil)
	if err != nil || c.RunLease != 2*time.Second {
		t.Fatalf("SUPEREGO_RUN_LEASE=2s: %v, %v", c.RunLease, err)
	}
	for _, bad := range [][]string{{"--run-lease", "0"}, {"--run-lease", "-1s"}, {"--run-lease", "soon"}} {
		if _, _, err := parseConfig("serve", bad, envOf(nil), io.Discard, nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, _, err := parseConfig("serve", nil, envOf(map[string]string{"SUPEREGO_RUN_LEASE": "soon"}), io.Discard, nil); err == nil ||
		!strings.Contains(err.Error(), "SUPEREGO_RUN_LEASE") {
		t.Errorf("bad SUPEREGO_RUN_LEASE: %v", err)
	}
}

// TestMigrate: `superego migrate` brings an empty database's schema up to
// date and exits without serving; a second run finds nothing to do; a
// database it cannot reach is a clear failure that keeps the URL's
// password out of the output.
func TestMigrate(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	migrate := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // safety net only
		defer cancel()
		cmd := exec.CommandContext(ctx, binPath, append([]string{"migrate"}, args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := migrate("--database-url", url)
	if err != nil || !strings.Contains(out, "applied migration") || !strings.Contains(out, "migrations applied") {
		t.Fatalf("first migrate: %v\n%s", err, out)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	var tables int
	if err := conn.QueryRow(t.Context(),
		`SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ('runs', 'run_events', 'constitutions')`,
	).Scan(&tables); err != nil || tables != 3 {
		t.Fatalf("tables after migrate: %d, %v", tables, err)
	}
	// migrate does not seed: that is the first serve's job.
	var seeded int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM constitutions`).Scan(&seeded); err != nil || seeded != 0 {
		t.Fatalf("constitutions after migrate: %d, %v", seeded, err)
	}

	out, err = migrate("--database-url", url)
	if err != nil || strings.Contains(out, "applied migration") || !strings.Contains(out, "migrations applied") {
		t.Fatalf("second migrate applied something again: %v\n%s", err, out)
	}

	if out, err := migrate("--database-url", url, "extra"); err == nil || !strings.Contains(out, "no arguments") {
		t.Errorf("migrate with an argument: %v\n%s", err, out)
	}
	// Port 1 on loopback refuses connections at once.
	const secret = "s3cret-pw"
	out, err = migrate("--database-url", "postgres://postgres:"+secret+"@127.0.0.1:1/x?sslmode=disable&connect_timeout=5")
	if err == nil || !strings.Contains(out, "connect") || strings.Contains(out, secret) {
		t.Errorf("migrate against nothing: %v\n%s", err, out)
	}
	out, err = migrate("--database-url", "postgres://postgres:"+secret+"@127.0.0.1:notaport/x")
	if err == nil || !strings.Contains(out, "cannot be parsed") || strings.Contains(out, secret) {
		t.Errorf("migrate with a bad URL: %v\n%s", err, out)
	}
}

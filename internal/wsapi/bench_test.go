package wsapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/httpapi"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/wsapi"
)

// The load benchmarks run only under `make bench` (go test -bench); they
// are far too heavy for `make test`.

const loadSockets = 1000

// BenchmarkLoad opens 1,000 sockets per server; each iteration every socket
// runs one flow on the demo provider at zero delay (the relay), then again
// through a relay with delta merging turned off, then 1,000 clients receive
// the very frames of such a run from a bare coder/websocket server that only
// writes them (the baseline). All rounds run in the same iteration so their
// ratios are meaningful on a shared machine.
func BenchmarkLoad(b *testing.B) {
	raiseFileLimit(b)
	e := newBenchEnv(b)
	ctx := context.Background()

	instances := make([]string, loadSockets)
	for i := range instances {
		inst, err := e.st.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: e.standard, Name: "load " + strconv.Itoa(i)})
		if err != nil {
			b.Fatal(err)
		}
		instances[i] = inst.ID
	}
	relay := dialMany(b, e.wsURL(), loadSockets)

	// The same relay with merging off (no delta may grow past one byte):
	// every event becomes its own frame, as in the bare baseline.
	unmergedHandler := wsapi.New(wsapi.Config{MaxRunsPerSocket: 4, RateLimit: -1, MergeLimit: 1, PingInterval: benchPingInterval}, e.eng, nil, nil, nil)
	defer unmergedHandler.Close()
	unmergedSrv := httptest.NewServer(unmergedHandler)
	defer unmergedSrv.Close()
	unmerged := dialMany(b, "ws"+strings.TrimPrefix(unmergedSrv.URL, "http"), loadSockets)

	// One run's frames as a fast client receives them, for the baseline.
	frames := recordRun(b, e, instances[0])
	bare := httptest.NewServer(bareServer(frames))
	defer bare.Close()
	bareConns := dialMany(b, "ws"+strings.TrimPrefix(bare.URL, "http"), loadSockets)

	var relayTokens, bareTokens, relayFrames, bareFrames, unmergedTokens, unmergedFrames int
	var relayTime, bareTime, unmergedTime time.Duration
	send := func(i int) any { return sendMessage("load", instances[i], "What is the capital of France?") }
	b.ResetTimer()
	for range b.N {
		n, f, d := round(b, relay, send)
		relayTokens += n
		relayFrames += f
		relayTime += d
		n, f, d = round(b, unmerged, send)
		unmergedTokens += n
		unmergedFrames += f
		unmergedTime += d
		n, f, d = round(b, bareConns, func(int) any { return map[string]any{"type": "ping"} })
		bareTokens += n
		bareFrames += f
		bareTime += d
	}
	b.StopTimer()
	b.ReportMetric(float64(relayFrames)/relayTime.Seconds(), "relay_frames/s")
	b.ReportMetric(float64(bareFrames)/bareTime.Seconds(), "bare_frames/s")
	relayRate := float64(relayTokens) / relayTime.Seconds()
	bareRate := float64(bareTokens) / bareTime.Seconds()
	b.ReportMetric(relayRate, "relay_tokens/s")
	b.ReportMetric(bareRate, "bare_tokens/s")
	unmergedRate := float64(unmergedTokens) / unmergedTime.Seconds()
	b.ReportMetric(relayRate/bareRate, "relay/bare")
	b.ReportMetric(unmergedRate, "unmerged_tokens/s")
	b.ReportMetric(float64(unmergedFrames)/unmergedTime.Seconds(), "unmerged_frames/s")
	b.ReportMetric(unmergedRate/bareRate, "unmerged/bare")
	b.ReportMetric(float64(loadSockets)/(relayTime.Seconds()/float64(b.N)), "relay_runs/s")
	for _, c := range append(append(relay, unmerged...), bareConns...) {
		_ = c.CloseNow()
	}
}

// round has every socket send one request and read until run_finished. It
// returns the token deltas delivered (a merged delta counts for every token
// in it, known from its seq), the frames received and the wall time.
func round(b *testing.B, conns []*websocket.Conn, req func(i int) any) (int, int, time.Duration) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	total, frames := 0, 0
	errs := make(chan error, len(conns))
	start := time.Now()
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, f, err := runOne(c, req(i))
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			total += n
			frames += f
			mu.Unlock()
		}()
	}
	wg.Wait()
	d := time.Since(start)
	close(errs)
	for err := range errs {
		b.Fatalf("load round: %v", err)
	}
	return total, frames, d
}

func runOne(c *websocket.Conn, req any) (tokens, frames int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	data, _ := json.Marshal(req)
	if err := c.Write(ctx, websocket.MessageText, data); err != nil {
		return 0, 0, err
	}
	var prev int64
	for {
		_, msg, err := c.Read(ctx)
		if err != nil {
			return 0, 0, err
		}
		frames++
		var ev struct {
			Type string `json:"type"`
			Seq  int64  `json:"seq"`
			Code string `json:"code"`
		}
		if err := json.Unmarshal(msg, &ev); err != nil {
			return 0, 0, err
		}
		switch ev.Type {
		case wsapi.TypeError:
			return 0, 0, fmt.Errorf("error frame %s", msg)
		case events.TypeSuperegoThinking, events.TypeSuperegoToken, events.TypeAssistantToken:
			tokens += int(ev.Seq - prev)
		case events.TypeRunFinished:
			return tokens, frames, nil
		}
		if ev.Seq > 0 {
			prev = ev.Seq
		}
	}
}

// recordRun runs one flow and returns the frames a fast client gets: an
// accepted frame, then every event of the run, unmerged.
func recordRun(b *testing.B, e *env, instance string) [][]byte {
	run, err := e.eng.Send(context.Background(), instance, "What is the capital of France?")
	if err != nil {
		b.Fatal(err)
	}
	sub, err := e.eng.Subscribe(context.Background(), run.ID, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	acc, _ := json.Marshal(events.Event{Type: events.TypeAccepted, TS: time.Now().UTC(), RequestID: "load", RunIDs: []string{run.ID}})
	frames := [][]byte{acc}
	for {
		evs, err := sub.Next(context.Background())
		if err != nil {
			break
		}
		for _, ev := range evs {
			f, _ := json.Marshal(ev)
			frames = append(frames, f)
		}
	}
	return frames
}

// bareServer answers every client frame by writing frames, with nothing in
// between: the cost of the WebSocket itself.
func bareServer(frames [][]byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer func() { _ = c.CloseNow() }()
		ctx := r.Context()
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
			for _, f := range frames {
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := c.Write(wctx, websocket.MessageText, f)
				cancel()
				if err != nil {
					return
				}
			}
		}
	})
}

func dialMany(b *testing.B, url string, n int) []*websocket.Conn {
	conns := make([]*websocket.Conn, n)
	sem := make(chan struct{}, 64) // stay under the listen backlog
	var wg sync.WaitGroup
	var failed error
	var mu sync.Mutex
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, resp, err := websocket.Dial(context.Background(), url, nil)
			closeBody(resp)
			if err != nil {
				mu.Lock()
				failed = err
				mu.Unlock()
				return
			}
			c.SetReadLimit(-1)
			conns[i] = c
		}()
	}
	wg.Wait()
	if failed != nil {
		b.Fatalf("dial: %v", failed)
	}
	return conns
}

// newBenchEnv builds the same environment as the tests (real SQLite, demo
// provider at zero delay) for a benchmark.
// The load clients read only during a round, so they answer no WebSocket
// ping while the others are set up; pinging (every 30 s by default) would
// drop them on a loaded machine.
const benchPingInterval = time.Hour

func newBenchEnv(b *testing.B) *env {
	return newEnv(b, envOpts{ws: wsapi.Config{MaxRunsPerSocket: 4, RateLimit: -1, PingInterval: benchPingInterval}})
}

func raiseFileLimit(tb testing.TB) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Fatal(err)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Fatal(err)
	}
}

const idleSockets = 10000

// BenchmarkIdleSocketHeap measures the server's memory per idle socket with
// 10,000 sockets, against a bare coder/websocket server whose handler only
// blocks in Read. The clients live in a child process (this test binary
// re-run as TestIdleClientsHelper) so each process stays within its file
// descriptor limit.
func BenchmarkIdleSocketHeap(b *testing.B) {
	raiseFileLimit(b)
	// Behind the REST API's middleware, as the server mounts it: the
	// handshake's stack is the server's, not this test's.
	e := newEnv(b, envOpts{ws: wsapi.Config{MaxRunsPerSocket: 4, RateLimit: -1, PingInterval: benchPingInterval}, handler: func(e *env) http.Handler {
		api := httpapi.New(httpapi.Config{}, httpapi.Deps{Store: e.st, Bus: e.bus})
		api.HandlePublic("GET /api/ws", e.h)
		return api.Handler()
	}})
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer func() { _ = c.CloseNow() }()
		for {
			if _, _, err := c.Read(r.Context()); err != nil {
				return
			}
		}
	}))
	defer bare.Close()
	b.ResetTimer()
	var relay, base float64
	for range b.N {
		relay = idleBytesPerSocket(b, e.wsURL(), true)
		base = idleBytesPerSocket(b, "ws"+strings.TrimPrefix(bare.URL, "http"), false)
	}
	b.ReportMetric(relay, "relay_bytes/socket")
	b.ReportMetric(base, "bare_bytes/socket")
	b.ReportMetric(relay/base, "relay/bare")
}

// idleBytesPerSocket returns the growth of heap plus goroutine stacks per
// socket once idleSockets clients are connected (and, for the relay, have
// each had a pong, so their sessions are fully set up).
func idleBytesPerSocket(b *testing.B, url string, ping bool) float64 {
	before := memInUse()
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClientsHelper$")
	cmd.Env = append(os.Environ(), "WSAPI_IDLE_URL="+url, "WSAPI_IDLE_N="+strconv.Itoa(idleSockets), "WSAPI_IDLE_PING="+strconv.FormatBool(ping))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	ready := false
	for sc.Scan() {
		if sc.Text() == "ready" {
			ready = true
			break
		}
	}
	if !ready {
		_ = cmd.Wait()
		b.Fatal("idle client helper failed")
	}
	after := memInUse()
	_ = stdin.Close() // the helper exits and its sockets close
	go func() {
		for sc.Scan() {
		}
	}()
	_ = cmd.Wait()
	return float64(after-before) / idleSockets
}

func memInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// TestIdleClientsHelper is the client side of BenchmarkIdleSocketHeap; it
// does nothing unless started by it.
func TestIdleClientsHelper(t *testing.T) {
	url := os.Getenv("WSAPI_IDLE_URL")
	if url == "" {
		t.Skip("helper process for BenchmarkIdleSocketHeap")
	}
	raiseFileLimit(t)
	n, _ := strconv.Atoi(os.Getenv("WSAPI_IDLE_N"))
	ping := os.Getenv("WSAPI_IDLE_PING") == "true"
	conns := make([]*websocket.Conn, n)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c, resp, err := websocket.Dial(ctx, url, nil)
			closeBody(resp)
			if err != nil {
				t.Errorf("dial %d: %v", i, err)
				return
			}
			conns[i] = c
			if ping {
				if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
					t.Errorf("ping %d: %v", i, err)
					return
				}
				if _, _, err := c.Read(ctx); err != nil {
					t.Errorf("pong %d: %v", i, err)
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	fmt.Println("ready")
	buf := make([]byte, 1)
	_, _ = os.Stdin.Read(buf) // until the benchmark closes stdin
	for _, c := range conns {
		_ = c.CloseNow()
	}
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
)

// binPath is the superego binary built once for the process-level tests.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "superego-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "superego")
	build := exec.Command("go", "build", "-race", "-o", binPath, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building superego:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running `superego serve` process.
type server struct {
	cmd     *exec.Cmd
	url     string
	exited  chan struct{} // closed once the process has been waited for
	waitErr error
	logMu   sync.Mutex
	logs    strings.Builder
}

func (s *server) log() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.logs.String()
}

var listenRE = regexp.MustCompile(`url=(http://[0-9.:]+)`)

// startServer runs the binary on a free port with the given data dir and
// waits for its "listening" log line.
func startServer(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	return startServerEnv(t, dataDir, nil, extra...)
}

// startServerEnv is startServer with env added to the process's
// environment.
func startServerEnv(t *testing.T, dataDir string, env []string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--demo-delay", "0"}, extra...)
	cmd := exec.Command(binPath, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, exited: make(chan struct{})}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			s.logMu.Lock()
			s.logs.WriteString(line + "\n")
			s.logMu.Unlock()
			if m := listenRE.FindStringSubmatch(line); m != nil && !sent {
				urlc <- m[1]
				sent = true
			}
		}
		close(urlc)
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // harmless when it already exited
		<-s.exited
	})
	u, ok := <-urlc
	if !ok {
		<-s.exited
		t.Fatalf("server exited before listening: %v\n%s", s.waitErr, s.log())
	}
	s.url = u
	return s
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-s.exited
	if s.waitErr != nil {
		t.Fatalf("server did not exit cleanly: %v\n%s", s.waitErr, s.log())
	}
}

func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v: %s", url, err, b)
		}
	}
	return resp.StatusCode
}

func TestServeSeedsRestartsAndShutsDownCleanly(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := startServer(t, data)

	var health map[string]any
	if code := getJSON(t, s.url+"/api/health", &health); code != 200 {
		t.Fatalf("health: %d", code)
	}
	var c struct {
		ID        string `json:"id"`
		Protected bool   `json:"protected"`
	}
	if code := getJSON(t, s.url+"/api/constitutions/default", &c); code != 200 || !c.Protected {
		t.Fatalf("seeded default constitution: %d %+v", code, c)
	}
	// A user deletes a seed; it must stay deleted after a restart.
	req, _ := http.NewRequest(http.MethodDelete, s.url+"/api/constitutions/strict", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete strict: %d", resp.StatusCode)
	}
	var models map[string]any
	if code := getJSON(t, s.url+"/api/models", &models); code != 200 || models["demo"] != true {
		t.Fatalf("models: %d %v", code, models)
	}
	s.stop(t)

	s2 := startServer(t, data)
	if code := getJSON(t, s2.url+"/api/constitutions/strict", nil); code != http.StatusNotFound {
		t.Fatalf("deleted seed came back after restart: %d", code)
	}
	if code := getJSON(t, s2.url+"/api/constitutions/default", nil); code != 200 {
		t.Fatalf("default gone after restart: %d", code)
	}
	if code := getJSON(t, s2.url+"/metrics", nil); code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	s2.stop(t)
}

func TestServeRequiresTokenWhenConfigured(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), "--api-token", "s3cret")
	if code := getJSON(t, s.url+"/api/health", nil); code != 200 {
		t.Fatalf("health must stay open: %d", code)
	}
	if code := getJSON(t, s.url+"/api/constitutions", nil); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	req, _ := http.NewRequest(http.MethodGet, s.url+"/api/constitutions", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("with token: %d", resp.StatusCode)
	}
	s.stop(t)
	if strings.Contains(s.log(), "s3cret") {
		t.Fatal("the API token appeared in the server log")
	}
}

func TestChatRunsOneTurn(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	data := t.TempDir()
	for _, tc := range []struct {
		msg, want string
		code      int
	}{
		{"What is a good name for a cat?", "ALLOW", 0},
		{"How do I build a bomb?", "BLOCK", 3},
	} {
		out, err := exec.CommandContext(ctx, binPath, "chat", "--data-dir", data, "--demo-delay", "0",
			"--config", "standard", tc.msg).CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("chat: %v\n%s", err, out)
		}
		if code != tc.code {
			t.Fatalf("chat %q exited %d, want %d:\n%s", tc.msg, code, tc.code, out)
		}
		if !strings.Contains(string(out), tc.want) || !strings.Contains(string(out), "demo") {
			t.Fatalf("chat %q: want %s in output:\n%s", tc.msg, tc.want, out)
		}
	}
}

// A restart (SIGTERM) mid-answer lets the answer finish: the socket streams
// it to the end, the process then exits cleanly, and the next server holds
// the complete answer.
func TestSIGTERMLetsAnswersInFlightFinish(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	data := t.TempDir()
	s := startServer(t, data, "--demo-delay", "20ms")
	inst := newInstance(t, s)
	w := dialWS(t, ctx, s)
	w.send(t, ctx, map[string]any{"type": "send_message", "request_id": "r1", "flow_instance_id": inst, "content": "Tell me about tea."})
	w.readUntil(t, ctx, func(ev events.Event) bool { return ev.Type == events.TypeAssistantToken })

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	evs := w.readUntil(t, ctx, func(ev events.Event) bool { return ev.Type == events.TypeRunFinished })
	if last := evs[len(evs)-1]; last.Status != model.RunCompleted {
		t.Fatalf("run ended %q (%s) after SIGTERM, want completed", last.Status, last.Error)
	}
	// Then (after any notices) the server says goodbye (1001) and exits.
	for {
		_, _, err := w.c.Read(ctx)
		if err == nil {
			continue
		}
		if websocket.CloseStatus(err) != websocket.StatusGoingAway {
			t.Fatalf("after the last run event: %v, want a 1001 close", err)
		}
		break
	}
	<-s.exited
	if s.waitErr != nil {
		t.Fatalf("server did not exit cleanly: %v\n%s", s.waitErr, s.log())
	}

	s2 := startServer(t, data)
	m := lastMessage(t, s2, inst)
	if m.Role != model.RoleAssistant || m.Status != model.MessageComplete || m.Content != joinAssistant(w.seen) {
		t.Fatalf("after the restart the last message is %s/%s %q, want the complete streamed answer %q",
			m.Role, m.Status, m.Content, joinAssistant(w.seen))
	}
	s2.stop(t)
}

// TestServeHostsAndMetricsAddr: a foreign Host is refused before any
// handler, a name given in --allowed-hosts is served, and with
// --metrics-addr /metrics moves to its own listener (no token there) and
// is gone from beside the API.
func TestServeHostsAndMetricsAddr(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir(), "--api-token", "tok", "--metrics-addr", "127.0.0.1:0", "--allowed-hosts", "lab.example")
	m := regexp.MustCompile(`metrics_url=(http://[0-9.:]+/metrics)`).FindStringSubmatch(s.log())
	if m == nil {
		t.Fatalf("no metrics listening line:\n%s", s.log())
	}
	status := func(url, host string) int {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Host = host
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	port := s.url[strings.LastIndex(s.url, ":"):]
	if code := status(s.url+"/api/constitutions", "evil.example"+port); code != http.StatusMisdirectedRequest {
		t.Fatalf("foreign host: %d", code)
	}
	if code := status(s.url+"/api/constitutions", "lab.example"+port); code != http.StatusOK {
		t.Fatalf("allowed host: %d", code)
	}
	if code := getJSON(t, m[1], nil); code != http.StatusOK {
		t.Fatalf("metrics on --metrics-addr: %d", code)
	}
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if strings.Contains(string(b), "superego_http_requests_total") {
		t.Fatal("metrics still served beside the API")
	}
	s.stop(t)
}

// A bad key fails the run (exit 4, the provider's message on stderr)
// rather than passing for a superego block.
func TestChatExitCodeOfABadKey(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`)
	}))
	defer up.Close()
	cmd := exec.CommandContext(ctx, binPath, "chat", "--data-dir", t.TempDir(), "--provider", "anthropic",
		"--base-url", up.URL, "--config", "standard", "Hello")
	cmd.Env = append(os.Environ(), "ANTHROPIC_API_KEY=sk-ant-bad-0123456789")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 4 {
		t.Fatalf("chat: %v, want exit 4:\n%s", err, out)
	}
	if !strings.Contains(string(out), "invalid x-api-key") || strings.Contains(string(out), "sk-ant-bad") {
		t.Fatalf("output:\n%s", out)
	}
}

// TestServeRecordsProfileAndTrace: SUPEREGO_CPU_PROFILE and SUPEREGO_TRACE
// make serve write a CPU profile (gzip-compressed protobuf) and a runtime
// trace of its whole life; a file that cannot be created stops the server
// at start with the setting named.
func TestServeRecordsProfileAndTrace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	prof, tr := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "run.trace")
	s := startServerEnv(t, t.TempDir(), []string{"SUPEREGO_CPU_PROFILE=" + prof, "SUPEREGO_TRACE=" + tr})
	if code := getJSON(t, s.url+"/api/health", nil); code != 200 {
		t.Fatalf("health: %d", code)
	}
	s.stop(t)
	for file, head := range map[string]string{prof: "\x1f\x8b", tr: "go 1."} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 64 || !strings.HasPrefix(string(b), head) {
			t.Errorf("%s: %d bytes starting %q, want more, starting %q", filepath.Base(file), len(b), b[:min(len(b), 8)], head)
		}
	}

	for _, env := range []string{"SUPEREGO_CPU_PROFILE", "SUPEREGO_TRACE"} {
		cmd := exec.Command(binPath, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), env + "=" + filepath.Join(dir, "missing", "file")}
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), env+":") {
			t.Errorf("%s in a missing directory: %v, output:\n%s", env, err, out)
		}
	}
}

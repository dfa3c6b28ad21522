// Command wsload puts load on a running Superego server through its
// WebSocket: it creates one flow instance per socket over REST, opens the
// sockets, has each run a flow and reports delivered tokens per second,
// frames, errors and latencies. Run the server with the demo provider
// (for example `superego serve --demo-delay 0`) to measure the server
// rather than a model.
//
//	go run ./cmd/wsload -url http://127.0.0.1:8000 -sockets 500 -runs 2
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

type options struct {
	url, token, config, content string
	sockets, runs, dialers      int
	keep                        bool
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8000", "server base URL")
	flag.StringVar(&o.token, "token", os.Getenv("SUPEREGO_API_TOKEN"), "API token, if the server requires one")
	flag.StringVar(&o.config, "config", "standard", "flow config of the instances to create")
	flag.StringVar(&o.content, "content", "What is the capital of France?", "user message each run sends")
	flag.IntVar(&o.sockets, "sockets", 100, "concurrent sockets")
	flag.IntVar(&o.runs, "runs", 1, "runs per socket, one after another")
	flag.IntVar(&o.dialers, "dialers", 64, "sockets opened at once while connecting")
	flag.BoolVar(&o.keep, "keep", false, "keep the created flow instances instead of deleting them")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "wsload:", err)
		os.Exit(1)
	}
}

// result is what one socket measured.
type result struct {
	tokens, frames int
	firstToken     []time.Duration
	total          []time.Duration
	err            error
}

func run(ctx context.Context, o options) error {
	base := strings.TrimRight(o.url, "/")
	instances := make([]string, o.sockets)
	for i := range instances {
		id, err := createInstance(ctx, base, o, i)
		if err != nil {
			return fmt.Errorf("create instance %d: %w", i, err)
		}
		instances[i] = id
	}
	if !o.keep {
		defer func() {
			for _, id := range instances {
				_ = rest(ctx, http.MethodDelete, base+"/api/flow-instances/"+id, o.token, nil, nil)
			}
		}()
	}

	conns := make([]*websocket.Conn, o.sockets)
	sem := make(chan struct{}, o.dialers)
	var wg sync.WaitGroup
	var dialErr error
	var mu sync.Mutex
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/api/ws"
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			h := http.Header{}
			if o.token != "" {
				h.Set("Authorization", "Bearer "+o.token)
			}
			c, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: h, Subprotocols: []string{"superego.v1"}})
			if resp != nil && resp.Body != nil {
				_ = resp.Body.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				dialErr = err
				return
			}
			c.SetReadLimit(-1)
			conns[i] = c
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				_ = c.Close(websocket.StatusNormalClosure, "")
			}
		}
	}()
	if dialErr != nil {
		return fmt.Errorf("dial: %w", dialErr)
	}

	results := make([]result, o.sockets)
	start := time.Now()
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = drive(ctx, c, instances[i], o)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	return report(os.Stdout, results, elapsed, o)
}

// drive runs o.runs flows on one socket, one after another.
func drive(ctx context.Context, c *websocket.Conn, instance string, o options) result {
	var r result
	for n := range o.runs {
		req, _ := json.Marshal(map[string]any{"type": "send_message", "request_id": fmt.Sprint(n), "flow_instance_id": instance, "content": o.content})
		sent := time.Now()
		if err := c.Write(ctx, websocket.MessageText, req); err != nil {
			r.err = err
			return r
		}
		var prev int64
		first := time.Duration(0)
		for done := false; !done; {
			_, msg, err := c.Read(ctx)
			if err != nil {
				r.err = err
				return r
			}
			r.frames++
			var ev struct {
				Type, Code, Status string
				Seq                int64
				// A string in error frames, an object in others.
				Message json.RawMessage
			}
			if err := json.Unmarshal(msg, &ev); err != nil {
				r.err = err
				return r
			}
			switch ev.Type {
			case "error":
				r.err = fmt.Errorf("error frame %s: %s", ev.Code, string(ev.Message))
				return r
			case "superego_thinking", "superego_token", "assistant_token":
				r.tokens += int(ev.Seq - prev)
				if first == 0 && ev.Type == "assistant_token" {
					first = time.Since(sent)
				}
			case "run_finished":
				if ev.Status != "completed" && ev.Status != "blocked" {
					r.err = fmt.Errorf("run ended %s", ev.Status)
					return r
				}
				done = true
			}
			if ev.Seq > 0 {
				prev = ev.Seq
			}
		}
		r.firstToken = append(r.firstToken, first)
		r.total = append(r.total, time.Since(sent))
	}
	return r
}

func report(w io.Writer, results []result, elapsed time.Duration, o options) error {
	var tokens, frames, failed int
	var first, total []time.Duration
	var firstErr error
	for _, r := range results {
		tokens += r.tokens
		frames += r.frames
		first = append(first, r.firstToken...)
		total = append(total, r.total...)
		if r.err != nil {
			failed++
			if firstErr == nil {
				firstErr = r.err
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sockets %d, runs %d, failed sockets %d, elapsed %s\n", o.sockets, len(total), failed, elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "tokens %d (%.0f/s), frames %d (%.0f/s)\n", tokens, float64(tokens)/elapsed.Seconds(), frames, float64(frames)/elapsed.Seconds())
	fmt.Fprintf(&b, "first token p50 %s p99 %s; run p50 %s p99 %s\n", pct(first, 50), pct(first, 99), pct(total, 50), pct(total, 99))
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if firstErr != nil {
		return fmt.Errorf("%d sockets failed, first: %w", failed, firstErr)
	}
	return nil
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)*p/100].Round(time.Millisecond)
}

func createInstance(ctx context.Context, base string, o options, i int) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	body := map[string]any{"flow_config_id": o.config, "name": fmt.Sprintf("wsload %d", i)}
	if err := rest(ctx, http.MethodPost, base+"/api/flow-instances", o.token, body, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", errors.New("no id in the response")
	}
	return out.ID, nil
}

// rest sends one JSON request and decodes a 2xx answer into out.
func rest(ctx context.Context, method, url, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, bytes.TrimSpace(msg))
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

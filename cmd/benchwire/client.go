package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// user is one simulated person: a socket and the conversation it is in.
type user struct {
	conn     *websocket.Conn
	instance string
}

// runResult is what one run looked like from its socket.
type runResult struct {
	firstToken time.Duration // from sending to the first assistant_token
	tokens     int           // deltas delivered (a merged delta counts all of its tokens)
	frames     [][]byte      // the frames, when recorded
	err        error
}

var restClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// newUsers creates n conversations on the flow config over REST (none on a
// bare server: base == ""), then opens n sockets to wsURL, each following
// its own conversation only.
func newUsers(ctx context.Context, base, wsURL, config string, n int) ([]*user, error) {
	users := make([]*user, n)
	for i := range users {
		users[i] = &user{instance: fmt.Sprintf("bare-%d", i)}
	}
	if base != "" {
		if err := parallel(n, func(i int) error {
			id, err := createInstance(ctx, base, config, fmt.Sprintf("benchwire %d", i))
			users[i].instance = id
			return err
		}); err != nil {
			return nil, err
		}
	}
	if err := parallel(n, func(i int) error { return users[i].dial(ctx, wsURL) }); err != nil {
		closeUsers(users)
		return nil, err
	}
	return users, nil
}

// parallel calls f for 0..n-1, 32 at a time, and returns the first error.
func parallel(n int, f func(int) error) error {
	errs := make(chan error, n)
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(i); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func (u *user) dial(ctx context.Context, wsURL string) error {
	c, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{Subprotocols: []string{"superego.v1"}})
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	c.SetReadLimit(-1)
	u.conn = c
	sub, _ := json.Marshal(map[string]any{"type": "subscribe", "resources": []string{}, "flow_instance_ids": []string{u.instance}})
	return c.Write(ctx, websocket.MessageText, sub)
}

func closeUsers(users []*user) {
	for _, u := range users {
		if u != nil && u.conn != nil {
			_ = u.conn.CloseNow()
		}
	}
}

// run sends one message and reads the socket until the run's end.
func (u *user) run(ctx context.Context, content string, record bool) runResult {
	var r runResult
	req, _ := json.Marshal(map[string]any{"type": "send_message", "request_id": "r", "flow_instance_id": u.instance, "content": content})
	sent := time.Now()
	if err := u.conn.Write(ctx, websocket.MessageText, req); err != nil {
		r.err = err
		return r
	}
	var prev int64
	for {
		_, msg, err := u.conn.Read(ctx)
		if err != nil {
			r.err = err
			return r
		}
		if record {
			r.frames = append(r.frames, msg)
		}
		var ev struct {
			Type, Code, Status string
			Seq                int64
			Message            json.RawMessage
		}
		if err := json.Unmarshal(msg, &ev); err != nil {
			r.err = err
			return r
		}
		switch ev.Type {
		case "error":
			r.err = fmt.Errorf("error frame %s: %s", ev.Code, ev.Message)
			return r
		case "superego_thinking", "superego_token", "assistant_token":
			r.tokens += int(ev.Seq - prev)
			if r.firstToken == 0 && ev.Type == "assistant_token" {
				r.firstToken = time.Since(sent)
			}
		case "run_finished":
			if ev.Status != "completed" && ev.Status != "blocked" {
				r.err = fmt.Errorf("run ended %s", ev.Status)
			}
			return r
		}
		if ev.Seq > 0 {
			prev = ev.Seq
		}
	}
}

func createInstance(ctx context.Context, base, config, name string) (string, error) {
	b, _ := json.Marshal(map[string]any{"flow_config_id": config, "name": name})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/flow-instances", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := restClient.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	var out struct {
		ID string `json:"id"`
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return "", fmt.Errorf("create instance: %s: %s", resp.Status, msg)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.ID == "" {
		return "", errors.New("create instance: no id in the answer")
	}
	return out.ID, nil
}

func wsURL(base string) string { return "ws" + strings.TrimPrefix(base, "http") + "/api/ws" }

// pct returns the p-th percentile (nearest rank) of d.
func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// loadAverage is the 1-minute load average, for the record.
func loadAverage() string {
	b, err := readFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func micros(d time.Duration) string {
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

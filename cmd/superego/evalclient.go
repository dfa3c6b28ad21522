package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/superego-lab/superego/internal/evals"
)

// evalClient speaks the REST API for `superego eval`. Both modes use it:
// against a running server over the network, or in-process against this
// process's own handler through an in-memory pipe (pipeListener), so the
// two modes cannot drift apart in what they ask or how they read it.
type evalClient struct {
	base  string
	token string
	http  *http.Client
}

// apiError is a problem+json answer, shown as its detail and the fields it
// names.
type apiError struct {
	Status int
	Detail string
	Fields []string
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("server answered %d", e.Status)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if len(e.Fields) > 0 {
		msg += " (" + strings.Join(e.Fields, "; ") + ")"
	}
	return msg
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (c *evalClient) do(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	return nil
}

// send sends a request and returns a 2xx response; any other status is an
// *apiError.
func (c *evalClient) send(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 300 {
		return resp, nil
	}
	defer func() { _ = resp.Body.Close() }()
	var p struct {
		Detail string `json:"detail"`
		Errors []struct {
			Location string `json:"location"`
			Message  string `json:"message"`
		} `json:"errors"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = json.Unmarshal(raw, &p)
	e := &apiError{Status: resp.StatusCode, Detail: p.Detail}
	for _, f := range p.Errors {
		e.Fields = append(e.Fields, f.Location+": "+f.Message)
	}
	if e.Detail == "" && len(e.Fields) == 0 {
		e.Detail = strings.TrimSpace(string(raw))
	}
	return nil, e
}

// named is the part of a resource the CLI resolves references with.
type named struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version int    `json:"version"`
}

// resolve finds a resource of a collection (e.g. "/api/flow-configs") by
// id, then by case-insensitive name.
func (c *evalClient) resolve(ctx context.Context, collection, what, ref string) (named, error) {
	var n named
	err := c.do(ctx, http.MethodGet, collection+"/"+url.PathEscape(ref), nil, &n)
	var ae *apiError
	if err == nil {
		return n, nil
	} else if !errors.As(err, &ae) || (ae.Status != http.StatusNotFound && ae.Status != http.StatusUnprocessableEntity) {
		return n, err
	}
	for cursor := ""; ; {
		var page struct {
			Items      []named `json:"items"`
			NextCursor string  `json:"next_cursor"`
		}
		if err := c.do(ctx, http.MethodGet, collection+"?limit=200&cursor="+url.QueryEscape(cursor), nil, &page); err != nil {
			return n, err
		}
		for _, it := range page.Items {
			if strings.EqualFold(it.Name, ref) {
				return it, nil
			}
		}
		if page.NextCursor == "" {
			return n, &exitError{exitUsage, fmt.Sprintf("no %s with id or name %q", what, ref)}
		}
		cursor = page.NextCursor
	}
}

// follow reads the eval's event stream until it ends, calling progress on
// each progress message, and returns the last state seen.
func (c *evalClient) follow(ctx context.Context, id string, progress func(evals.EvalRun)) (evals.EvalRun, error) {
	var last evals.EvalRun
	resp, err := c.send(ctx, http.MethodGet, "/api/eval-runs/"+url.PathEscape(id)+"/events", nil)
	if err != nil {
		return last, err
	}
	defer func() { _ = resp.Body.Close() }()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20) // a row carries the superego's thinking
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = v
			continue
		}
		v, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		switch event {
		case "progress":
			if err := json.Unmarshal([]byte(v), &last); err != nil {
				return last, fmt.Errorf("eval progress: %w", err)
			}
			progress(last)
		case "error":
			return last, fmt.Errorf("eval event stream: %s", v)
		}
	}
	if err := sc.Err(); err != nil {
		return last, err
	}
	return last, ctx.Err()
}

// pipeListener is a net.Listener whose connections are in-memory pipes
// made by its dial: the in-process mode serves the API to itself without
// opening a port another local user could reach.
type pipeListener struct {
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	server, client := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "in-process" }

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// fastMarker in a request makes the fake upstream answer at once: the
// history benchmark builds its long conversation with it.
const fastMarker = "benchwire-fast"

// serveBaseline serves one of the baselines (or the fake upstream) until
// the process is stopped.
func serveBaseline(_ context.Context, mode, listen, file string, firstChunk time.Duration) error {
	var h http.Handler
	switch mode {
	case "bare-ws":
		frames, err := readFrames(file)
		if err != nil {
			return err
		}
		h = bareWS(frames)
	case "bare-rest":
		body, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		h = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})
	case "upstream":
		h = fakeOpenAI(firstChunk)
	default:
		return fmt.Errorf("unknown -serve mode %q", mode)
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	fmt.Println("listening http://" + l.Addr().String())
	return (&http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}).Serve(l)
}

// bareWS is the baseline of the relay: a coder/websocket server that
// answers every send_message with the recorded frames of one real run, with
// no engine, store or send queue.
func bareWS(frames [][]byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"superego.v1"}})
		if err != nil {
			return
		}
		defer func() { _ = c.CloseNow() }()
		ctx := context.WithoutCancel(r.Context())
		for {
			_, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			if !bytes.Contains(msg, []byte(`"send_message"`)) {
				continue
			}
			for _, f := range frames {
				if err := c.Write(ctx, websocket.MessageText, f); err != nil {
					return
				}
			}
		}
	})
}

func readFrames(file string) ([][]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	return out, sc.Err()
}

// upstreamTokens are the answer's chunks.
var upstreamTokens = []string{"The", " capital", " of", " France", " is", " Paris", ".", " It", " is", " lovely."}

// fakeOpenAI speaks the OpenAI chat completions stream: after firstChunk
// (none for a request carrying fastMarker) the role and first token, then
// the other tokens, the finish reason, usage and [DONE], each flushed.
func fakeOpenAI(firstChunk time.Duration) http.Handler {
	chunk := func(delta string) string {
		return `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1732526400,"model":"bench","choices":[{"index":0,"delta":` + delta + `,"finish_reason":null}]}` + "\n\n"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			http.NotFound(w, r)
			return
		}
		if !bytes.Contains(body, []byte(fastMarker)) {
			time.Sleep(firstChunk) // the model's fixed time to its first chunk
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl, _ := w.(http.Flusher)
		write := func(s string) {
			_, _ = io.WriteString(w, s)
			if fl != nil {
				fl.Flush()
			}
		}
		write(chunk(`{"role":"assistant","content":""}`) + chunk(fmt.Sprintf(`{"content":%q}`, upstreamTokens[0])))
		for _, t := range upstreamTokens[1:] {
			write(chunk(fmt.Sprintf(`{"content":%q}`, t)))
		}
		write(`data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1732526400,"model":"bench","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n")
		write(`data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1732526400,"model":"bench","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":10,"total_tokens":30}}` + "\n\n")
		write("data: [DONE]\n\n")
	})
}

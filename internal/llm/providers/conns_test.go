package providers

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/superego-lab/superego/internal/llm"
)

// sseAnswer is a whole streamed answer: a role chunk, one token, the stop
// and the terminator, each flushed on its own as a model's server does.
var sseAnswer = []string{
	`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n",
	`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}` + "\n\n",
	`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\n",
	"data: [DONE]\n\n",
}

// connCountingUpstream serves sseAnswer, holding each burst of calls until
// all of them have arrived (arrive, when set), and counts the connections
// opened to it.
func connCountingUpstream(t *testing.T, arrive func()) (*httptest.Server, *atomic.Int64) {
	var dials atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if arrive != nil {
			arrive()
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		for _, s := range sseAnswer {
			_, _ = io.WriteString(w, s)
			fl.Flush()
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &dials
}

func answer(t *testing.T, p llm.Provider) {
	t.Helper()
	var text string
	err := p.Stream(context.Background(), llm.Request{Model: "m", Messages: []llm.Message{{Role: "user", Content: "hello"}}, Purpose: llm.PurposeAssistant},
		func(ev llm.Event) error {
			if ev.Kind == llm.KindText {
				text += ev.Delta
			}
			return nil
		})
	if err != nil || text != "Hi" {
		t.Errorf("answer %q, %v; want Hi", text, err)
	}
}

// One call after another reuses one connection: a stream read to its
// terminator leaves the connection to the next call, even when the end of
// the response body comes in a packet after the terminator.
func TestCallsOneAfterAnotherReuseOneConnection(t *testing.T) {
	t.Parallel()
	srv, dials := connCountingUpstream(t, nil)
	cat, err := Setup(llm.Config{BaseURL: srv.URL + "/v1", MaxAttempts: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		answer(t, cat.Provider)
	}
	if n := dials.Load(); n != 1 {
		t.Fatalf("%d connections for 20 calls one after another, want 1", n)
	}
}

// With --max-upstream above Go's default of 2 idle connections per host,
// a second burst of that many concurrent calls reuses the first burst's
// connections.
func TestMaxConnsConcurrentCallsReuseTheirConnections(t *testing.T) {
	t.Parallel()
	const calls = 3 * llm.DefaultIdleConnsPerHost
	var arrived sync.WaitGroup
	var mu sync.Mutex
	release := make(chan struct{})
	srv, dials := connCountingUpstream(t, func() {
		mu.Lock()
		r := release
		mu.Unlock()
		arrived.Done()
		<-r
	})
	cat, err := Setup(llm.Config{BaseURL: srv.URL + "/v1", MaxConns: calls, MaxAttempts: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		arrived.Add(calls)
		var done sync.WaitGroup
		for range calls {
			done.Add(1)
			go func() {
				defer done.Done()
				answer(t, cat.Provider)
			}()
		}
		arrived.Wait()
		mu.Lock()
		close(release)
		release = make(chan struct{})
		mu.Unlock()
		done.Wait()
	}
	if n := dials.Load(); n != calls {
		t.Fatalf("%d connections for two bursts of %d concurrent calls, want %d", n, calls, calls)
	}
}

package llm

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// After a burst of concurrent calls, the next burst of as many reuses the
// connections instead of dialing again.
func TestPooledClientReusesConnectionsForConcurrentCalls(t *testing.T) {
	t.Parallel()
	const calls = 24
	for _, tc := range []struct {
		name string
		hc   *http.Client
		want int64
	}{
		{"pooled for the calls", NewPooledHTTPClient(0, calls), calls},
		// The same burst through Go's default of 2 idle connections per
		// host dials again: this is what the pooled client avoids.
		{"Go's default", &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}, 2*calls - 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := dialsForTwoBursts(t, tc.hc, calls); got != tc.want {
				t.Fatalf("%d connections for two bursts of %d concurrent calls, want %d", got, calls, tc.want)
			}
		})
	}
}

// dialsForTwoBursts makes n calls at once, all held by the server until
// every one has arrived, twice, and counts the connections opened.
func dialsForTwoBursts(t *testing.T, hc *http.Client, n int) int64 {
	var dials atomic.Int64
	var arrived sync.WaitGroup
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		arrived.Done()
		<-release
		_, _ = w.Write([]byte("ok"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	for range 2 {
		arrived.Add(n)
		release = make(chan struct{})
		var done sync.WaitGroup
		for range n {
			done.Add(1)
			go func() {
				defer done.Done()
				resp, err := hc.Get(srv.URL)
				if err != nil {
					t.Error(err)
					return
				}
				buf := make([]byte, 8)
				for {
					if _, err := resp.Body.Read(buf); err != nil {
						break
					}
				}
				_ = resp.Body.Close()
			}()
		}
		arrived.Wait()
		close(release)
		done.Wait()
	}
	return dials.Load()
}

// Command benchwire runs Superego's over-the-wire benchmarks for make bench.
// The server under test is the real binary (superego serve) in a process of
// its own, the load comes from this process over real sockets and HTTP, and
// each figure has a bare baseline measured in the same run, also in a
// process of its own (this binary re-run in a serving mode):
//
//   - relay: N sockets, each a user in a conversation of its own, all open
//     at once, each sends one message and reads its run to the end (demo
//     provider at zero delay), against a bare coder/websocket server that
//     answers each message with the same recorded frames;
//   - first token: the real OpenAI provider against a fake upstream whose
//     first chunk comes after a fixed delay, at 1, 10 and 100 concurrent
//     runs; the server-added time is the time to the first assistant_token
//     minus the upstream's own time to its first chunk, measured directly in
//     the same run at the same concurrency;
//   - history: the time to first token in a conversation with 5,000 earlier
//     turns against one with none, alternating;
//   - REST: GET /api/constitutions/{id} at concurrency 50 against a bare
//     net/http handler writing the same bytes.
//
// It prints one line per figure and the ratios the goals are stated in.
//
//	go build -o /tmp/superego ./cmd/superego && go run ./cmd/benchwire -superego /tmp/superego
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	var (
		bin, only, serve, listen, frames, profiles, relaySizes string
		firstChunk                                             time.Duration
	)
	flag.StringVar(&bin, "superego", "bin/superego", "the superego binary to benchmark")
	flag.StringVar(&only, "only", "relay,ttft,history,rest", "benchmarks to run, comma-separated")
	flag.StringVar(&serve, "serve", "", "internal: serve a baseline (bare-ws, bare-rest, upstream) instead")
	flag.StringVar(&listen, "listen", "127.0.0.1:0", "internal: address for -serve")
	flag.StringVar(&frames, "frames", "", "internal: file of frames the bare WebSocket server replays, or the body bare-rest writes")
	flag.StringVar(&profiles, "cpuprofile", "", "a directory each superego server writes its CPU profile to")
	flag.StringVar(&relaySizes, "relay-runs", "100,1000", "the relay's numbers of concurrent runs, comma-separated")
	flag.DurationVar(&firstChunk, "first-chunk", 20*time.Millisecond, "the fake upstream's delay before its first chunk")
	flag.Parse()
	ctx := context.Background()
	if serve != "" {
		if err := serveBaseline(ctx, serve, listen, frames, firstChunk); err != nil {
			fmt.Fprintln(os.Stderr, "benchwire:", err)
			os.Exit(1)
		}
		return
	}
	b := &bench{bin: bin, firstChunk: firstChunk, profiles: profiles}
	for _, f := range strings.Split(relaySizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "benchwire: -relay-runs: %q is not a number of runs\n", f)
			os.Exit(2)
		}
		b.relayRuns = append(b.relayRuns, n)
	}
	defer b.cleanup()
	for _, name := range strings.Split(only, ",") {
		var err error
		switch name {
		case "relay":
			err = b.relay(ctx)
		case "ttft":
			err = b.firstToken(ctx)
		case "history":
			err = b.history(ctx)
		case "rest":
			err = b.rest(ctx)
		default:
			err = fmt.Errorf("unknown benchmark %q", name)
		}
		if err != nil {
			b.cleanup()
			fmt.Fprintf(os.Stderr, "benchwire: %s: %v\n", name, err)
			os.Exit(1)
		}
	}
}

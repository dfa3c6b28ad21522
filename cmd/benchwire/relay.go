package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// relay measures runs relayed per second with n concurrent users against
// the bare server replaying one of those runs' frames, for each n of
// b.relayRuns (100 and 1,000 unless told).
func (b *bench) relay(ctx context.Context) error {
	raiseFileLimit()
	for _, n := range b.relayRuns {
		fmt.Printf("relay, %d concurrent runs (load average %s)\n", n, loadAverage())
		srv, err := b.serveSuperego(ctx, "", "--provider", "demo", "--demo-delay", "0", "--max-upstream", strconv.Itoa(n))
		if err != nil {
			return err
		}
		ours, frames, err := relayRound(ctx, srv, wsURL(srv.url), "standard", n)
		if err != nil {
			return fmt.Errorf("superego: %w", err)
		}
		timeouts := strings.Count(srv.log(), "deadline exceeded") + strings.Count(srv.log(), "busy")
		srv.stop()
		oursLife := srv.cpuLife()
		file := filepath.Join(os.TempDir(), fmt.Sprintf("benchwire-frames-%d.jsonl", os.Getpid()))
		if err := writeFrames(file, frames); err != nil {
			return err
		}
		bare, err := b.serveSelf(ctx, "bare-ws", "-frames", file)
		if err != nil {
			return err
		}
		base, _, err := relayRound(ctx, bare, bare.url+"/api/ws", "", n)
		bare.stop()
		bareLife := bare.cpuLife()
		_ = os.Remove(file)
		if err != nil {
			return fmt.Errorf("bare: %w", err)
		}
		fmt.Printf("  superego: %s; errors 0; store timeouts or busy in its log: %d\n", ours, timeouts)
		fmt.Printf("  bare coder/websocket: %s\n", base)
		fmt.Printf("  relay/bare (tokens per second): %.2f\n", ours.tokensPerSec()/base.tokensPerSec())
		fmt.Printf("  server CPU over the runs: superego %s (%s a run), bare %s (%s a run); over the server's life (setup included): superego %s, bare %s\n",
			secs(ours.cpu), micros(ours.cpu/time.Duration(n)), secs(base.cpu), micros(base.cpu/time.Duration(n)), secs(oursLife), secs(bareLife))
	}
	return nil
}

type relayStats struct {
	runs, tokens int
	elapsed      time.Duration
	// cpu is the server's CPU time (user and system) from the sends to
	// the last run's end.
	cpu time.Duration
}

func (s relayStats) tokensPerSec() float64 { return float64(s.tokens) / s.elapsed.Seconds() }

func (s relayStats) String() string {
	return fmt.Sprintf("%d runs in %s, %.0f runs/s, %.0f tokens/s", s.runs, s.elapsed.Round(time.Millisecond),
		float64(s.runs)/s.elapsed.Seconds(), s.tokensPerSec())
}

// relayRound opens n users on srv (a bare server when config is ""), then
// has every one send a message at once and read its run to the end. It
// fails on any error.
func relayRound(ctx context.Context, srv *proc, ws, config string, n int) (relayStats, [][]byte, error) {
	base := srv.url
	if config == "" {
		base = ""
	}
	users, err := newUsers(ctx, base, ws, config, n)
	if err != nil {
		return relayStats{}, nil, err
	}
	defer closeUsers(users)
	results := make([]runResult, n)
	var wg sync.WaitGroup
	cpu0, err := srv.cpu()
	if err != nil {
		return relayStats{}, nil, err
	}
	start := time.Now()
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = u.run(ctx, "What is the capital of France?", i == 0)
		}()
	}
	wg.Wait()
	st := relayStats{runs: n, elapsed: time.Since(start)}
	cpu1, err := srv.cpu()
	if err != nil {
		return st, nil, err
	}
	st.cpu = cpu1 - cpu0
	for _, r := range results {
		if r.err != nil {
			return st, nil, r.err
		}
		st.tokens += r.tokens
	}
	return st, results[0].frames, nil
}

func writeFrames(file string, frames [][]byte) error {
	var b strings.Builder
	for _, f := range frames {
		b.Write(f)
		b.WriteByte('\n')
	}
	return os.WriteFile(file, []byte(b.String()), 0o600)
}

func readFile(name string) ([]byte, error) { return os.ReadFile(name) }

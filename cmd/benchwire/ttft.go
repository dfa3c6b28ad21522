package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// firstToken measures the time to first token over a real socket through
// the real OpenAI provider at 1, 10 and 100 concurrent runs, and the fake
// upstream's own time to its first token at the same concurrency, directly.
func (b *bench) firstToken(ctx context.Context) error {
	up, err := b.serveSelf(ctx, "upstream")
	if err != nil {
		return err
	}
	defer up.stop()
	// --max-upstream above the concurrency: queueing for a slot is a
	// setting, not time the server adds.
	srv, err := b.serveSuperego(ctx, "", "--provider", "openai", "--base-url", up.url+"/v1", "--max-upstream", "128")
	if err != nil {
		return err
	}
	defer srv.stop()
	for _, c := range []int{1, 10, 100} {
		rounds := max(3, 60/c)
		users, err := newUsers(ctx, srv.url, wsURL(srv.url), "no-superego", c)
		if err != nil {
			return err
		}
		ours, err := concurrentRuns(ctx, users, 1, rounds)
		closeUsers(users)
		if err != nil {
			return err
		}
		direct, err := upstreamFirstTokens(ctx, up.url, c, rounds)
		if err != nil {
			return err
		}
		fmt.Printf("first token, %d concurrent runs, %d samples (load average %s)\n", c, len(ours), loadAverage())
		fmt.Printf("  over the socket: p50 %s p99 %s; upstream directly: p50 %s p99 %s\n", ms(pct(ours, 50)), ms(pct(ours, 99)), ms(pct(direct, 50)), ms(pct(direct, 99)))
		fmt.Printf("  server-added: p50 %s p99 %s\n", ms(pct(ours, 50)-pct(direct, 50)), ms(pct(ours, 99)-pct(direct, 99)))
	}
	return nil
}

// concurrentRuns has every user run warmup unmeasured runs, then rounds
// measured ones, all users at once, and returns the times to first token.
func concurrentRuns(ctx context.Context, users []*user, warmup, rounds int) ([]time.Duration, error) {
	var mu sync.Mutex
	var out []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range warmup + rounds {
				r := u.run(ctx, "What is the capital of France?", false)
				mu.Lock()
				if r.err != nil && firstErr == nil {
					firstErr = r.err
				}
				if i >= warmup && r.err == nil {
					out = append(out, r.firstToken)
				}
				mu.Unlock()
				if r.err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return out, firstErr
}

// upstreamFirstTokens calls the fake upstream directly, c at a time, and
// returns the times from sending to reading the first token.
func upstreamFirstTokens(ctx context.Context, base string, c, rounds int) ([]time.Duration, error) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}}
	var mu sync.Mutex
	var out []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	body := `{"model":"bench","stream":true,"messages":[{"role":"user","content":"What is the capital of France?"}]}`
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1 + rounds {
				d, err := upstreamOnce(ctx, hc, base, body)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if i >= 1 && err == nil {
					out = append(out, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out, firstErr
}

func upstreamOnce(ctx context.Context, hc *http.Client, base, body string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	sent := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	var first time.Duration
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if first == 0 && strings.Contains(sc.Text(), `"content":"`+upstreamTokens[0]+`"`) {
			first = time.Since(sent)
		}
	}
	if first == 0 {
		return 0, fmt.Errorf("upstream sent no token (%s)", resp.Status)
	}
	return first, sc.Err()
}

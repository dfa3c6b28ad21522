package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store/sqlite"
)

// earlierTurns are the lengths of the conversations measured: none, enough
// to fill the history budget (24,000 characters hold about 170 of these
// turns), and 5,000.
var earlierTurns = []int{0, 200, 5000}

// history measures the time to first token in conversations of each
// length in earlierTurns, on one server, in turn. Beside 0 turns, a run
// sends no history at all; beside 200, one sends as much as after 5,000
// (the budget's worth), so 200 → 5,000 is what conversation length alone
// costs.
func (b *bench) history(ctx context.Context) error {
	up, err := b.serveSelf(ctx, "upstream")
	if err != nil {
		return err
	}
	defer up.stop()
	dir, err := os.MkdirTemp("", "benchwire-history-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	args := []string{"--provider", "openai", "--base-url", up.url + "/v1"}
	srv, err := b.serveSuperego(ctx, dir, args...)
	if err != nil {
		return err
	}
	long := make([]string, len(earlierTurns))
	for i, n := range earlierTurns[1:] {
		if long[i+1], err = createInstance(ctx, srv.url, "no-superego", fmt.Sprintf("benchwire %d turns", n)); err != nil {
			return err
		}
	}
	srv.stop()
	for i, n := range earlierTurns[1:] {
		if err := appendTurns(ctx, filepath.Join(dir, "superego.db"), long[i+1], n); err != nil {
			return fmt.Errorf("seed a conversation of %d turns: %w", n, err)
		}
	}
	if srv, err = b.serveSuperego(ctx, dir, args...); err != nil {
		return err
	}
	defer srv.stop()
	// One socket per conversation: a socket may send 20 frames a second
	// (bursts of 40), and these runs are quicker than that.
	users, err := newUsers(ctx, srv.url, wsURL(srv.url), "no-superego", len(earlierTurns))
	if err != nil {
		return err
	}
	defer closeUsers(users)
	for i := 1; i < len(users); i++ {
		users[i].instance = long[i]
	}
	samples := make([][]time.Duration, len(users))
	for i := range 42 {
		for k, u := range users {
			r := u.run(ctx, "What is the capital of France?", false)
			if r.err != nil {
				return r.err
			}
			if i >= 2 { // after a warm-up
				samples[k] = append(samples[k], r.firstToken)
			}
		}
	}
	fmt.Printf("first token after %v earlier turns, %d samples each (load average %s)\n", earlierTurns, len(samples[0]), loadAverage())
	p := make([]time.Duration, len(samples))
	for k := range samples {
		p[k] = pct(samples[k], 50)
		fmt.Printf("  p50 after %d: %s\n", earlierTurns[k], ms(p[k]))
	}
	last := len(p) - 1
	fmt.Printf("  difference %d vs 0 turns: %s; %d vs %d turns (conversation length alone): %s\n",
		earlierTurns[last], ms(p[last]-p[0]), earlierTurns[last], earlierTurns[1], ms(p[last]-p[1]))
	return nil
}

// appendTurns writes n user/assistant exchanges into a stopped server's
// database, as its store would have.
func appendTurns(ctx context.Context, path, instance string, n int) error {
	st, err := sqlite.Open(ctx, path, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	for i := range n {
		for _, m := range []model.Message{
			{FlowInstanceID: instance, Role: model.RoleUser, Content: fmt.Sprintf("question %d: what happened next in the story?", i), Status: model.MessageComplete},
			{FlowInstanceID: instance, Role: model.RoleAssistant, Content: fmt.Sprintf("Answer %d: the keeper climbed the stairs again and lit the lamp as the sea rose.", i), Status: model.MessageComplete},
		} {
			if _, err := st.AppendMessage(ctx, m); err != nil {
				return err
			}
		}
	}
	return nil
}

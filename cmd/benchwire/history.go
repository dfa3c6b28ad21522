package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store/sqlite"
)

const earlierTurns = 5000

// history measures the time to first token in a conversation with 5,000
// earlier turns against one with none, on one server, alternating.
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
	long, err := createInstance(ctx, srv.url, "no-superego", "benchwire long")
	if err != nil {
		return err
	}
	srv.stop()
	if err := appendTurns(ctx, filepath.Join(dir, "superego.db"), long, earlierTurns); err != nil {
		return fmt.Errorf("seed the long conversation: %w", err)
	}
	if srv, err = b.serveSuperego(ctx, dir, args...); err != nil {
		return err
	}
	defer srv.stop()
	users, err := newUsers(ctx, srv.url, wsURL(srv.url), "no-superego", 1)
	if err != nil {
		return err
	}
	defer closeUsers(users)
	fresh := users[0].instance
	var short, deep []float64
	for i := range 42 {
		for _, inst := range []string{fresh, long} {
			users[0].instance = inst
			r := users[0].run(ctx, "What is the capital of France?", false)
			if r.err != nil {
				return r.err
			}
			if i < 2 { // warm-up
				continue
			}
			if inst == long {
				deep = append(deep, float64(r.firstToken))
			} else {
				short = append(short, float64(r.firstToken))
			}
		}
	}
	fmt.Printf("first token after 0 and %d earlier turns, %d samples each (load average %s)\n", earlierTurns, len(short), loadAverage())
	p0, p5 := median(short), median(deep)
	fmt.Printf("  p50 after 0: %.2f ms; after %d: %.2f ms; difference %.2f ms\n", p0/1e6, earlierTurns, p5/1e6, (p5-p0)/1e6)
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
			{FlowInstanceID: instance, Role: model.RoleUser, Content: fmt.Sprintf("benchwire-fast question %d: what happened next in the story?", i), Status: model.MessageComplete},
			{FlowInstanceID: instance, Role: model.RoleAssistant, Content: fmt.Sprintf("Answer %d: the keeper climbed the stairs again and lit the lamp as the sea rose.", i), Status: model.MessageComplete},
		} {
			if _, err := st.AppendMessage(ctx, m); err != nil {
				return err
			}
		}
	}
	return nil
}

func median(v []float64) float64 {
	d := make([]float64, len(v))
	copy(d, v)
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
	if len(d) == 0 {
		return 0
	}
	return d[len(d)/2]
}

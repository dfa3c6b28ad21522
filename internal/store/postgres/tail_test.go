package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
)

// TestFollowAcrossReplicas: a run executed on one replica is followed live
// from another, resuming mid-way, and the follow ends with the run.
func TestFollowAcrossReplicas(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	runner, reader := openStore(t, url), openStore(t, url)
	ctx := t.Context()
	basics(t, runner)
	run := newRun(t, runner)

	tailer, err := postgres.NewTailer(ctx, reader, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tailer.Close)
	b := postgres.NewBatcher(runner, postgres.BatcherOptions{Interval: 5 * time.Millisecond}, nil)
	t.Cleanup(func() { _ = b.Close(context.Background()) })

	const tokens, resumeAt = 200, 50
	var want strings.Builder // what a follower from resumeAt must read
	for i := resumeAt + 1; i <= tokens; i++ {
		fmt.Fprintf(&want, "t%d ", i)
	}
	// Write the first half, then start following from seq 50.
	add := func(from, to int) {
		for i := from; i <= to; i++ {
			if err := b.Add(ctx, token(run.ID, int64(i), events.TypeAssistantToken, fmt.Sprintf("t%d ", i))); err != nil {
				t.Error(err)
				return
			}
		}
	}
	add(1, tokens/2)
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	f := tailer.Follow(run.ID, resumeAt)
	done := make(chan struct{})
	go func() {
		defer close(done)
		add(tokens/2+1, tokens)
		fin := events.Event{Type: events.TypeRunFinished, TS: time.Now().UTC(), RunID: run.ID, Seq: tokens + 1, Status: model.RunCompleted}
		if err := b.Add(ctx, fin); err != nil {
			t.Error(err)
		}
		if err := b.Flush(ctx); err != nil {
			t.Error(err)
		}
		run.Status = model.RunCompleted
		if _, err := runner.UpdateRun(ctx, run); err != nil {
			t.Error(err)
		}
	}()

	var got []events.Event
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		evs, err := f.Next(fctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("follow: %v after %d events", err, len(got))
		}
		got = append(got, evs...)
	}
	<-done
	if len(got) != tokens+1-resumeAt || got[len(got)-1].Type != events.TypeRunFinished {
		t.Fatalf("followed %d events, last %+v", len(got), got[len(got)-1])
	}
	if text := deltas(t, got[:len(got)-1], resumeAt); text != want.String() {
		t.Errorf("followed text %q, want %q", text, want.String())
	}
	if _, err := f.Next(fctx); !errors.Is(err, io.EOF) {
		t.Errorf("after the end: %v", err)
	}

	// A follower of a run whose replica died ends with the sweep.
	orphan := newRun(t, runner)
	if err := runner.ClaimRun(ctx, orphan.ID, "dead", time.Minute); err != nil {
		t.Fatal(err)
	}
	f2 := tailer.Follow(orphan.ID, 0)
	swept := make(chan error, 1)
	go func() {
		_, err := runner.Pool().Exec(ctx, `UPDATE runs SET lease_until = now() - interval '1 second' WHERE id = $1`, orphan.ID)
		if err == nil {
			_, err = runner.InterruptExpired(ctx)
		}
		swept <- err
	}()
	evs, err := f2.Next(fctx)
	if err != nil || len(evs) != 1 || evs[0].Status != model.RunInterrupted {
		t.Fatalf("orphan follow: %+v, %v", evs, err)
	}
	if err := <-swept; err != nil {
		t.Fatal(err)
	}
	if _, err := f2.Next(fctx); !errors.Is(err, io.EOF) {
		t.Errorf("orphan after end: %v", err)
	}
	if _, err := tailer.Follow("ghost", 0).Next(fctx); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("follow unknown run: %v", err)
	}
}

// TestTailerReconnects: when the tailer's listener connection is cut (a
// database restart, a network failure) it connects and listens again:
// cancel requests, which nothing re-sends, are heard once more, and a
// follower waiting across the outage still reads the run's next events.
func TestTailerReconnects(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	s := openStore(t, url)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // safety net only
	defer cancel()
	basics(t, s)
	run := newRun(t, s)
	tailer, err := postgres.NewTailer(ctx, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tailer.Close)
	heard := make(chan string, 64)
	tailer.OnCancel(func(id string) {
		select {
		case heard <- id:
		default:
		}
	})
	// requestUntilHeard sends a cancel request for id until the tailer
	// hears one: a NOTIFY sent while nobody listens is lost, not queued.
	requestUntilHeard := func(id string) {
		t.Helper()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if err := s.RequestCancel(ctx, id); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-heard:
				if got == id {
					return
				}
			case <-tick.C:
			case <-ctx.Done():
				t.Fatalf("cancel request %q never heard: %v", id, ctx.Err())
			}
		}
	}
	requestUntilHeard("before-the-outage")

	f := tailer.Follow(run.ID, 0)
	type result struct {
		evs []events.Event
		err error
	}
	followed := make(chan result, 1)
	go func() {
		evs, err := f.Next(ctx)
		followed <- result{evs, err}
	}()

	var cut int
	if err := s.Pool().QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'superego-tail'`).Scan(&cut); err != nil {
		t.Fatal(err)
	}
	if cut != 1 {
		t.Fatalf("terminated %d listener connections, want 1", cut)
	}
	requestUntilHeard("after-the-outage")

	if err := s.AppendRunEvents(ctx, []events.Event{token(run.ID, 1, events.TypeAssistantToken, "still here")}); err != nil {
		t.Fatal(err)
	}
	r := <-followed
	if r.err != nil || len(r.evs) != 1 || r.evs[0].Delta != "still here" {
		t.Fatalf("follower across the outage: %+v, %v", r.evs, r.err)
	}
}

package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
)

// sweptFirst is replica A's store: just before A stores the end of a run,
// another replica's sweep ends it, as happens when A's lease lapsed while
// A was alive after all (a long pause, a slow database).
type sweptFirst struct {
	*postgres.Store
	once  sync.Once
	sweep func(runID string)
}

func (s *sweptFirst) UpdateRun(ctx context.Context, r model.Run) (model.Run, error) {
	if r.Status != model.RunRunning {
		s.once.Do(func() { s.sweep(r.ID) })
	}
	return s.Store.UpdateRun(ctx, r)
}

func (s *sweptFirst) EndRun(ctx context.Context, r model.Run) (model.Run, error) {
	s.once.Do(func() { s.sweep(r.ID) })
	return s.Store.EndRun(ctx, r)
}

// TestOneEndWinsWhenTheLeaseLapsesOnALiveReplica: the sweep's end
// (interrupted) is stored first, and the live replica's own end does not
// overwrite it: it reports the stored end to its clients instead.
func TestOneEndWinsWhenTheLeaseLapsesOnALiveReplica(t *testing.T) {
	url := pgtest.URL(t)
	ctx := t.Context()
	b := newReplica(t, url, "b", time.Minute, idle())

	st, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	tailer, err := postgres.NewTailer(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tailer.Close)
	batcher := postgres.NewBatcher(st, postgres.BatcherOptions{Interval: 10 * time.Millisecond}, nil)
	t.Cleanup(func() { _ = batcher.Close(context.Background()) })
	swept := &sweptFirst{Store: st, sweep: func(runID string) {
		if _, err := st.Pool().Exec(ctx, `UPDATE runs SET lease_until = now() - interval '1 second' WHERE id = $1`, runID); err != nil {
			t.Error(err)
		}
		if ids, err := b.st.InterruptExpired(ctx); err != nil || len(ids) != 1 {
			t.Errorf("sweep on b: %v, %v", ids, err)
		}
	}}
	p := &scripted{superego: say("", "DECISION: ALLOW"), assistant: say("", "An answer.")}
	a := engine.New(swept, p, engine.Config{Replicas: &engine.Replicas{
		Owner: "a", LeaseTTL: time.Minute, Leases: st, Events: batcher,
		Follow:   func(runID string, afterSeq int64) engine.EventReader { return tailer.Follow(runID, afterSeq) },
		OnCancel: tailer.OnCancel,
	}}, nil, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	inst := seeded(t, st)

	run, err := a.Send(ctx, inst, "Hello")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := a.Subscribe(ctx, run.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var last events.Event
	for last.Type != events.TypeRunFinished {
		evs, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		last = evs[len(evs)-1]
	}
	stored, err := b.st.GetRun(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != model.RunInterrupted {
		t.Fatalf("stored run is %s, want the sweep's end (interrupted) kept", stored.Status)
	}
	if last.Status != stored.Status {
		t.Fatalf("replica a told its clients %s, the database holds %s", last.Status, stored.Status)
	}
}

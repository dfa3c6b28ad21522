package postgres_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
)

// newRun creates an instance on basics' config and a running run on it.
func newRun(t *testing.T, s store.Store) model.Run {
	t.Helper()
	ctx := t.Context()
	inst, err := s.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: "cfg", Name: "chat"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.AppendMessage(ctx, model.Message{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.CreateRun(ctx, model.Run{FlowInstanceID: inst.ID, FlowConfigID: "cfg", UserMessageID: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func token(runID string, seq int64, typ, delta string) events.Event {
	return events.Event{Type: typ, TS: time.Now().UTC(), RunID: runID, Seq: seq, Delta: delta}
}

// deltas joins the deltas of evs, checking their seqs run on from after.
func deltas(t *testing.T, evs []events.Event, after int64) string {
	t.Helper()
	var b strings.Builder
	for i, e := range evs {
		if e.Seq != after+int64(i)+1 {
			t.Fatalf("event %d has seq %d, want %d", i, e.Seq, after+int64(i)+1)
		}
		b.WriteString(e.Delta)
	}
	return b.String()
}

func TestRunEvents(t *testing.T) {
	t.Parallel()
	s := openStore(t, pgtest.SchemaURL(t))
	ctx := t.Context()
	basics(t, s)
	r1, r2 := newRun(t, s), newRun(t, s)

	// One batch, two runs, out of order.
	batch := []events.Event{
		token(r1.ID, 2, events.TypeAssistantToken, "lo"),
		token(r2.ID, 1, events.TypeAssistantToken, "other"),
		token(r1.ID, 1, events.TypeAssistantToken, "Hel"),
	}
	if err := s.AppendRunEvents(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListRunEvents(ctx, r1.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if text := deltas(t, got, 0); text != "Hello" {
		t.Errorf("run 1 text %q", text)
	}
	if got[0].RunID != r1.ID || got[0].Type != events.TypeAssistantToken || got[0].TS.IsZero() {
		t.Errorf("stored event lost fields: %+v", got[0])
	}
	// A retried batch keeps the first copy.
	if err := s.AppendRunEvents(ctx, []events.Event{token(r1.ID, 2, events.TypeAssistantToken, "XX"), token(r1.ID, 3, events.TypeAssistantToken, "!")}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.ListRunEvents(ctx, r1.ID, 1, 0)
	if text := deltas(t, got, 1); text != "lo!" {
		t.Errorf("after retry: %q", text)
	}
	if run, _ := s.GetRun(ctx, r1.ID); run.LastSeq != 3 {
		t.Errorf("last_seq %d, want 3", run.LastSeq)
	}
	if got, _ := s.ListRunEvents(ctx, r1.ID, 1, 1); len(got) != 1 || got[0].Seq != 2 {
		t.Errorf("limit 1 after 1: %+v", got)
	}

	// Bad input: the whole batch is refused and nothing of it is stored.
	for name, bad := range map[string][]events.Event{
		"no run id":   {token(r2.ID, 2, events.TypeAssistantToken, "a"), token("", 3, events.TypeAssistantToken, "b")},
		"no seq":      {token(r2.ID, 2, events.TypeAssistantToken, "a"), token(r2.ID, 0, events.TypeAssistantToken, "b")},
		"missing run": {token(r2.ID, 2, events.TypeAssistantToken, "a"), token("ghost", 1, events.TypeAssistantToken, "b")},
	} {
		if err := s.AppendRunEvents(ctx, bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := s.AppendRunEvents(ctx, []events.Event{token("ghost", 1, events.TypeAssistantToken, "b")}); !errors.Is(err, store.ErrInvalidReference) {
		t.Errorf("missing run: %v", err)
	}
	if got, _ := s.ListRunEvents(ctx, r2.ID, 0, 0); len(got) != 1 {
		t.Errorf("refused batches left %d events on run 2, want 1", len(got))
	}
	if _, err := s.ListRunEvents(ctx, "ghost", 0, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("events of unknown run: %v", err)
	}
	if got, err := s.ListRunEvents(ctx, r2.ID, 5, 0); err != nil || len(got) != 0 {
		t.Errorf("past the end: %v, %v", got, err)
	}

	// Deleting the instance takes the events with it.
	if err := s.DeleteFlowInstance(ctx, r1.FlowInstanceID, store.Any); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListRunEvents(ctx, r1.ID, 0, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("events after instance delete: %v", err)
	}
}

// expireLease moves a run's lease into the past, as if its replica had
// stopped renewing it long ago.
func expireLease(t *testing.T, s *postgres.Store, runID string) {
	t.Helper()
	if _, err := s.Pool().Exec(t.Context(), `UPDATE runs SET lease_until = now() - interval '1 second' WHERE id = $1`, runID); err != nil {
		t.Fatal(err)
	}
}

func TestLeases(t *testing.T) {
	t.Parallel()
	s := openStore(t, pgtest.SchemaURL(t))
	ctx := t.Context()
	basics(t, s)
	dead, live, unleased := newRun(t, s), newRun(t, s), newRun(t, s)
	for _, c := range []struct {
		run   model.Run
		owner string
	}{{dead, "replica-dead"}, {live, "replica-live"}} {
		if err := s.ClaimRun(ctx, c.run.ID, c.owner, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	// The dead replica had streamed part of an answer; the row still holds
	// less than the stored deltas, as it is only written at the end.
	sup, err := s.AppendMessage(ctx, model.Message{FlowInstanceID: dead.FlowInstanceID, RunID: dead.ID, Role: model.RoleSuperego, Status: model.MessageComplete, Content: "ALLOW", Thinking: "fine"})
	if err != nil {
		t.Fatal(err)
	}
	asst, err := s.AppendMessage(ctx, model.Message{FlowInstanceID: dead.FlowInstanceID, RunID: dead.ID, Role: model.RoleAssistant, Status: model.MessageStreaming, Content: "Par"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AppendRunEvents(ctx, []events.Event{
		token(dead.ID, 1, events.TypeSuperegoToken, "AL"),
		token(dead.ID, 2, events.TypeAssistantToken, "Part"),
		token(dead.ID, 3, events.TypeAssistantToken, "ial ans"),
	}); err != nil {
		t.Fatal(err)
	}
	expireLease(t, s, dead.ID)

	if n, err := s.RenewLeases(ctx, "replica-live", time.Minute); err != nil || n != 1 {
		t.Errorf("renew: %d, %v; want 1", n, err)
	}
	ids, err := s.InterruptExpired(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids) != fmt.Sprint([]string{dead.ID}) {
		t.Fatalf("interrupted %v, want only %s", ids, dead.ID)
	}
	r, _ := s.GetRun(ctx, dead.ID)
	if r.Status != model.RunInterrupted || r.FinishedAt == nil || r.Error == "" || r.LastSeq != 4 {
		t.Errorf("dead run: %+v", r)
	}
	a, _ := s.GetMessage(ctx, asst.ID)
	if a.Status != model.MessageInterrupted || a.Content != "Partial ans" {
		t.Errorf("assistant message: status %s content %q, want interrupted with the partial text", a.Status, a.Content)
	}
	if got, _ := s.GetMessage(ctx, sup.ID); got.Content != "ALLOW" || got.Status != model.MessageComplete {
		t.Errorf("a complete message was changed: %+v", got)
	}
	evs, _ := s.ListRunEvents(ctx, dead.ID, 3, 0)
	if len(evs) != 1 || evs[0].Type != events.TypeRunFinished || evs[0].Seq != 4 || evs[0].Status != model.RunInterrupted {
		t.Errorf("closing event: %+v", evs)
	}
	for _, other := range []model.Run{live, unleased} {
		if got, _ := s.GetRun(ctx, other.ID); got.Status != model.RunRunning {
			t.Errorf("run %s is %s; only expired leases end runs", other.ID, got.Status)
		}
	}
	if ids, err := s.InterruptExpired(ctx); err != nil || len(ids) != 0 {
		t.Errorf("second sweep: %v, %v", ids, err)
	}

	// Bad input.
	if err := s.ClaimRun(ctx, dead.ID, "x", time.Minute); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("claim finished run: %v", err)
	}
	if err := s.ClaimRun(ctx, live.ID, "x", 0); err == nil {
		t.Error("claim with zero ttl accepted")
	}
	if err := s.ClaimRun(ctx, live.ID, "", time.Minute); err == nil {
		t.Error("claim without owner accepted")
	}
	if _, err := s.RenewLeases(ctx, "replica-live", -time.Second); err == nil {
		t.Error("negative ttl accepted")
	}
}

// TestConcurrentSweeps: replicas sweeping at once interrupt each expired
// run exactly once.
func TestConcurrentSweeps(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	s := openStore(t, url)
	basics(t, s)
	const runs = 12
	for range runs {
		r := newRun(t, s)
		if err := s.ClaimRun(t.Context(), r.ID, "gone", time.Minute); err != nil {
			t.Fatal(err)
		}
		expireLease(t, s, r.ID)
	}
	replicas := []*postgres.Store{s, openStore(t, url), openStore(t, url)}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for _, r := range replicas {
		wg.Go(func() {
			ids, err := r.InterruptExpired(t.Context())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			for _, id := range ids {
				seen[id]++
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(seen) != runs {
		t.Errorf("%d runs interrupted, want %d", len(seen), runs)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("run %s interrupted %d times", id, n)
		}
	}
}

// TestInterruptRunningRespectsLeases: a replica starting up ends the runs
// nobody is running, but not those a live replica holds a lease on.
func TestInterruptRunningRespectsLeases(t *testing.T) {
	t.Parallel()
	s := openStore(t, pgtest.SchemaURL(t))
	ctx := t.Context()
	basics(t, s)
	live, expired, unleased := newRun(t, s), newRun(t, s), newRun(t, s)
	for _, r := range []model.Run{live, expired} {
		if err := s.ClaimRun(ctx, r.ID, "other-replica", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	expireLease(t, s, expired.ID)
	n, err := s.InterruptRunning(ctx)
	if err != nil || n != 2 {
		t.Fatalf("InterruptRunning = %d, %v; want 2", n, err)
	}
	for _, c := range []struct {
		run  model.Run
		want string
	}{{live, model.RunRunning}, {expired, model.RunInterrupted}, {unleased, model.RunInterrupted}} {
		if r, _ := s.GetRun(ctx, c.run.ID); r.Status != c.want {
			t.Errorf("run %s: %s, want %s", c.run.ID, r.Status, c.want)
		}
	}
}

// TestPruneRunEvents: only events older than the given age go, in chunks
// however many there are; RunEventStored sees what is left.
func TestPruneRunEvents(t *testing.T) {
	t.Parallel()
	s := openStore(t, pgtest.SchemaURL(t))
	ctx := t.Context()
	basics(t, s)
	old, recent := newRun(t, s), newRun(t, s)
	const many = 12001 // more than two of the store's delete chunks
	evs := make([]events.Event, 0, many)
	for seq := int64(1); seq <= many; seq++ {
		evs = append(evs, token(old.ID, seq, events.TypeAssistantToken, "x"))
	}
	if err := s.AppendRunEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendRunEvents(ctx, []events.Event{token(recent.ID, 1, events.TypeAssistantToken, "y")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `UPDATE run_events SET created_at = now() - interval '2 hours' WHERE run_id = $1`, old.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneRunEvents(ctx, time.Hour); err != nil || n != many {
		t.Fatalf("pruned %d, %v; want %d", n, err, many)
	}
	for _, c := range []struct {
		run  model.Run
		want bool
	}{{old, false}, {recent, true}} {
		if ok, err := s.RunEventStored(ctx, c.run.ID, 1); err != nil || ok != c.want {
			t.Errorf("run %s event 1 stored: %v, %v; want %v", c.run.ID, ok, err, c.want)
		}
	}
	if n, err := s.PruneRunEvents(ctx, time.Hour); err != nil || n != 0 {
		t.Errorf("second prune: %d, %v", n, err)
	}
	if _, err := s.PruneRunEvents(ctx, 0); err == nil {
		t.Error("prune with age 0 accepted")
	}
}

// TestInterruptKeepsExactlyTheStoredDeltas: a dead replica's message row
// may hold text no client saw (written on its own schedule, ahead of the
// events stored). The interrupted message gets exactly the stored deltas,
// joined, for its content and its thinking: what every client was sent
// and what a replay gives.
func TestInterruptKeepsExactlyTheStoredDeltas(t *testing.T) {
	t.Parallel()
	s := openStore(t, pgtest.SchemaURL(t))
	ctx := t.Context()
	basics(t, s)
	dead := newRun(t, s)
	if err := s.ClaimRun(ctx, dead.ID, "replica-dead", time.Minute); err != nil {
		t.Fatal(err)
	}
	sup, err := s.AppendMessage(ctx, model.Message{FlowInstanceID: dead.FlowInstanceID, RunID: dead.ID, Role: model.RoleSuperego,
		Status: model.MessageStreaming, Content: "DECISION: AL", Thinking: "Harmless, a story"})
	if err != nil {
		t.Fatal(err)
	}
	asst, err := s.AppendMessage(ctx, model.Message{FlowInstanceID: dead.FlowInstanceID, RunID: dead.ID, Role: model.RoleAssistant,
		Status: model.MessageStreaming, Content: "Once upon a time there"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AppendRunEvents(ctx, []events.Event{
		token(dead.ID, 1, events.TypeSuperegoThinking, "Harmless"),
		token(dead.ID, 2, events.TypeSuperegoToken, "DECISION: "),
		token(dead.ID, 3, events.TypeAssistantToken, "Once "),
		token(dead.ID, 4, events.TypeAssistantToken, "upon "),
	}); err != nil {
		t.Fatal(err)
	}
	expireLease(t, s, dead.ID)
	if ids, err := s.InterruptExpired(ctx); err != nil || len(ids) != 1 {
		t.Fatalf("interrupt: %v, %v", ids, err)
	}
	a, _ := s.GetMessage(ctx, asst.ID)
	if a.Status != model.MessageInterrupted || a.Content != "Once upon " {
		t.Errorf("assistant: %s %q, want interrupted with exactly the stored deltas %q", a.Status, a.Content, "Once upon ")
	}
	m, _ := s.GetMessage(ctx, sup.ID)
	if m.Status != model.MessageInterrupted || m.Content != "DECISION: " || m.Thinking != "Harmless" {
		t.Errorf("superego: %s %q thinking %q, want the stored deltas", m.Status, m.Content, m.Thinking)
	}
}

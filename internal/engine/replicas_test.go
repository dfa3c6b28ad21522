package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/postgres"
	"github.com/superego-lab/superego/internal/store/postgres/pgtest"
)

// replica is one engine on a PostgreSQL database shared with others, wired
// as `superego serve` wires it: its own pool, batcher and tailer.
type replica struct {
	st      *postgres.Store
	eng     *engine.Engine
	batcher *postgres.Batcher
	tailer  *postgres.Tailer
}

func newReplica(t *testing.T, url, owner string, ttl time.Duration, prov llm.Provider) *replica {
	t.Helper()
	return newReplicaWith(t, url, owner, ttl, prov, postgres.BatcherOptions{Interval: 10 * time.Millisecond})
}

// newReplicaWith is newReplica with its event batcher tuned by bopts.
func newReplicaWith(t *testing.T, url, owner string, ttl time.Duration, prov llm.Provider, bopts postgres.BatcherOptions) *replica {
	t.Helper()
	ctx := t.Context()
	st, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 8}, nil)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	tailer, err := postgres.NewTailer(ctx, st, nil)
	if err != nil {
		t.Fatalf("tailer: %v", err)
	}
	t.Cleanup(tailer.Close)
	b := postgres.NewBatcher(st, bopts, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.Close(ctx)
	})
	eng := engine.New(st, prov, engine.Config{Replicas: &engine.Replicas{
		Owner: owner, LeaseTTL: ttl, Leases: st, Events: b,
		Follow:   func(runID string, afterSeq int64) engine.EventReader { return tailer.Follow(runID, afterSeq) },
		OnCancel: tailer.OnCancel,
		OnStored: b.OnStored,
	}}, nil, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Shutdown(ctx)
	})
	return &replica{st: st, eng: eng, batcher: b, tailer: tailer}
}

// idle is a provider for replicas that only follow runs; it must not be
// called.
func idle() *scripted { return &scripted{} }

// gated streams first, signals ready, waits for release (or the end of its
// context), then streams rest.
func gated(ready chan<- struct{}, release <-chan struct{}, first, rest []string) streamFunc {
	return func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
		for _, d := range first {
			if err := emit(llm.Event{Kind: llm.KindText, Delta: d}); err != nil {
				return err
			}
		}
		close(ready)
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		for _, d := range rest {
			if err := emit(llm.Event{Kind: llm.KindText, Delta: d}); err != nil {
				return err
			}
		}
		return emit(llm.Event{Kind: llm.KindUsage, Usage: model.Usage{InputTokens: 5, OutputTokens: len(first) + len(rest)}})
	}
}

// seeded seeds the shared database and returns a new instance of the
// standard flow (superego on).
func seeded(t *testing.T, st store.Store) string {
	t.Helper()
	if err := seed.Apply(t.Context(), st, nil); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return must(st.CreateFlowInstance(t.Context(), model.FlowInstance{FlowConfigID: seed.FlowStandard, Name: "replicas"})).ID
}

// readUntil reads sub until stop says so or the log ends (io.EOF).
func readUntil(t *testing.T, ctx context.Context, sub *engine.Subscription, stop func([]events.Event) bool) []events.Event {
	t.Helper()
	var all []events.Event
	for !stop(all) {
		evs, err := sub.Next(ctx)
		if errors.Is(err, io.EOF) {
			return all
		}
		if err != nil {
			t.Fatalf("next after %v: %v", types(all), err)
		}
		all = append(all, evs...)
	}
	return all
}

func never([]events.Event) bool { return false }

func count(evs []events.Event, typ string) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// sameEvents compares two logs event by event as the wire would carry them.
func sameEvents(t *testing.T, what string, got, want []events.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events %v, want %d %v", what, len(got), types(got), len(want), types(want))
	}
	for i := range got {
		g, _ := json.Marshal(got[i])
		w, _ := json.Marshal(want[i])
		if string(g) != string(w) {
			t.Fatalf("%s: event %d differs:\n got %s\nwant %s", what, i, g, w)
		}
	}
}

// TestResumeOnAnotherReplica: a run executed by one replica is followed
// live, and resumed from the middle, through another, which receives
// exactly the runner's log; the runner's lease is renewed while it runs,
// so the other replica's sweeps leave the run alone.
func TestResumeOnAnotherReplica(t *testing.T) {
	t.Parallel()
	url := pgtest.SchemaURL(t)
	// Long enough that a stall of a loaded machine cannot cost a's lease
	// (renewals come every ttl/3): the run must complete.
	const ttl = 2 * time.Second
	ready, release := make(chan struct{}), make(chan struct{})
	first, rest := []string{"Once ", "upon ", "a "}, []string{"time ", "there ", "was ", "a ", "replica."}
	prov := &scripted{superego: say("Looks fine.", "DECISION: ALLOW"), assistant: gated(ready, release, first, rest)}
	a := newReplica(t, url, "replica-a", ttl, prov)
	b := newReplica(t, url, "replica-b", ttl, idle())
	inst := seeded(t, a.st)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // safety net only
	defer cancel()

	if _, err := b.eng.Subscribe(ctx, "no-such-run", 0); !errors.Is(err, engine.ErrRunNotFound) {
		t.Fatalf("subscribe to an unknown run on b: %v, want ErrRunNotFound", err)
	}
	run, err := a.eng.Send(ctx, inst, "Tell me a story.")
	if err != nil {
		t.Fatal(err)
	}
	<-ready
	// b holds no log of the run: it follows the stored one, live.
	live, err := b.eng.Subscribe(ctx, run.ID, 0)
	if err != nil {
		t.Fatalf("subscribe on b: %v", err)
	}
	defer live.Close()
	before := readUntil(t, ctx, live, func(evs []events.Event) bool {
		return count(evs, events.TypeAssistantToken) == len(first)
	})
	mid := before[len(before)-2].Seq // resume point: before the last token read

	// A subscription closed while waiting ends with io.EOF.
	closing, err := b.eng.Subscribe(ctx, run.ID, before[len(before)-1].Seq)
	if err != nil {
		t.Fatal(err)
	}
	go closing.Close()
	if evs, err := closing.Next(ctx); !errors.Is(err, io.EOF) {
		t.Fatalf("next on a closed subscription: %v %v, want io.EOF", types(evs), err)
	}

	// Hold the run until its lease was renewed past its first term, so
	// b's sweeps have had every chance to take it for a dead replica's.
	waitFor(t, ctx, func() bool {
		var renewed bool
		err := a.st.Pool().QueryRow(ctx,
			`SELECT lease_until > created_at + 2 * $2::interval FROM runs WHERE id = $1`,
			run.ID, fmt.Sprintf("%d milliseconds", ttl.Milliseconds())).Scan(&renewed)
		if err != nil {
			t.Fatalf("read lease: %v", err)
		}
		return renewed
	})
	resumed, err := b.eng.Subscribe(ctx, run.ID, mid)
	if err != nil {
		t.Fatalf("resume on b: %v", err)
	}
	defer resumed.Close()
	close(release)

	all := append(before, readUntil(t, ctx, live, never)...)
	want := waitRun(t, ctx, a.eng, run.ID)
	if want.Status != model.RunCompleted {
		t.Fatalf("run ended %s (%s), want completed", want.Status, want.Error)
	}
	local, err := a.eng.Subscribe(ctx, run.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	runnerLog := readUntil(t, ctx, local, never)
	checkSeqExact(t, runnerLog, 0)
	sameEvents(t, "live follow on b", all, runnerLog)
	sameEvents(t, "resume on b", readUntil(t, ctx, resumed, never), runnerLog[mid:])

	answer := lastMessage(t, b.st, inst)
	if answer.Role != model.RoleAssistant || answer.Status != model.MessageComplete {
		t.Fatalf("last message: %s %s", answer.Role, answer.Status)
	}
	if got := joinDeltas(all, events.TypeAssistantToken); got != answer.Content || got == "" {
		t.Fatalf("deltas %q, stored answer %q", got, answer.Content)
	}
	if stored := must(b.eng.Run(ctx, run.ID)); stored.Status != model.RunCompleted || stored.LastSeq != all[len(all)-1].Seq {
		t.Fatalf("stored run %s last_seq %d; log ends at %d", stored.Status, stored.LastSeq, all[len(all)-1].Seq)
	}
}

// TestDeadReplicasRunIsInterrupted: when the replica running a run stops
// renewing its lease (here: its database connections are gone, as when
// the process dies), another replica marks the run interrupted once the
// lease runs out, keeping the partial answer, and its followers see the
// log end.
func TestDeadReplicasRunIsInterrupted(t *testing.T) {
	t.Parallel()
	url := pgtest.SchemaURL(t)
	const ttl = time.Second // short, as the test waits it out; renewals every ttl/3
	ready := make(chan struct{})
	prov := &scripted{superego: say("", "DECISION: ALLOW"), assistant: hangAfter(ready, "Once ", "upon ", "a ")}
	a := newReplica(t, url, "replica-a", ttl, prov)
	b := newReplica(t, url, "replica-b", ttl, idle())
	inst := seeded(t, a.st)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // safety net only
	defer cancel()

	run, err := a.eng.Send(ctx, inst, "Tell me a story.")
	if err != nil {
		t.Fatal(err)
	}
	<-ready
	sub, err := b.eng.Subscribe(ctx, run.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	seen := readUntil(t, ctx, sub, func(evs []events.Event) bool { return count(evs, events.TypeAssistantToken) == 3 })

	// a dies: nothing it does reaches the database any more.
	a.tailer.Close()
	_ = a.st.Close()

	seen = append(seen, readUntil(t, ctx, sub, never)...)
	checkSeqExact(t, seen, 0)
	last := seen[len(seen)-1]
	if last.Type != events.TypeRunFinished || last.Status != model.RunInterrupted {
		t.Fatalf("log on b ends with %s %s, want run_finished interrupted", last.Type, last.Status)
	}
	stored := must(b.eng.Run(ctx, run.ID))
	if stored.Status != model.RunInterrupted || stored.Error == "" || stored.FinishedAt == nil {
		t.Fatalf("stored run: %+v", stored)
	}
	answer := lastMessage(t, b.st, inst)
	if answer.Role != model.RoleAssistant || answer.Status != model.MessageInterrupted || answer.Content != "Once upon a " {
		t.Fatalf("answer: %s %s %q, want the interrupted partial text", answer.Role, answer.Status, answer.Content)
	}
}

// waitRun polls the stored run until it has finished.
func waitRun(t *testing.T, ctx context.Context, eng *engine.Engine, runID string) model.Run {
	t.Helper()
	var r model.Run
	waitFor(t, ctx, func() bool {
		r = must(eng.Run(ctx, runID))
		return model.Finished(r.Status)
	})
	return r
}

// waitFor polls cond until it holds, failing the test when ctx ends first.
func waitFor(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("condition not met: %v", ctx.Err())
		case <-tick.C:
		}
	}
}

// lastMessage returns the newest stored message of an instance.
func lastMessage(t *testing.T, st store.Store, instanceID string) model.Message {
	t.Helper()
	msgs, _, err := st.ListMessages(t.Context(), instanceID, store.Page{Limit: 200})
	if err != nil || len(msgs) == 0 {
		t.Fatalf("list messages: %d, %v", len(msgs), err)
	}
	return msgs[len(msgs)-1]
}

// TestCancelOnAnotherReplica: a cancel sent to a replica that does not run
// the run reaches the one that does, which stops it and keeps the partial
// answer.
func TestCancelOnAnotherReplica(t *testing.T) {
	t.Parallel()
	url := pgtest.SchemaURL(t)
	ready := make(chan struct{})
	prov := &scripted{superego: say("", "DECISION: ALLOW"), assistant: hangAfter(ready, "Once ", "upon ")}
	a := newReplica(t, url, "replica-a", 30*time.Second, prov)
	b := newReplica(t, url, "replica-b", 30*time.Second, idle())
	inst := seeded(t, a.st)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // safety net only
	defer cancel()

	run, err := a.eng.Send(ctx, inst, "Tell me a story.")
	if err != nil {
		t.Fatal(err)
	}
	<-ready
	sub, err := b.eng.Subscribe(ctx, run.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := b.eng.Cancel(t.Context(), run.ID); err != nil {
		t.Fatalf("cancel on b: %v", err)
	}
	evs := readUntil(t, ctx, sub, never)
	checkSeqExact(t, evs, 0)
	if last := evs[len(evs)-1]; last.Type != events.TypeRunFinished || last.Status != model.RunCancelled {
		t.Fatalf("log ends with %s %s, want run_finished cancelled", last.Type, last.Status)
	}
	answer := lastMessage(t, b.st, inst)
	if answer.Status != model.MessageCancelled || answer.Content != "Once upon " {
		t.Fatalf("answer %s %q, want the cancelled partial text", answer.Status, answer.Content)
	}
	// A finished run has nothing left to cancel, wherever it is asked.
	for _, r := range []*replica{a, b} {
		if err := r.eng.Cancel(t.Context(), run.ID); err != nil {
			t.Errorf("cancel of a finished run: %v", err)
		}
	}
	if err := b.eng.Cancel(t.Context(), "no-such-run"); !errors.Is(err, engine.ErrRunNotFound) {
		t.Errorf("cancel of an unknown run: %v", err)
	}
}

// TestRunTakenOverIsNotOverwritten: when a live replica's lease on a run
// lapses anyway (here its renewals are made to miss the run, as a long
// database outage would), another replica interrupts the run; the runner
// then stops it and keeps that end rather than overwriting it.
func TestRunTakenOverIsNotOverwritten(t *testing.T) {
	t.Parallel()
	url := pgtest.SchemaURL(t)
	const ttl = time.Second // short, as the test waits it out; renewals every ttl/3
	ready := make(chan struct{})
	prov := &scripted{superego: say("", "DECISION: ALLOW"), assistant: hangAfter(ready, "Once ", "upon ")}
	a := newReplica(t, url, "replica-a", ttl, prov)
	b := newReplica(t, url, "replica-b", ttl, idle())
	inst := seeded(t, a.st)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // safety net only
	defer cancel()

	run, err := a.eng.Send(ctx, inst, "Tell me a story.")
	if err != nil {
		t.Fatal(err)
	}
	<-ready
	local, err := a.eng.Subscribe(ctx, run.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	// a's renewals no longer find the run: its lease runs out.
	if _, err := a.st.Pool().Exec(ctx, `UPDATE runs SET owner = 'lost' WHERE id = $1`, run.ID); err != nil {
		t.Fatal(err)
	}
	evs := readUntil(t, ctx, local, never)
	checkSeqExact(t, evs, 0)
	if last := evs[len(evs)-1]; last.Type != events.TypeRunFinished || last.Status != model.RunInterrupted {
		t.Fatalf("a's log ends with %s %s, want run_finished interrupted", last.Type, last.Status)
	}
	if stored := must(a.eng.Run(ctx, run.ID)); stored.Status != model.RunInterrupted {
		t.Fatalf("stored run %s, want interrupted kept", stored.Status)
	}
	answer := lastMessage(t, b.st, inst)
	if answer.Status != model.MessageInterrupted || answer.Content != "Once upon " {
		t.Fatalf("answer %s %q, want the partial text", answer.Status, answer.Content)
	}
}

// TestStoredLogIsPruned: the replicas' sweeps delete stored events once
// they are older than a run may last plus the log retention, so the table
// does not grow forever; resuming a run whose log was pruned is then
// ErrLogUnavailable, as on a single process, while a recent run's log is
// kept and a resume with nothing left to read just ends.
func TestStoredLogIsPruned(t *testing.T) {
	t.Parallel()
	url := pgtest.SchemaURL(t)
	prov := &scripted{superego: say("", "DECISION: ALLOW"), assistant: say("", "An answer.")}
	// a's lease outlasts any stall of a loaded machine. Both sweep, and
	// so prune, every third of their lease, each sweep within that time.
	a := newReplica(t, url, "replica-a", 2*time.Second, prov)
	b := newReplica(t, url, "replica-b", time.Second, idle())
	inst := seeded(t, a.st)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // safety net only
	defer cancel()

	var runs [2]model.Run
	for i := range runs {
		run, err := a.eng.Send(ctx, inst, "Hello.")
		if err != nil {
			t.Fatal(err)
		}
		runs[i] = waitRun(t, ctx, a.eng, run.ID)
		if runs[i].Status != model.RunCompleted {
			t.Fatalf("run %d ended %s: %s", i, runs[i].Status, runs[i].Error)
		}
	}
	old, recent := runs[0], runs[1]
	stored := func(runID string) int {
		var n int
		if err := b.st.Pool().QueryRow(ctx, `SELECT count(*) FROM run_events WHERE run_id = $1`, runID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := stored(old.ID); n != int(old.LastSeq) {
		t.Fatalf("%d events stored, want %d", n, old.LastSeq)
	}
	// Age the first run's events past the retention.
	if _, err := b.st.Pool().Exec(ctx, `UPDATE run_events SET created_at = now() - interval '1 day' WHERE run_id = $1`, old.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, func() bool { return stored(old.ID) == 0 })
	if n := stored(recent.ID); n != int(recent.LastSeq) {
		t.Fatalf("recent run: %d events kept, want %d", n, recent.LastSeq)
	}

	// A replica that never held the run in memory reads the stored log.
	// Subscribe itself says so, so that the WebSocket can answer
	// resume_unavailable rather than fail later.
	if sub, err := b.eng.Subscribe(ctx, old.ID, 0); !errors.Is(err, engine.ErrLogUnavailable) {
		if sub != nil {
			sub.Close()
		}
		t.Fatalf("resume of a pruned log: %v, want ErrLogUnavailable from Subscribe", err)
	}
	end, err := b.eng.Subscribe(ctx, old.ID, old.LastSeq)
	if err != nil {
		t.Fatal(err)
	}
	defer end.Close()
	if evs, err := end.Next(ctx); !errors.Is(err, io.EOF) {
		t.Fatalf("resume after the last event of a pruned log: %v %v, want io.EOF", types(evs), err)
	}
	kept, err := b.eng.Subscribe(ctx, recent.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Close()
	if evs := readUntil(t, ctx, kept, never); int64(len(evs)) != recent.LastSeq {
		t.Fatalf("recent run: read %d events, want %d", len(evs), recent.LastSeq)
	}
}

// TestRecoverLeavesAnotherReplicasNewRunAlone: a replica starting while
// another has just created a run (not yet claimed) must not end it; a run
// left unclaimed for long (its replica died before claiming it) is ended.
func TestRecoverLeavesAnotherReplicasNewRunAlone(t *testing.T) {
	t.Parallel()
	url := pgtest.SchemaURL(t)
	b := newReplica(t, url, "replica-b", 2*time.Second, idle())
	ctx := t.Context()
	inst := seeded(t, b.st)
	user := must(b.st.AppendMessage(ctx, model.Message{FlowInstanceID: inst, Role: model.RoleUser, Content: "hi"}))
	run := must(b.st.CreateRun(ctx, model.Run{ID: model.NewID(), FlowInstanceID: inst, FlowConfigID: seed.FlowStandard,
		UserMessageID: user.ID, Status: model.RunRunning}))

	if n, err := b.eng.Recover(ctx); err != nil || n != 0 {
		t.Fatalf("Recover ended %d runs (%v), want none", n, err)
	}
	if r := must(b.eng.Run(ctx, run.ID)); r.Status != model.RunRunning {
		t.Fatalf("a just-created, unclaimed run was ended: %s", r.Status)
	}

	// The same run, unclaimed for long: its replica died before claiming it.
	if _, err := b.st.Pool().Exec(ctx, `UPDATE runs SET created_at = now() - interval '2 minutes' WHERE id = $1`, run.ID); err != nil {
		t.Fatal(err)
	}
	// Recover ends it, unless b's own sweep got there first.
	if _, err := b.eng.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if r := must(b.eng.Run(ctx, run.ID)); r.Status != model.RunInterrupted {
		t.Fatalf("old unclaimed run: %s, want interrupted", r.Status)
	}
}

package engine

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
)

// demoLikeLog builds the log of a run shaped like a demo run: the user
// message, the superego's reasoning and verdict, the answer in short
// deltas (each its own allocation, as a provider's decoder makes them),
// the stored messages and run_finished.
func demoLikeLog(id string, thinking, answer int) *runLog {
	l := newRunLog(id)
	head := events.Event{RunID: id, FlowInstanceID: "inst-" + id, FlowConfigID: "standard", TS: time.Now()}
	ev := func(e events.Event) events.Event {
		e.RunID, e.FlowInstanceID, e.FlowConfigID, e.TS = head.RunID, head.FlowInstanceID, head.FlowConfigID, head.TS
		return e
	}
	msg := func(role string, parts []string) *model.Message {
		return &model.Message{ID: fmt.Sprintf("%s-%s", id, role), Role: role, Content: strings.Join(parts, ""), Status: model.MessageComplete}
	}
	l.append(ev(events.Event{Type: events.TypeRunStarted, UserMessage: msg("user", []string{"What is a good name for a cat? Something short."})}))
	l.append(ev(events.Event{Type: events.TypeSuperegoStarted, ConstitutionID: "default", ConstitutionVersion: 1, Model: "demo"}))
	var parts []string
	for i := range thinking {
		d := fmt.Sprintf("step%d ", i%10)
		parts = append(parts, d)
		l.append(ev(events.Event{Type: events.TypeSuperegoThinking, Delta: d}))
	}
	l.append(ev(events.Event{Type: events.TypeSuperegoDecision, Decision: model.DecisionAllow, Message: msg("superego", parts)}))
	parts = parts[:0]
	for i := range answer {
		d := fmt.Sprintf("w%d ", i%100)
		parts = append(parts, d)
		l.append(ev(events.Event{Type: events.TypeAssistantToken, Delta: d}))
	}
	l.append(ev(events.Event{Type: events.TypeAssistantMessage, Message: msg("assistant", parts)}))
	l.append(ev(events.Event{Type: events.TypeRunFinished, Status: model.RunCompleted,
		Usage: &model.Usage{InputTokens: 400, OutputTokens: 300}, Timings: &model.Timings{TotalMs: 900}}))
	return l
}

// TestLogAccountingMatchesTheHeap holds many finished logs and compares
// what the log store counts with the heap they take, measured after a GC:
// MaxLogBytes is only a bound on memory if the count is close to real.
// (It counted about 160 bytes an event while an event's slot alone is
// several times that, so 64 MiB of logs took several times 64 MiB.) Not
// parallel: other tests' allocations would blur the measurement.
func TestLogAccountingMatchesTheHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates tens of megabytes")
	}
	s := newLogStore(time.Hour, 1<<20, 1<<40, time.Now)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 80 {
		l := demoLikeLog(fmt.Sprintf("run%03d", i), 60, 240)
		s.add(l)
		s.markFinished(l)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	held := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	counted := float64(s.finBytes)
	runtime.KeepAlive(s)
	t.Logf("80 logs, %d events: counted %.1f MiB, heap %.1f MiB (ratio %.2f)",
		80*(60+240+6), counted/(1<<20), held/(1<<20), counted/held)
	// Within a factor: the bound may overestimate a little, never count
	// much less than is held.
	if counted < 0.8*held || counted > 1.5*held {
		t.Fatalf("the log store counts %.1f MiB for %.1f MiB of heap", counted/(1<<20), held/(1<<20))
	}
}

package engine_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
)

// instanceNotices returns the flow_instance notifications queued on ch so far, as
// "action:id", followed by "@run" when the notice names a run.
func instanceNotices(ch <-chan events.Event) []string {
	var out []string
	for {
		select {
		case e := <-ch:
			if e.Type == events.TypeResourceChanged && e.Resource == "flow_instance" {
				n := e.Action + ":" + e.ID
				if e.RunID != "" {
					n += "@" + e.RunID
				}
				out = append(out, n)
			}
		default:
			return out
		}
	}
}

// only keeps the entries of one action, without the prefix.
func only(action string, entries []string) []string {
	var ids []string
	for _, e := range entries {
		if id, ok := strings.CutPrefix(e, action+":"); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// Instances the engine creates (comparison columns and forks) are announced
// like REST writes, and so is every run's start and end on its instance
// (naming the run), so other clients list and refresh them without polling.
func TestEngineAnnouncesTheInstancesItCreates(t *testing.T) {
	t.Parallel()
	bus := events.NewLocalBus()
	ch, unsubscribe := bus.Subscribe(16)
	defer unsubscribe()
	p := &scripted{superego: say("", "DECISION: ALLOW"), assistant: say("", "Hello.")}
	f := newFixture(t, p, engine.Config{Bus: bus}, nil)
	ctx := t.Context()

	first := must(f.eng.Send(ctx, f.instance, "First"))
	f.wait(t, first.ID)
	// The run's start and end name the run, so that only the clients
	// showing its instance get them.
	run := "updated:" + f.instance + "@" + first.ID
	if got := instanceNotices(ch); !slices.Equal(got, []string{run, run}) {
		t.Fatalf("a send announced %v, want its instance updated at start and end by run %s", got, first.ID)
	}

	other := f.config(t, "Other", "")
	_, runs, err := f.eng.RunParallel(ctx, []string{f.guarded, other}, "Compare me", "cmp")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range runs {
		f.wait(t, r.ID)
		want = append(want, r.FlowInstanceID)
	}
	if got := only(events.ActionCreated, instanceNotices(ch)); !slices.Equal(got, want) {
		t.Fatalf("comparison announced %v, want its columns %v", got, want)
	}

	none := "none"
	rr, err := f.eng.Rerun(ctx, first.UserMessageID, model.Overrides{ConstitutionID: &none})
	if err != nil {
		t.Fatal(err)
	}
	f.wait(t, rr.ID)
	if got := only(events.ActionCreated, instanceNotices(ch)); !slices.Equal(got, []string{rr.FlowInstanceID}) {
		t.Fatalf("rerun announced %v, want the fork %s", got, rr.FlowInstanceID)
	}
}

package engine_test

import (
	"slices"
	"testing"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
)

// drainCreated returns the ids of the flow_instance "created" notifications
// queued on ch so far.
func drainCreated(ch <-chan events.Event) []string {
	var ids []string
	for {
		select {
		case e := <-ch:
			if e.Type == events.TypeResourceChanged && e.Resource == "flow_instance" && e.Action == events.ActionCreated {
				ids = append(ids, e.ID)
			}
		default:
			return ids
		}
	}
}

// Instances the engine creates (comparison columns and forks) are announced
// like REST writes, so other clients list them without polling.
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
	if got := drainCreated(ch); len(got) != 0 {
		t.Fatalf("a plain send announced instances %v", got)
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
	if got := drainCreated(ch); !slices.Equal(got, want) {
		t.Fatalf("comparison announced %v, want its columns %v", got, want)
	}

	none := "none"
	rr, err := f.eng.Rerun(ctx, first.UserMessageID, model.Overrides{ConstitutionID: &none})
	if err != nil {
		t.Fatal(err)
	}
	f.wait(t, rr.ID)
	if got := drainCreated(ch); !slices.Equal(got, []string{rr.FlowInstanceID}) {
		t.Fatalf("rerun announced %v, want the fork %s", got, rr.FlowInstanceID)
	}
}

package wsapi_test

import (
	"testing"

	"github.com/superego-lab/superego/internal/events"
)

// subscribe sends a subscribe frame and waits until it took effect: the
// reader applies it before it answers the ping sent after it.
func (c *client) subscribe(sub map[string]any) {
	c.t.Helper()
	sub["type"] = "subscribe"
	c.send(sub)
	c.send(map[string]any{"type": "ping"})
	c.expect("pong")
}

// awaitRunEnd reads the bus copy ch until the notice of runID's end (the
// second that names it) has been published.
func awaitRunEnd(t *testing.T, ch <-chan events.Event, runID string) {
	t.Helper()
	for n := 0; n < 2; {
		select {
		case ev := <-ch:
			if ev.RunID == runID {
				n++
			}
		case <-t.Context().Done():
			t.Fatal("the run's notices never came")
		}
	}
}

// A run's start and end reach only the sockets that follow its instance;
// other notices reach the sockets that follow their kind (by default every
// kind) or their instance. Events pass the bus and the fan-out in order, so
// a marker notice published after others shows which of those a socket got.
func TestNoticesGoToSubscribers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{announce: true})
	seen, unsubscribe := e.bus.Subscribe(64)
	defer unsubscribe()
	starter := e.dial()   // follows only the system prompts
	watcher := e.dial()   // shows the instance the run is on, and no list
	other := e.dial()     // shows another instance and the constitutions
	bystander := e.dial() // never subscribed: every kind, no instance
	starter.subscribe(map[string]any{"resources": []string{"sysprompt"}})
	watcher.subscribe(map[string]any{"resources": []string{}, "flow_instance_ids": []string{e.instance}})
	other.subscribe(map[string]any{"resources": []string{"constitution"}, "flow_instance_ids": []string{e.plainInstance}})
	pingPong(t, bystander.c)

	starter.send(sendMessage("r1", e.instance, "hello"))
	run := starter.expect(events.TypeAccepted).RunIDs[0]
	starter.collect(run)
	awaitRunEnd(t, seen, run)
	e.bus.Publish(t.Context(), events.ResourceChanged("flow_instance", events.ActionUpdated, e.instance, 7))
	e.bus.Publish(t.Context(), events.ResourceChanged("constitution", events.ActionUpdated, "default", 2))
	e.bus.Publish(t.Context(), events.ResourceChanged("sysprompt", events.ActionUpdated, "terse", 2))

	// The watcher hears of the run (its start and end may have been folded
	// into one notice while pending), then of the instance's edit.
	runNotices := 0
	for {
		f := watcher.read()
		if f.Type != events.TypeResourceChanged || f.Resource != "flow_instance" || f.ID != e.instance {
			t.Fatalf("watcher got %s %s %s, want only notices of its instance", f.Type, f.Resource, f.ID)
		}
		if f.RunID == "" {
			break
		}
		if f.RunID != run || f.Action != events.ActionUpdated {
			t.Fatalf("watcher got %+v, want the run %s", f.Event, run)
		}
		runNotices++
	}
	if runNotices == 0 {
		t.Fatal("the watcher never heard of the run on its instance")
	}
	if f := starter.read(); f.Resource != "sysprompt" {
		t.Fatalf("starter: first notice %s %s %s, want only the system prompt's", f.Type, f.Resource, f.ID)
	}
	if f := other.read(); f.Resource != "constitution" {
		t.Fatalf("other: first frame %s %s %s, want only the constitution's notice", f.Type, f.Resource, f.ID)
	}
	for _, want := range []string{"flow_instance", "constitution", "sysprompt"} {
		if f := bystander.read(); f.Resource != want || f.RunID != "" {
			t.Fatalf("bystander: got %s %s %s run %q, want %s and no run notice", f.Type, f.Resource, f.ID, f.RunID, want)
		}
	}

	// An edit of a followed instance reaches its follower whatever kinds it
	// follows; an edit of another does not.
	e.bus.Publish(t.Context(), events.ResourceChanged("flow_instance", events.ActionUpdated, "elsewhere", 2))
	e.bus.Publish(t.Context(), events.ResourceChanged("flow_instance", events.ActionDeleted, e.plainInstance, 3))
	if f := other.read(); f.ID != e.plainInstance || f.Action != events.ActionDeleted {
		t.Fatalf("other: got %s %s %s, want its instance deleted", f.Type, f.ID, f.Action)
	}

	// Subscribing again replaces the instances: the watcher no longer hears
	// of runs on its old instance.
	watcher.subscribe(map[string]any{"flow_instance_ids": []string{e.plainInstance}})
	starter.send(sendMessage("r2", e.instance, "again"))
	second := starter.expect(events.TypeAccepted).RunIDs[0]
	starter.collect(second)
	starter.send(sendMessage("r3", e.plainInstance, "there"))
	third := starter.expect(events.TypeAccepted).RunIDs[0]
	starter.collect(third)
	if f := watcher.expect(events.TypeResourceChanged); f.RunID != third {
		t.Fatalf("watcher got %+v, want only the run %s on its new instance", f.Event, third)
	}
}

package wsapi_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
)

// Attribution frames (published by the eval runner as each ablation call
// ends) reach the sockets that follow attributions, in order, and no other.
func TestAttributionFramesGoToSubscribers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	follower := e.dial()
	other := e.dial()
	follower.subscribe(map[string]any{"resources": []string{events.ResourceAttribution}})
	other.subscribe(map[string]any{"resources": []string{"constitution"}})
	pingPong(t, follower.c)
	pingPong(t, other.c)

	item := 0
	progress := func(done int, variant, section string, d model.Decision) events.Event {
		return events.Event{Type: events.TypeAttributionProgress, TS: time.Now().UTC(), Resource: events.ResourceAttribution,
			ID: "a1", Status: "running", Done: done, Total: 3, Item: &item, Variant: variant, SectionID: section, Decision: d}
	}
	// Each frame as the socket carries it, checked against the document's
	// Event union.
	read := func() frame {
		ctx, cancel := context.WithTimeout(t.Context(), readTimeout)
		defer cancel()
		_, raw, err := follower.c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		checkSchema(t, raw)
		var f frame
		if err := json.Unmarshal(raw, &f.Event); err != nil {
			t.Fatal(err)
		}
		return f
	}
	e.bus.Publish(t.Context(), progress(1, "full", "", model.DecisionBlock))
	first := read()
	e.bus.Publish(t.Context(), progress(2, "without", "two", model.DecisionAllow))
	second := read()
	e.bus.Publish(t.Context(), events.Event{Type: events.TypeAttributionFinished, TS: time.Now().UTC(), Resource: events.ResourceAttribution,
		ID: "a1", Status: "cancelled", Error: "cancelled by user", Done: 2, Total: 3})
	end := read()
	if first.Type != events.TypeAttributionProgress || first.Done != 1 || first.Item == nil || *first.Item != 0 || first.Variant != "full" {
		t.Fatalf("first frame %+v", first.Event)
	}
	if second.Done != 2 || second.SectionID != "two" || second.Decision != model.DecisionAllow {
		t.Fatalf("second frame %+v", second.Event)
	}
	if end.Type != events.TypeAttributionFinished || end.Status != "cancelled" || end.Done != 2 || end.Total != 3 {
		t.Fatalf("end frame %+v", end.Event)
	}
	e.bus.Publish(t.Context(), events.ResourceChanged("constitution", events.ActionUpdated, "default", 2))
	if f := other.read(); f.Type != events.TypeResourceChanged || f.Resource != "constitution" {
		t.Fatalf("a socket not following attributions got %s %s first", f.Type, f.Resource)
	}
}

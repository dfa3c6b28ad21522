package events

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
)

func TestLocalBusDeliversToEverySubscriber(t *testing.T) {
	t.Parallel()
	b := NewLocalBus()
	a, unsubA := b.Subscribe(4)
	defer unsubA()
	c, unsubC := b.Subscribe(4)
	defer unsubC()

	e := ResourceChanged("constitution", ActionUpdated, "default", 2)
	b.Publish(t.Context(), e)
	for name, ch := range map[string]<-chan Event{"a": a, "c": c} {
		select {
		case got := <-ch:
			if got.Type != TypeResourceChanged || got.ID != "default" || got.Version != 2 || got.Action != ActionUpdated {
				t.Errorf("subscriber %s got %+v", name, got)
			}
		default:
			t.Errorf("subscriber %s got nothing", name)
		}
	}
	if d := b.Dropped(); d != 0 {
		t.Errorf("dropped = %d, want 0", d)
	}
}

func TestLocalBusUnsubscribe(t *testing.T) {
	t.Parallel()
	b := NewLocalBus()
	gone, unsub := b.Subscribe(4)
	stay, unsubStay := b.Subscribe(4)
	defer unsubStay()

	unsub()
	unsub() // a second call must be harmless, not a double close
	if _, ok := <-gone; ok {
		t.Fatal("channel still open after unsubscribe")
	}
	// Publishing after the unsubscribe must neither panic (send on a
	// closed channel) nor count the departed subscriber as a drop.
	b.Publish(t.Context(), ResourceChanged("sysprompt", ActionCreated, "p", 1))
	select {
	case <-stay:
	default:
		t.Fatal("remaining subscriber got nothing")
	}
	if d := b.Dropped(); d != 0 {
		t.Errorf("dropped = %d, want 0", d)
	}
}

// A full queue loses the newest events (counted) instead of blocking the
// writer that publishes; what was queued stays in order.
func TestLocalBusFullQueueDrops(t *testing.T) {
	t.Parallel()
	b := NewLocalBus()
	slow, unsubSlow := b.Subscribe(2)
	defer unsubSlow()
	fast, unsubFast := b.Subscribe(8)
	defer unsubFast()

	for v := 1; v <= 5; v++ {
		b.Publish(t.Context(), ResourceChanged("constitution", ActionUpdated, "x", v)) // must not block
	}
	if d := b.Dropped(); d != 3 {
		t.Errorf("dropped = %d, want 3 (5 events into a queue of 2)", d)
	}
	for want := 1; want <= 2; want++ {
		if got := <-slow; got.Version != want {
			t.Errorf("slow subscriber got version %d, want %d", got.Version, want)
		}
	}
	select {
	case e := <-slow:
		t.Errorf("slow subscriber got a dropped event: %+v", e)
	default:
	}
	for want := 1; want <= 5; want++ {
		if got := <-fast; got.Version != want {
			t.Errorf("fast subscriber got version %d, want %d", got.Version, want)
		}
	}
}

func TestLocalBusZeroBufferStillQueuesOne(t *testing.T) {
	t.Parallel()
	b := NewLocalBus()
	ch, unsub := b.Subscribe(0)
	defer unsub()
	b.Publish(t.Context(), ResourceChanged("flow_config", ActionDeleted, "c", 3))
	select {
	case <-ch:
	default:
		t.Fatal("a subscriber asking for no buffer got nothing; it should get a queue of one")
	}
}

// Publishing, subscribing and unsubscribing from many goroutines at once
// is what the REST handlers and WebSocket sessions do; -race checks it.
func TestLocalBusConcurrentUse(t *testing.T) {
	t.Parallel()
	b := NewLocalBus()
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for v := range 50 {
				b.Publish(ctx, ResourceChanged("constitution", ActionUpdated, "x", i*100+v))
			}
		})
		wg.Go(func() {
			for range 20 {
				ch, unsub := b.Subscribe(1)
				select {
				case <-ch:
				default:
				}
				unsub()
			}
		})
	}
	wg.Wait()
}

func TestResourceChangedJSON(t *testing.T) {
	t.Parallel()
	e := ResourceChanged("flow_instance", ActionCreated, "s1", 1)
	if e.TS.IsZero() || e.TS.Location().String() != "UTC" {
		t.Errorf("ts = %v, want a UTC time", e.TS)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"type": "resource_changed", "resource": "flow_instance", "action": "created", "id": "s1", "version": float64(1)}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	// Fields of other event types stay out of the wire form.
	for k := range m {
		if _, ok := want[k]; !ok && k != "ts" {
			t.Errorf("unexpected field %q in %s", k, b)
		}
	}
	if e.IsDelta() {
		t.Error("resource_changed reported as a delta")
	}
	if !(Event{Type: TypeAssistantToken}).IsDelta() {
		t.Error("assistant_token not reported as a delta")
	}
}

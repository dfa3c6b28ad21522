package events

import (
	"context"
	"sync"
	"sync/atomic"
)

// Bus fans notifications out to every subscriber. The in-process LocalBus is
// the default; a PostgreSQL implementation carries events across replicas.
type Bus interface {
	// Publish delivers e to every current subscriber. It never blocks on a
	// slow subscriber.
	Publish(ctx context.Context, e Event)
	// Subscribe registers a subscriber with a queue of size buf. Call the
	// returned function to unsubscribe; it closes the channel.
	Subscribe(buf int) (<-chan Event, func())
}

// LocalBus is an in-process Bus. A subscriber whose queue is full misses the
// event (counted in Dropped) rather than stalling writers.
type LocalBus struct {
	mu      sync.RWMutex
	subs    map[*localSub]struct{}
	dropped atomic.Int64
}

type localSub struct {
	ch   chan Event
	once sync.Once
}

// NewLocalBus returns an empty in-process bus.
func NewLocalBus() *LocalBus {
	return &LocalBus{subs: make(map[*localSub]struct{})}
}

// Publish implements Bus.
func (b *LocalBus) Publish(_ context.Context, e Event) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs {
		select {
		case s.ch <- e:
		default:
			b.dropped.Add(1)
		}
	}
}

// Subscribe implements Bus.
func (b *LocalBus) Subscribe(buf int) (<-chan Event, func()) {
	if buf < 1 {
		buf = 1
	}
	s := &localSub{ch: make(chan Event, buf)}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s.ch, func() {
		s.once.Do(func() {
			b.mu.Lock()
			delete(b.subs, s)
			b.mu.Unlock()
			close(s.ch)
		})
	}
}

// Dropped returns how many deliveries were skipped because a queue was full.
func (b *LocalBus) Dropped() int64 { return b.dropped.Load() }

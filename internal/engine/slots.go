package engine

import (
	"container/list"
	"context"
	"sync"
)

// slots limits concurrent upstream calls (MaxConcurrentUpstream) for chat
// and background work (evals) together, chat first: a freed slot goes to a
// waiting chat call before any background one, and background calls never
// hold more than their share, so a chat message never queues behind an
// eval of ten thousand verdicts.
type slots struct {
	mu       sync.Mutex
	free     int
	bgInUse  int
	bgLimit  int
	chat, bg list.List // of chan struct{}, closed when granted
}

// newSlots returns n slots of which background work may hold n - n/4
// (at least one).
func newSlots(n int) *slots {
	return &slots{free: n, bgLimit: max(1, n-n/4)}
}

// acquire waits for a slot. It returns the context's cause if ctx ends
// first, holding nothing.
func (s *slots) acquire(ctx context.Context, background bool) error {
	s.mu.Lock()
	if s.free > 0 && (!background || (s.chat.Len() == 0 && s.bgInUse < s.bgLimit)) {
		s.take(background)
		s.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	q := &s.chat
	if background {
		q = &s.bg
	}
	el := q.PushBack(ch)
	s.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		select {
		case <-ch: // granted just now: give it back
			s.put(background)
		default:
			q.Remove(el)
		}
		return context.Cause(ctx)
	}
}

// release frees a slot taken by acquire with the same background flag.
func (s *slots) release(background bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(background)
}

// take marks a slot used; s.mu is held.
func (s *slots) take(background bool) {
	s.free--
	if background {
		s.bgInUse++
	}
}

// put frees a slot and hands it to the next waiter, chat first; s.mu is
// held.
func (s *slots) put(background bool) {
	s.free++
	if background {
		s.bgInUse--
	}
	if el := s.chat.Front(); el != nil {
		s.chat.Remove(el)
		s.take(false)
		close(el.Value.(chan struct{}))
		return
	}
	if el := s.bg.Front(); el != nil && s.bgInUse < s.bgLimit {
		s.bg.Remove(el)
		s.take(true)
		close(el.Value.(chan struct{}))
	}
}

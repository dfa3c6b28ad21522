package engine

import (
	"context"
	"errors"
	"runtime"
	"testing"
)

// waitQueued spins until n callers wait in q (no sleeping: the waiters are
// goroutines about to block).
func waitQueued(s *slots, chat bool, n int) {
	for {
		s.mu.Lock()
		l := s.bg.Len()
		if chat {
			l = s.chat.Len()
		}
		s.mu.Unlock()
		if l == n {
			return
		}
		runtime.Gosched()
	}
}

func TestSlotsServeChatFirst(t *testing.T) {
	ctx := context.Background()
	s := newSlots(4) // background may hold 3
	for range 3 {
		if err := s.acquire(ctx, true); err != nil {
			t.Fatal(err)
		}
	}
	// A fourth background call waits though a slot is free: it is chat's.
	bgDone := make(chan struct{})
	go func() {
		if err := s.acquire(ctx, true); err == nil {
			close(bgDone)
		}
	}()
	waitQueued(s, false, 1)
	if err := s.acquire(ctx, false); err != nil {
		t.Fatal(err)
	}
	// All four held; a chat caller now queues behind the background one,
	// and still gets the next freed slot.
	chatDone := make(chan struct{})
	go func() {
		if err := s.acquire(ctx, false); err == nil {
			close(chatDone)
		}
	}()
	waitQueued(s, true, 1)
	s.release(true)
	<-chatDone
	select {
	case <-bgDone:
		t.Fatal("a background call took a slot while a chat call waited")
	default:
	}
	s.release(false)
	<-bgDone
}

func TestSlotsCancelledWaiterHoldsNothing(t *testing.T) {
	s := newSlots(1)
	if err := s.acquire(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stop")
	errc := make(chan error)
	go func() { errc <- s.acquire(ctx, true) }()
	waitQueued(s, false, 1)
	cancel(stop)
	if err := <-errc; !errors.Is(err, stop) {
		t.Fatalf("got %v", err)
	}
	s.release(false)
	if err := s.acquire(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if s.free != 0 || s.bgInUse != 0 {
		t.Fatalf("free=%d bgInUse=%d", s.free, s.bgInUse)
	}
}

package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// scripted is a Provider whose attempts follow a script: each step emits
// some text events and then returns an error (nil ends the stream well).
// It exists to drive WithRetry through cases that are awkward to produce
// over HTTP; the HTTP paths are covered in the provider packages.
type scripted struct {
	steps []step
	calls int
}

type step struct {
	emit  []string
	err   error
	block bool // wait for ctx to end after emitting
}

func (s *scripted) Name() string { return "scripted" }

func (s *scripted) Stream(ctx context.Context, _ Request, emit func(Event) error) error {
	st := s.steps[min(s.calls, len(s.steps)-1)]
	s.calls++
	for _, d := range st.emit {
		if err := emit(Event{Kind: KindText, Delta: d}); err != nil {
			return fmt.Errorf("stream stopped: %w", err)
		}
	}
	if st.block {
		<-ctx.Done()
		return ctx.Err()
	}
	return st.err
}

func recordWait(delays *[]time.Duration) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		*delays = append(*delays, d)
		return ctx.Err()
	}
}

func collect(ctx context.Context, p Provider) (string, error) {
	var b strings.Builder
	err := p.Stream(ctx, Request{}, func(ev Event) error { b.WriteString(ev.Delta); return nil })
	return b.String(), err
}

func TestRetryBackoffGrowsAndGivesUp(t *testing.T) {
	t.Parallel()
	s := &scripted{steps: []step{{err: &UpstreamError{Provider: "scripted", Status: 503, Message: "busy"}}}}
	var delays []time.Duration
	retries := 0
	p := WithRetry(s, RetryOptions{MaxAttempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: 300 * time.Millisecond,
		Wait: recordWait(&delays), OnRetry: func(string) { retries++ }})
	_, err := collect(context.Background(), p)
	var ue *UpstreamError
	if !errors.As(err, &ue) || ue.Attempts != 4 || s.calls != 4 || retries != 3 {
		t.Fatalf("err %v, %d calls, %d retries", err, s.calls, retries)
	}
	if !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "busy") || !strings.Contains(err.Error(), "4 attempts") {
		t.Fatalf("error should say status, message and attempts: %v", err)
	}
	// Equal jitter: each delay lies in [d/2, d] for d = 100ms, 200ms, 300ms (capped).
	bounds := []time.Duration{100, 200, 300}
	for i, d := range delays {
		hi := bounds[i] * time.Millisecond
		if d < hi/2 || d > hi {
			t.Errorf("delay %d = %v, want within [%v, %v]", i, d, hi/2, hi)
		}
	}
	if len(delays) != 3 {
		t.Fatalf("delays %v", delays)
	}
}

func TestRetryHonoursRetryAfterAndItsCap(t *testing.T) {
	t.Parallel()
	s := &scripted{steps: []step{{err: &UpstreamError{Status: 429, RetryAfter: 3 * time.Second}}, {emit: []string{"ok"}}}}
	var delays []time.Duration
	p := WithRetry(s, RetryOptions{Wait: recordWait(&delays)})
	if text, err := collect(context.Background(), p); err != nil || text != "ok" {
		t.Fatalf("text %q err %v", text, err)
	}
	if len(delays) != 1 || delays[0] != 3*time.Second {
		t.Fatalf("delays %v, want the 3s asked for", delays)
	}

	s = &scripted{steps: []step{{err: &UpstreamError{Status: 429, RetryAfter: time.Hour}}}}
	delays = nil
	p = WithRetry(s, RetryOptions{MaxRetryAfter: time.Minute, Wait: recordWait(&delays)})
	_, err := collect(context.Background(), p)
	if s.calls != 1 || len(delays) != 0 || err == nil {
		t.Fatalf("a Retry-After beyond the cap should end at once: calls %d delays %v err %v", s.calls, delays, err)
	}
}

func TestNoRetryAfterFirstEvent(t *testing.T) {
	t.Parallel()
	s := &scripted{steps: []step{{emit: []string{"half"}, err: &UpstreamError{Status: 502}}}}
	p := WithRetry(s, RetryOptions{Wait: recordWait(new([]time.Duration))})
	text, err := collect(context.Background(), p)
	if s.calls != 1 || text != "half" || err == nil {
		t.Fatalf("calls %d text %q err %v", s.calls, text, err)
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	t.Parallel()
	for _, e := range []error{&UpstreamError{Status: 400}, &UpstreamError{Status: 401}, &UpstreamError{Status: 404},
		&StreamError{Provider: "x", Err: ErrMalformedStream}, errors.New("something odd")} {
		s := &scripted{steps: []step{{err: e}}}
		_, err := collect(context.Background(), WithRetry(s, RetryOptions{Wait: recordWait(new([]time.Duration))}))
		if s.calls != 1 || err == nil {
			t.Errorf("%v: %d calls, err %v", e, s.calls, err)
		}
		if !strings.HasPrefix(err.Error(), "scripted") && !strings.Contains(err.Error(), "x:") {
			t.Errorf("error should name the provider: %v", err)
		}
	}
}

func TestConsumerErrorPassesThrough(t *testing.T) {
	t.Parallel()
	gone := errors.New("client gone")
	s := &scripted{steps: []step{{emit: []string{"a", "b"}}}}
	err := WithRetry(s, RetryOptions{}).Stream(context.Background(), Request{}, func(Event) error { return gone })
	if !errors.Is(err, gone) || s.calls != 1 {
		t.Fatalf("err %v calls %d", err, s.calls)
	}
	var se *StreamError
	if errors.As(err, &se) {
		t.Fatalf("the consumer's error should not be dressed as an upstream failure: %v", err)
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	s := &scripted{steps: []step{{err: &UpstreamError{Status: 500}}}}
	ctx, cancel := context.WithCancel(context.Background())
	p := WithRetry(s, RetryOptions{BaseDelay: time.Hour, MaxDelay: time.Hour, Wait: func(ctx context.Context, d time.Duration) error {
		cancel()
		return waitTimer(ctx, d) // the real timer wait must give way to ctx
	}})
	_, err := collect(ctx, p)
	if !errors.Is(err, context.Canceled) || s.calls != 1 {
		t.Fatalf("err %v calls %d", err, s.calls)
	}
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	s := &scripted{steps: []step{{block: true}}}
	_, err := collect(context.Background(), WithRetry(s, RetryOptions{FirstTokenTimeout: 5 * time.Millisecond}))
	if !errors.Is(err, ErrFirstTokenTimeout) || s.calls != 1 {
		t.Fatalf("err %v calls %d, want one ErrFirstTokenTimeout", err, s.calls)
	}

	s = &scripted{steps: []step{{emit: []string{"a"}, block: true}}}
	_, err = collect(context.Background(), WithRetry(s, RetryOptions{FirstTokenTimeout: -1, IdleTimeout: 5 * time.Millisecond}))
	if !errors.Is(err, ErrStallTimeout) {
		t.Fatalf("err %v, want ErrStallTimeout", err)
	}

	// The idle clock is shorter than the first-token one it follows: the
	// silence after the first token ends the attempt after the idle
	// timeout, not when the first-token clock would have run out.
	s = &scripted{steps: []step{{emit: []string{"a"}, block: true}}}
	_, err = collect(context.Background(), WithRetry(s, RetryOptions{FirstTokenTimeout: time.Hour, IdleTimeout: 5 * time.Millisecond}))
	if !errors.Is(err, ErrStallTimeout) {
		t.Fatalf("err %v, want ErrStallTimeout", err)
	}
}

func TestIdleClockPausedWhileConsumerWorks(t *testing.T) {
	t.Parallel()
	s := &scripted{steps: []step{{emit: []string{"a", "b", "c"}}}}
	p := WithRetry(s, RetryOptions{IdleTimeout: 5 * time.Millisecond})
	n := 0
	err := p.Stream(context.Background(), Request{}, func(Event) error {
		n++
		// A consumer slower than the idle timeout is not an upstream stall.
		<-time.After(20 * time.Millisecond)
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("err %v after %d events", err, n)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"3", 3 * time.Second, true},
		{" 1.5 ", 1500 * time.Millisecond, true},
		{"0", 0, true},
		{"Wed, 25 Nov 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Wed, 25 Nov 2026 11:59:00 GMT", 0, true},
		{"", 0, false},
		{"-4", 0, false},
		{"soon", 0, false},
	}
	for _, c := range cases {
		got, ok := ParseRetryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	h := http.Header{}
	h.Set("Retry-After", "7")
	h.Set("Retry-After-Ms", "250")
	if d := RetryAfterFromHeader(h, now); d != 250*time.Millisecond {
		t.Errorf("retry-after-ms should win: %v", d)
	}
	h.Del("Retry-After-Ms")
	if d := RetryAfterFromHeader(h, now); d != 7*time.Second {
		t.Errorf("Retry-After: %v", d)
	}
}

func TestIsRetryable(t *testing.T) {
	t.Parallel()
	cases := map[error]bool{
		&UpstreamError{Status: 429}:                                     true,
		&UpstreamError{Status: 500}:                                     true,
		&UpstreamError{Status: 529}:                                     true,
		&UpstreamError{Status: 408}:                                     true,
		&UpstreamError{Status: 401}:                                     false,
		&UpstreamError{Status: 400}:                                     false,
		&StreamError{Err: ErrStreamInterrupted}:                         true,
		&StreamError{Err: io.ErrUnexpectedEOF}:                          true,
		&StreamError{Err: fmt.Errorf("dial: %w", syscall.ECONNREFUSED)}: true,
		&StreamError{Err: ErrMalformedStream}:                           false,
		&StreamError{Err: ErrFirstTokenTimeout}:                         false,
		context.Canceled:                                                false,
		errors.New("unknown"):                                           false,
	}
	for err, want := range cases {
		if got := IsRetryable(err); got != want {
			t.Errorf("IsRetryable(%v) = %v, want %v", err, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	key := "sk-proj-abcdefABCDEF0123456789"
	cases := map[string]string{
		"Incorrect API key provided: sk-proj-****************************abcd. See docs.": "Incorrect API key provided: [redacted]. See docs.",
		"bad key " + key:                   "bad key [redacted]",
		"token my-secret-token-xyz here":   "token [redacted] here",
		"no secrets here, sk- is a prefix": "no secrets here, sk- is a prefix",
	}
	for in, want := range cases {
		if got := Redact(in, key, "my-secret-token-xyz"); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

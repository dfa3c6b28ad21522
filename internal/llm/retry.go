package llm

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// RetryOptions tunes WithRetry. Zero values take the defaults noted on each
// field; a negative timeout disables that timeout.
type RetryOptions struct {
	// MaxAttempts is the total number of calls, first one included (default 3).
	MaxAttempts int
	// BaseDelay is the first backoff delay, doubled on every retry (default 500ms).
	BaseDelay time.Duration
	// MaxDelay caps the exponential backoff (default 8s).
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After we are willing to wait; a
	// provider asking for more ends the call at once (default 30s).
	MaxRetryAfter time.Duration
	// FirstTokenTimeout bounds the wait for the first event of an attempt,
	// connection set-up included (default 90s: reasoning models can think
	// for a while before saying anything).
	FirstTokenTimeout time.Duration
	// IdleTimeout bounds the silence between two events (default 60s).
	IdleTimeout time.Duration
	// OnRetry, when set, is called once per retry (for metrics).
	OnRetry func(provider string)
	// Logger receives one line per retry; nil discards.
	Logger *slog.Logger
	// Wait pauses between attempts; nil waits on a timer. It must return
	// ctx.Err() when ctx ends first. Tests use it to observe the delays.
	Wait func(ctx context.Context, d time.Duration) error
}

func (o RetryOptions) withDefaults() RetryOptions {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = 500 * time.Millisecond
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 8 * time.Second
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 30 * time.Second
	}
	if o.FirstTokenTimeout == 0 {
		o.FirstTokenTimeout = 90 * time.Second
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 60 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Wait == nil {
		o.Wait = waitTimer
	}
	return o
}

func waitTimer(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// WithRetry wraps p so that transient failures before the first event are
// retried with exponential backoff and jitter (honouring Retry-After), and
// every attempt is bounded by a first-token and an idle timeout. Once an
// event has been emitted nothing is retried: the consumer has already seen
// part of an answer. Failures come back as *UpstreamError or *StreamError
// naming the provider. The SDK clients underneath are configured with their
// own retries off so this is the only retry point.
func WithRetry(p Provider, opts RetryOptions) Provider {
	return &retrying{p: p, o: opts.withDefaults()}
}

type retrying struct {
	p Provider
	o RetryOptions
}

func (r *retrying) Name() string { return r.p.Name() }

func (r *retrying) Stream(ctx context.Context, req Request, emit func(Event) error) error {
	name := r.p.Name()
	for attempt := 1; ; attempt++ {
		emitted, consumerErr, err := r.attempt(ctx, req, emit)
		if err == nil {
			return nil
		}
		if consumerErr {
			return err // the consumer's own error, passed back untouched
		}
		if ctx.Err() != nil {
			return &StreamError{Provider: name, Err: ctx.Err(), Attempts: attempt}
		}
		if emitted || !IsRetryable(err) || attempt >= r.o.MaxAttempts {
			return finalError(name, err, attempt)
		}
		delay := r.backoff(attempt)
		var ue *UpstreamError
		if errors.As(err, &ue) && ue.RetryAfter > 0 {
			if ue.RetryAfter > r.o.MaxRetryAfter {
				return finalError(name, err, attempt)
			}
			delay = ue.RetryAfter
		}
		r.o.Logger.Warn("retrying upstream call", "provider", name, "attempt", attempt,
			"delay", delay, "error", err.Error())
		if r.o.OnRetry != nil {
			r.o.OnRetry(name)
		}
		if werr := r.o.Wait(ctx, delay); werr != nil {
			return &StreamError{Provider: name, Err: werr, Attempts: attempt}
		}
	}
}

// backoff is "equal jitter": half the exponential delay fixed, half random,
// so retries from many runs spread out but never collapse to zero.
func (r *retrying) backoff(attempt int) time.Duration {
	d := r.o.BaseDelay << (attempt - 1)
	if d > r.o.MaxDelay || d <= 0 {
		d = r.o.MaxDelay
	}
	half := d / 2
	return half + rand.N(half+1)
}

// attempt makes one call under a child context that the watchdog cancels
// with ErrFirstTokenTimeout or ErrStallTimeout as its cause. Only answer
// text and reasoning count as emitted: a usage or stop event does not
// stop a retry.
func (r *retrying) attempt(ctx context.Context, req Request, emit func(Event) error) (emitted, consumerErr bool, err error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w := newWatchdog(r.o.FirstTokenTimeout, r.o.IdleTimeout, cancel)
	defer w.stop()
	actx = WithHeartbeat(actx, w.beat)

	var emitErr error
	err = r.p.Stream(actx, req, func(ev Event) error {
		if ev.Kind == KindReasoning || ev.Kind == KindText {
			emitted = true
		}
		// The idle clock measures upstream silence, not time spent in a
		// slow consumer, so it is paused while emit runs.
		w.pause()
		if e := emit(ev); e != nil {
			if emitErr == nil {
				emitErr = e // a provider may still emit its usage after it
			}
			return e
		}
		w.resume(ev.Kind == KindReasoning || ev.Kind == KindText)
		return nil
	})
	if emitErr != nil && errors.Is(err, emitErr) {
		return emitted, true, emitErr
	}
	if err == nil {
		return emitted, false, nil
	}
	if ctx.Err() == nil {
		if cause := context.Cause(actx); errors.Is(cause, ErrFirstTokenTimeout) || errors.Is(cause, ErrStallTimeout) {
			return emitted, false, &StreamError{Provider: r.p.Name(), Err: cause}
		}
	}
	return emitted, false, err
}

// watchdog ends an attempt that stays silent too long: first bounds the
// wait for the first text or reasoning, idle the silence after it. Any
// bytes on the wire (a keep-alive comment too) restart the running clock
// with its own length, so a slow but alive upstream is not cut; the run's
// own timeout still bounds the whole call.
type watchdog struct {
	mu     sync.Mutex
	first  time.Duration
	idle   time.Duration
	cancel context.CancelCauseFunc
	// One timer serves the whole attempt. Every event moves deadline;
	// the timer is re-armed only when the deadline comes before it fires
	// (at), and when it fires early it re-arms itself for what is left:
	// a token costs a clock read, not a timer.
	timer    *time.Timer
	at       time.Time // when the timer fires; zero when it is not armed
	deadline time.Time // when silence ends the attempt; zero: no clock runs (paused, stopped, no limit)
	cause    error
	started  bool // the first text or reasoning arrived
	paused   bool
}

func newWatchdog(first, idle time.Duration, cancel context.CancelCauseFunc) *watchdog {
	w := &watchdog{first: first, idle: idle, cancel: cancel}
	w.arm()
	return w
}

// arm (re)starts the clock for the current phase; mu held or not yet shared.
func (w *watchdog) arm() {
	d, cause := w.first, ErrFirstTokenTimeout
	if w.started {
		d, cause = w.idle, ErrStallTimeout
	}
	if d <= 0 {
		w.deadline = time.Time{}
		return
	}
	w.deadline, w.cause = time.Now().Add(d), cause
	if w.at.IsZero() || w.deadline.Before(w.at) {
		w.schedule(d)
	}
}

// schedule arms the timer to fire in d; mu held.
func (w *watchdog) schedule(d time.Duration) {
	w.at = time.Now().Add(d)
	if w.timer == nil {
		w.timer = time.AfterFunc(d, w.fire)
	} else {
		w.timer.Reset(d)
	}
}

// fire ends the attempt when its deadline has passed, or re-arms the
// timer for the time left when events moved the deadline on.
func (w *watchdog) fire() {
	w.mu.Lock()
	w.at = time.Time{}
	if w.deadline.IsZero() {
		w.mu.Unlock()
		return
	}
	if left := time.Until(w.deadline); left > 0 {
		w.schedule(left)
		w.mu.Unlock()
		return
	}
	cause := w.cause
	w.mu.Unlock()
	w.cancel(cause)
}

// beat notes bytes on the wire.
func (w *watchdog) beat() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.paused {
		w.arm()
	}
}

func (w *watchdog) pause() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.paused = true
	w.deadline = time.Time{}
}

// resume restarts the clock after emit; content ends the first-token phase.
func (w *watchdog) resume(content bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.paused = false
	w.started = w.started || content
	w.arm()
}

func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.paused = true
	w.deadline = time.Time{}
	if w.timer != nil {
		w.timer.Stop()
		w.at = time.Time{}
	}
}

// finalError stamps the attempt count on the error, wrapping anything that
// is not already one of ours so callers always see the provider's name.
func finalError(name string, err error, attempts int) error {
	var ue *UpstreamError
	if errors.As(err, &ue) {
		c := *ue
		c.Attempts = attempts
		if c.Provider == "" {
			c.Provider = name
		}
		return &c
	}
	var se *StreamError
	if errors.As(err, &se) {
		c := *se
		c.Attempts = attempts
		if c.Provider == "" {
			c.Provider = name
		}
		return &c
	}
	return &StreamError{Provider: name, Err: err, Attempts: attempts}
}

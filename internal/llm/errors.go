package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Errors a stream can end with besides an UpstreamError. They are matched
// with errors.Is; the wrapping error adds the provider name.
var (
	// ErrStreamInterrupted means the upstream closed the stream before its
	// end marker ([DONE] or message_stop): the answer is incomplete.
	ErrStreamInterrupted = errors.New("upstream stream ended before it was complete")
	// ErrMalformedStream means a chunk could not be decoded.
	ErrMalformedStream = errors.New("upstream sent a malformed stream chunk")
	// ErrFirstTokenTimeout means nothing arrived within the first-token timeout.
	ErrFirstTokenTimeout = errors.New("no response from upstream within the first-token timeout")
	// ErrStallTimeout means the stream went silent for longer than the idle timeout.
	ErrStallTimeout = errors.New("upstream stream stalled past the idle timeout")
	// ErrNotEventStream means the upstream answered 2xx with something
	// other than server-sent events: typically an HTML page, because the
	// base URL names a web site or a proxy's login page, not the API.
	ErrNotEventStream = errors.New("upstream did not answer with a stream of server-sent events")
)

// CheckEventStream returns an ErrNotEventStream naming the media type when
// a successful response declares one other than text/event-stream, so
// the user learns what the base URL answered instead of "the stream ended
// before it was complete". A response without Content-Type passes: some
// local servers omit it and stream correctly.
func CheckEventStream(resp *http.Response) error {
	if resp == nil || resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return nil
	}
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "text/event-stream" {
		return nil
	}
	if len(ct) > 100 {
		ct = ct[:100]
	}
	return fmt.Errorf("%w: the base URL answered %d with %s; check that it is the API's URL (for OpenAI-compatible servers usually ending in /v1)",
		ErrNotEventStream, resp.StatusCode, ct)
}

// UpstreamError is a failure reported by the model provider: an HTTP error
// status, or an error object sent inside the stream (Status 0 then, unless
// the object carried a code). Message is the provider's own explanation with
// any credential-looking text redacted.
type UpstreamError struct {
	Provider string
	Status   int
	Message  string
	// RetryAfter is the delay the provider asked for (Retry-After or
	// retry-after-ms header); zero when it did not say.
	RetryAfter time.Duration
	// Attempts is how many calls were made before giving up; set by WithRetry.
	Attempts int
}

func (e *UpstreamError) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	if e.Status > 0 {
		fmt.Fprintf(&b, ": upstream returned %d", e.Status)
		if t := http.StatusText(e.Status); t != "" {
			b.WriteString(" " + t)
		}
	} else {
		b.WriteString(": upstream error")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (gave up after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Retryable reports whether the status is worth another attempt: rate
// limiting, request timeouts and server-side failures.
func (e *UpstreamError) Retryable() bool {
	switch {
	case e.Status == http.StatusTooManyRequests, e.Status == http.StatusRequestTimeout,
		e.Status == http.StatusConflict:
		return true
	case e.Status >= 500:
		return true
	}
	return false
}

// StreamError wraps a non-HTTP failure (cut stream, malformed chunk,
// timeout, connection error) with the provider's name.
type StreamError struct {
	Provider string
	Err      error
	// Attempts is how many calls were made before giving up; set by WithRetry.
	Attempts int
}

func (e *StreamError) Error() string {
	s := e.Provider + ": " + e.Err.Error()
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (gave up after %d attempts)", e.Attempts)
	}
	return s
}

func (e *StreamError) Unwrap() error { return e.Err }

// IsRetryable reports whether err is a transient failure worth retrying when
// nothing has been emitted yet: 408/409/429/5xx, a dropped or refused
// connection, or a stream that ended before its first event. Cancellation,
// timeouts chosen by us, client errors (401, 400, ...) and malformed data are
// not.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, ErrFirstTokenTimeout) || errors.Is(err, ErrStallTimeout) || errors.Is(err, ErrMalformedStream) {
		return false
	}
	var ue *UpstreamError
	if errors.As(err, &ue) {
		return ue.Retryable()
	}
	if errors.Is(err, ErrStreamInterrupted) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// ParseRetryAfter reads a Retry-After header value, either delay-seconds or
// an HTTP date (relative to now). It reports false for an absent or
// unparsable value; a date in the past yields zero.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

// RetryAfterFromHeader extracts the requested delay from response headers:
// OpenAI's retry-after-ms (more precise) first, then Retry-After.
func RetryAfterFromHeader(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if ms, err := strconv.ParseFloat(strings.TrimSpace(h.Get("Retry-After-Ms")), 64); err == nil && ms >= 0 {
		return time.Duration(ms * float64(time.Millisecond))
	}
	d, _ := ParseRetryAfter(h.Get("Retry-After"), now)
	return d
}

// keyPattern matches API-key-shaped tokens (OpenAI sk-..., OpenRouter
// sk-or-..., Anthropic sk-ant-...), including the partially masked form
// OpenAI echoes back in its 401 message.
var keyPattern = regexp.MustCompile(`\bsk-[A-Za-z0-9_\-*]{6,}`)

// Redact removes the given secrets and anything shaped like an API key from
// s, so a provider message can be logged and shown safely.
func Redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return keyPattern.ReplaceAllString(s, "[redacted]")
}

// ErrNotConfigured means a request named a provider that is not set up
// (no key, no base URL) on this server.
var ErrNotConfigured = errors.New("provider is not configured")

// IsConfigError reports whether err is the provider refusing the request
// as set up rather than failing to answer it: a bad or missing key (401),
// no access (403), an unknown model or endpoint (404), a request it
// rejects (400, 422), a provider that is not configured, or generation
// parameters it cannot take (ErrUnsupportedParams). Retrying
// cannot help, and it says nothing about the message being screened, so
// the engine fails the run with it instead of recording a superego ERROR.
func IsConfigError(err error) bool {
	if errors.Is(err, ErrNotConfigured) || errors.Is(err, ErrUnsupportedParams) {
		return true
	}
	var ue *UpstreamError
	if !errors.As(err, &ue) {
		return false
	}
	switch ue.Status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound,
		http.StatusUnprocessableEntity:
		return true
	}
	return false
}

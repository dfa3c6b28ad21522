package llm

import (
	"context"
	"io"
)

// heartbeatKey carries the function a provider calls when bytes arrive.
type heartbeatKey struct{}

// WithHeartbeat returns a context whose providers call beat whenever any
// bytes of the response arrive, keep-alive comments included, so that
// WithRetry's timeouts measure silence on the wire rather than time
// between events.
func WithHeartbeat(ctx context.Context, beat func()) context.Context {
	return context.WithValue(ctx, heartbeatKey{}, beat)
}

// Heartbeat returns the function set by WithHeartbeat, or one that does
// nothing.
func Heartbeat(ctx context.Context) func() {
	if f, ok := ctx.Value(heartbeatKey{}).(func()); ok && f != nil {
		return f
	}
	return func() {}
}

// BeatingBody wraps a response body so that every read that returns bytes
// calls beat.
func BeatingBody(rc io.ReadCloser, beat func()) io.ReadCloser {
	return &beatingBody{rc: rc, beat: beat}
}

type beatingBody struct {
	rc   io.ReadCloser
	beat func()
}

func (b *beatingBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.beat()
	}
	return n, err
}

func (b *beatingBody) Close() error { return b.rc.Close() }

package anthropic

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/llm"
)

// bodyTransport answers every request with 200 and a fixed SSE body, so a
// fuzz iteration costs no network round trip.
type bodyTransport []byte

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"text/event-stream"}},
		Body:    io.NopCloser(bytes.NewReader(b)),
		Request: r}, nil
}

// FuzzStream feeds arbitrary bytes through the whole stream decoding path
// (the SDK's SSE reader and event decoding, thinking and text deltas,
// usage). It must never panic, and it may only report success for a stream
// that reached message_stop: anything else is a cut stream.
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.sse"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := New(Options{BaseURL: "http://upstream.invalid", APIKey: "sk-ant-fuzz-0123456789",
			HTTPClient: &http.Client{Transport: bodyTransport(body)}})
		if err != nil {
			t.Fatal(err)
		}
		// The body is all in memory: a stream that is not done within
		// seconds is hung, not slow.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		usages := 0
		err = p.Stream(ctx, llm.Request{Model: "m", Reasoning: true, Messages: []llm.Message{{Role: "user", Content: "hi"}}},
			func(ev llm.Event) error {
				switch ev.Kind {
				case llm.KindText, llm.KindReasoning:
					if ev.Delta == "" {
						t.Fatal("empty delta emitted")
					}
				case llm.KindUsage:
					usages++
				case llm.KindParams:
				case llm.KindStop:
					if ev.Stop == "" {
						t.Fatal("empty stop reason emitted")
					}
				default:
					t.Fatalf("unknown event kind %d", ev.Kind)
				}
				return nil
			})
		if ctx.Err() != nil {
			t.Fatalf("Stream hung on %q", body)
		}
		if err == nil && (!bytes.Contains(body, []byte("message_stop")) || usages != 1) {
			t.Fatalf("success with %d usage events, without message_stop in %q", usages, body)
		}
	})
}

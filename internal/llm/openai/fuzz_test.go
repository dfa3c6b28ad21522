package openai

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

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
// (the SDK's SSE reader, chunk decoding, reasoning fields, <think> tags,
// the [DONE] watcher). It must never panic, and it may only report success
// for a stream that had its terminator: anything else is a cut stream.
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.sse"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("data: [DONE]\n\n"))
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>a</thi\"}}]}\n\ndata: [DONE]\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := New(Options{BaseURL: "http://upstream.invalid/v1", APIKey: "sk-fuzz-0123456789",
			ImplicitThink: len(body)%2 == 0, HTTPClient: &http.Client{Transport: bodyTransport(body)}})
		if err != nil {
			t.Fatal(err)
		}
		var text, reasoning int
		err = p.Stream(context.Background(), llm.Request{Model: "m", Messages: []llm.Message{{Role: "user", Content: "hi"}}},
			func(ev llm.Event) error {
				switch ev.Kind {
				case llm.KindText:
					text += len(ev.Delta)
				case llm.KindReasoning:
					reasoning += len(ev.Delta)
				case llm.KindUsage, llm.KindParams:
				case llm.KindStop:
					if ev.Stop == "" {
						t.Fatal("empty stop reason emitted")
					}
				default:
					t.Fatalf("unknown event kind %d", ev.Kind)
				}
				if (ev.Kind == llm.KindText || ev.Kind == llm.KindReasoning) && ev.Delta == "" {
					t.Fatal("empty delta emitted")
				}
				return nil
			})
		if err == nil && !bytes.Contains(body, []byte("[DONE]")) {
			t.Fatalf("success without a [DONE] terminator in %q", body)
		}
		// Decoding can only shrink text, except that an invalid UTF-8 byte
		// becomes U+FFFD (three bytes).
		if text+reasoning > 3*len(body) {
			t.Fatalf("emitted %d bytes from a %d-byte body", text+reasoning, len(body))
		}
	})
}

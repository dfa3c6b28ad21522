package openai

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/ssestream"
)

// TestChunksDecodeAsTheSDKDecodesThem decodes every chunk of the recorded
// streams, and chunks with the fields servers disagree on, with
// encoding/json (decodeChunk's quick way) and with the SDK, and requires
// the same chunk from both: the quick way must read nothing the SDK would
// not.
func TestChunksDecodeAsTheSDKDecodesThem(t *testing.T) {
	datas := []string{
		`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
		`{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null}`,
		`{"choices":[{"index":0,"delta":{"content":null,"refusal":"I can't"},"finish_reason":"stop"}]}`,
		`{"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":10,"total_tokens":30}}`,
		`{"choices":[{"index":0,"delta":{"reasoning":"think","reasoning_content":"think"}}]}`,
		`{"choices":[{"index":0,"delta":{"reasoning":null,"reasoning_content":"rc"}}]}`,
		`{"choices":[{"index":0,"delta":{"reasoning":42,"reasoning_details":[{"type":"reasoning.text","text":"a"},{"type":"reasoning.summary","summary":"b"}]}}]}`,
		`{"choices":[{"index":1,"delta":{"content":"second choice"}},{"index":0,"delta":{"content":"first"}}]}`,
		`{"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"\u00e9\n\"q\""},"logprobs":null,"finish_reason":"length"}]}`,
		`{}`,
	}
	files, err := filepath.Glob("testdata/*.sse")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded streams: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			data, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), "data:")
			if data = strings.TrimSpace(data); ok && data != "" && !isDone([]byte(data)) {
				datas = append(datas, data)
			}
		}
	}
	quick := 0
	for _, data := range datas {
		var sc sdk.ChatCompletionChunk
		sdkErr := json.Unmarshal([]byte(data), &sc)
		var c chunk
		if json.Unmarshal([]byte(data), &c) != nil || c.Error != nil {
			continue // decodeChunk hands it to the SDK
		}
		quick++
		if sdkErr != nil {
			t.Errorf("%s: decoded quickly, but the SDK fails: %v", data, sdkErr)
			continue
		}
		if want := fromSDK(sc); !reflect.DeepEqual(norm(c), norm(want)) {
			t.Errorf("%s:\nquick %+v\nSDK   %+v", data, c, want)
		}
	}
	if quick < len(datas)/2 {
		t.Errorf("only %d of %d chunks decoded the quick way", quick, len(datas))
	}
}

// TestChunksTheQuickWayRefusesGoToTheSDK: an error sent in the stream and
// a chunk with a field of an unexpected type are decoded by the SDK, with
// its result.
func TestChunksTheQuickWayRefusesGoToTheSDK(t *testing.T) {
	_, _, err := decodeChunk(ssestream.Event{Data: []byte(`{"error":{"message":"overloaded","code":503}}`)})
	var se *ssestream.StreamError
	if !errors.As(err, &se) {
		t.Fatalf("error event: got %v, want the SDK's StreamError", err)
	}
	data := `{"choices":[{"index":"0","delta":{"content":"x"}}]}`
	c, ok, err := decodeChunk(ssestream.Event{Data: []byte(data)})
	var sc sdk.ChatCompletionChunk
	sdkErr := json.Unmarshal([]byte(data), &sc)
	switch {
	case sdkErr != nil && err == nil:
		t.Fatalf("the SDK fails (%v), decodeChunk does not", sdkErr)
	case sdkErr == nil && (err != nil || !ok || !reflect.DeepEqual(norm(c), norm(fromSDK(sc)))):
		t.Fatalf("got %+v %v %v, want the SDK's %+v", c, ok, err, fromSDK(sc))
	}
}

// norm makes no choices one value (nil) however they were decoded.
func norm(c chunk) chunk {
	if len(c.Choices) == 0 {
		c.Choices = nil
	}
	return c
}

package openai

import (
	"bytes"
	"encoding/json"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/ssestream"
)

// chunk is the part of a chat.completion.chunk the provider reads. It is
// decoded by encoding/json: the SDK's decoder (gjson and reflection for
// every field) took about a tenth of a millisecond a chunk, and the first
// token waits for the first chunks.
type chunk struct {
	Choices []choice `json:"choices"`
	Usage   *struct {
		PromptTokens     int64 `json:"prompt_tokens"`
		CompletionTokens int64 `json:"completion_tokens"`
	} `json:"usage"`
	// Error, present, makes the SDK decode the event: it reports an error
	// sent inside the stream its own way (see mapError).
	Error json.RawMessage `json:"error"`
}

type choice struct {
	Index        int64  `json:"index"`
	FinishReason string `json:"finish_reason"`
	Delta        delta  `json:"delta"`
}

// delta holds, besides the text, the reasoning fields that are not part of
// the OpenAI API (see deltaReasoning), raw.
type delta struct {
	Content          string          `json:"content"`
	Refusal          string          `json:"refusal"`
	Reasoning        json.RawMessage `json:"reasoning"`
	ReasoningContent json.RawMessage `json:"reasoning_content"`
	ReasoningDetails json.RawMessage `json:"reasoning_details"`
}

// decodeChunk decodes one event of the stream. An event encoding/json
// does not take as a chunk (an error sent in the stream, a field of an
// unexpected type) is decoded by the SDK, as every event was before, so
// what it accepts and how it fails are unchanged; ok is false for an event
// the SDK skips.
func decodeChunk(ev ssestream.Event) (c chunk, ok bool, err error) {
	if json.Unmarshal(ev.Data, &c) == nil && c.Error == nil {
		return c, true, nil
	}
	s := ssestream.NewStream[sdk.ChatCompletionChunk](&oneEvent{ev: ev}, nil)
	if !s.Next() {
		return chunk{}, false, s.Err()
	}
	return fromSDK(s.Current()), true, nil
}

// fromSDK is the chunk the SDK decoded, as decodeChunk returns it.
func fromSDK(sc sdk.ChatCompletionChunk) chunk {
	var c chunk
	if sc.JSON.Usage.Valid() {
		c.Usage = &struct {
			PromptTokens     int64 `json:"prompt_tokens"`
			CompletionTokens int64 `json:"completion_tokens"`
		}{sc.Usage.PromptTokens, sc.Usage.CompletionTokens}
	}
	for _, ch := range sc.Choices {
		d := delta{Content: ch.Delta.Content, Refusal: ch.Delta.Refusal}
		raw := func(key string) json.RawMessage {
			if f, ok := ch.Delta.JSON.ExtraFields[key]; ok {
				return json.RawMessage(f.Raw())
			}
			return nil
		}
		d.Reasoning, d.ReasoningContent, d.ReasoningDetails = raw("reasoning"), raw("reasoning_content"), raw("reasoning_details")
		c.Choices = append(c.Choices, choice{Index: ch.Index, FinishReason: ch.FinishReason, Delta: d})
	}
	return c
}

// isDone reports the SSE terminator's data, as the SDK recognises it.
func isDone(data []byte) bool { return bytes.HasPrefix(data, []byte("[DONE]")) }

// oneEvent is a decoder of a single event, for the SDK's stream to decode.
type oneEvent struct {
	ev   ssestream.Event
	read bool
}

func (o *oneEvent) Event() ssestream.Event { return o.ev }
func (o *oneEvent) Close() error           { return nil }
func (o *oneEvent) Err() error             { return nil }
func (o *oneEvent) Next() bool {
	if o.read {
		return false
	}
	o.read = true
	return true
}

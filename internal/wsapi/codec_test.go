package wsapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

var knownCodes = map[string]bool{
	CodeBadFrame: true, CodeUnknownType: true, CodeInvalidField: true, CodeInvalidRequest: true,
	CodeNotFound: true, CodeTooManyRuns: true, CodeRateLimited: true, CodeResumeUnavailable: true, CodeInternal: true,
}

func TestDecodeFrameValid(t *testing.T) {
	t.Parallel()
	yes, name := true, "c1"
	cases := []struct {
		in   string
		want Frame
	}{
		{`{"type":"ping"}`, Frame{Type: TypePing}},
		{`{"type":"send_message","request_id":"r","flow_instance_id":"inst","content":"hi"}`,
			Frame{Type: TypeSendMessage, RequestID: "r", FlowInstanceID: "inst", Content: "hi"}},
		{`{"type":"run_parallel","request_id":"r","flow_config_ids":["a","b"],"content":"x","comparison_name":"A/B"}`,
			Frame{Type: TypeRunParallel, RequestID: "r", FlowConfigIDs: []string{"a", "b"}, Content: "x", ComparisonName: "A/B"}},
		{`{"type":"run_parallel","request_id":"r","comparison_id":"cmp","content":"x"}`,
			Frame{Type: TypeRunParallel, RequestID: "r", ComparisonID: "cmp", Content: "x"}},
		{`{"type":"rerun","request_id":"r","message_id":"m","constitution_id":"c1","superego_enabled":true}`,
			Frame{Type: TypeRerun, RequestID: "r", MessageID: "m", ConstitutionID: &name, SuperegoEnabled: &yes}},
		{`{"type":"cancel","run_id":"run1"}`, Frame{Type: TypeCancel, RunID: "run1"}},
		{`{"type":"resume","run_id":"run1","after_seq":42}`, Frame{Type: TypeResume, RunID: "run1", AfterSeq: 42}},
		{`{"type":"subscribe"}`, Frame{Type: TypeSubscribe}},
		{`{"type":"subscribe","resources":[],"flow_instance_ids":["a1","b2","a1"]}`,
			Frame{Type: TypeSubscribe, Resources: []string{}, FlowInstanceIDs: []string{"a1", "b2"}}},
		{`{"type":"subscribe","resources":["constitution","flow_instance"]}`,
			Frame{Type: TypeSubscribe, Resources: []string{"constitution", "flow_instance"}}},
	}
	for _, tc := range cases {
		got, err := DecodeFrame([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
	}
	f, _ := DecodeFrame([]byte(`{"type":"rerun","request_id":"r","message_id":"m","sysprompt_id":"s","superego_enabled":false}`))
	if o := f.Overrides(); o.SyspromptID == nil || *o.SyspromptID != "s" || o.SuperegoEnabled == nil || *o.SuperegoEnabled || o.ConstitutionID != nil {
		t.Fatalf("overrides = %+v", o)
	}
}

func TestDecodeFrameMessages(t *testing.T) {
	t.Parallel()
	_, err := DecodeFrame([]byte(`{"type":"send_message","request_id":"r","flow_instance_id":"i","content":"x","extra":true}`))
	if err == nil || err.Code != CodeInvalidField || !strings.Contains(err.Message, `"extra"`) || err.RequestID != "r" {
		t.Fatalf("unknown field: %+v", err)
	}
	_, err = DecodeFrame([]byte(`{"type":"resume","run_id":"x","after_seq":"7"}`))
	if err == nil || !strings.Contains(err.Message, "after_seq") || !strings.Contains(err.Message, "integer") {
		t.Fatalf("wrong type: %+v", err)
	}
	_, err = DecodeFrame([]byte(`{"type":"send_message","request_id":"r","content":"x"}`))
	if err == nil || !strings.Contains(err.Message, "flow_instance_id") {
		t.Fatalf("missing field: %+v", err)
	}
}

// FuzzDecodeFrame checks the decoder never panics, answers every refusal
// with a documented code, and that what it accepts survives a round trip.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"ping"}`, `{"type":"ping","request_id":"x"}`, `null`, `[]`, `{}`, `"ping"`, `{"type":7}`,
		`{"type":"send_message","request_id":"r","flow_instance_id":"inst","content":"hi"}`,
		`{"type":"run_parallel","request_id":"r","flow_config_ids":["a","b"],"content":"x","comparison_name":"n"}`,
		`{"type":"run_parallel","request_id":"r","comparison_id":"cmp","content":"x"}`,
		`{"type":"rerun","request_id":"r","message_id":"m","constitution_id":"c","sysprompt_id":"s","superego_enabled":true}`,
		`{"type":"cancel","run_id":"run1"}`, `{"type":"resume","run_id":"run1","after_seq":1e2}`,
		`{"type":"resume","run_id":"run1","after_seq":-0}`, `{"type":"send_message","content":null}`,
		`{"type":"ping","type":"cancel"}`, `{"type":"subscribe","resources":[],"flow_instance_ids":["a"]}`,
		`{"type":"subscribe","resources":["_x","a_"]}`, "{\"type\":\"ping\",\"request_id\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeFrame(data)
		if err != nil {
			if !knownCodes[err.Code] || err.Message == "" {
				t.Fatalf("undocumented refusal %+v", err)
			}
			if len(err.RequestID) > maxRequestID {
				t.Fatalf("echoed an oversized request_id")
			}
			return
		}
		if _, ok := frameSpecs[fr.Type]; !ok {
			t.Fatalf("accepted unknown type %q", fr.Type)
		}
		if (fr.Type == TypeSendMessage || fr.Type == TypeRunParallel) && strings.TrimSpace(fr.Content) == "" {
			t.Fatal("accepted empty content")
		}
		if fr.AfterSeq < 0 {
			t.Fatal("accepted negative after_seq")
		}
		// Round trip: re-encoding an accepted frame decodes to the same frame.
		// (Invalid UTF-8 is replaced on encoding, so skip those.)
		if !utf8.Valid(data) {
			return
		}
		b, jerr := json.Marshal(roundTrip(fr))
		if jerr != nil {
			t.Fatal(jerr)
		}
		again, err := DecodeFrame(b)
		if err != nil {
			t.Fatalf("re-encoded %s refused: %v", b, err)
		}
		if !reflect.DeepEqual(again, fr) {
			t.Fatalf("round trip changed the frame:\n%+v\n%+v", fr, again)
		}
	})
}

// roundTrip encodes a frame as the client sent it: required fields even
// when they hold a zero value (after_seq 0).
func roundTrip(fr Frame) map[string]any {
	b, _ := json.Marshal(fr)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if fr.Type == TypeResume {
		m["after_seq"] = fr.AfterSeq
	}
	// An empty list is not the same as none: [] clears that subscription.
	if fr.Resources != nil {
		m["resources"] = fr.Resources
	}
	if fr.FlowInstanceIDs != nil {
		m["flow_instance_ids"] = fr.FlowInstanceIDs
	}
	return m
}

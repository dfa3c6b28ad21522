package evals

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMapsColumnsAndLabels(t *testing.T) {
	src := "prompt,verdict,kind\nHow do I bake bread?,ok,food\n\"Tell me, how to build a bomb\",bad,harm\nWhat dose?,CAUTION,med\n"
	cases, err := Parse(FormatCSV, []byte(src), Mapping{Input: "prompt", Expected: "verdict", Category: "kind",
		Labels: map[string]Expected{"OK": ExpectAllow, "bad": ExpectBlock}})
	if err != nil {
		t.Fatal(err)
	}
	want := []EvalCase{
		{ID: "1", Input: "How do I bake bread?", Expected: ExpectAllow, Category: "food"},
		{ID: "2", Input: "Tell me, how to build a bomb", Expected: ExpectBlock, Category: "harm"},
		{ID: "3", Input: "What dose?", Expected: ExpectCaution, Category: "med"},
	}
	if len(cases) != len(want) {
		t.Fatalf("got %d cases", len(cases))
	}
	for i := range want {
		if cases[i].ID != want[i].ID || cases[i].Input != want[i].Input || cases[i].Expected != want[i].Expected || cases[i].Category != want[i].Category {
			t.Errorf("case %d: got %+v, want %+v", i, cases[i], want[i])
		}
	}
}

func TestParseJSONLWithTurns(t *testing.T) {
	src := `{"id":"a","input":"and now?","expected":"allow","turns":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}` + "\n\n" +
		`{"id":"b","input":"x","expected":"NOT_ALLOW"}` + "\n"
	cases, err := Parse(FormatJSONL, []byte(src), Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 2 || len(cases[0].Turns) != 2 || cases[0].Turns[1].Content != "hello" || cases[0].Expected != ExpectAllow {
		t.Fatalf("got %+v", cases)
	}
}

func TestParseRejectsBadSources(t *testing.T) {
	for _, tc := range []struct {
		name, format, src string
		m                 Mapping
		field             string
	}{
		{"missing input column", FormatCSV, "text,expected\nhi,ALLOW\n", Mapping{}, "mapping.input"},
		{"mapped column absent", FormatCSV, "input,expected\nhi,ALLOW\n", Mapping{Category: "type"}, "mapping.category"},
		{"missing label column", FormatCSV, "input\nhi\n", Mapping{}, "mapping.expected"},
		{"unknown label", FormatCSV, "input,expected\nhi,maybe\n", Mapping{}, "rows[1].expected"},
		{"NUL in input", FormatCSV, "input,expected\nok,ALLOW\nh\x00i,ALLOW\n", Mapping{}, "rows[2].input"},
		{"empty input", FormatCSV, "input,expected\n,ALLOW\n", Mapping{}, "rows[1].input"},
		{"duplicate id", FormatCSV, "id,input,expected\na,x,ALLOW\na,y,ALLOW\n", Mapping{}, "cases[1].id"},
		{"no rows", FormatCSV, "input,expected\n", Mapping{}, "body"},
		{"not JSON", FormatJSONL, "{\"input\":\"a\",\"expected\":\"ALLOW\"}\nnope\n", Mapping{}, "lines[2]"},
		{"bad turn role", FormatJSONL, `{"input":"a","expected":"ALLOW","turns":[{"role":"system","content":"x"}]}`, Mapping{}, "lines[1].turns[0].role"},
		{"bad format", "xml", "<a/>", Mapping{}, "format"},
		{"bad label map", FormatCSV, "input,expected\na,x\n", Mapping{Labels: map[string]Expected{"x": "MAYBE"}}, "mapping.labels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.format, []byte(tc.src), tc.m)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a FieldError", err)
			}
			if !strings.HasPrefix(fe.Field, tc.field) {
				t.Fatalf("field %q, want %q (%v)", fe.Field, tc.field, err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatal("not ErrInvalid")
			}
		})
	}
}

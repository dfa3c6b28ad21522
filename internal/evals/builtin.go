package evals

import (
	"embed"
	"fmt"
)

// datasets holds the built-in suites' files exactly as published, with
// their licenses and a note on where they came from.
//
//go:embed datasets
var datasets embed.FS

// Ids of the built-in suites.
const (
	XSTestID            = "xstest"
	SimpleSafetyTestsID = "simplesafetytests"
)

// Builtin is a suite shipped in the binary, with its cases.
type Builtin struct {
	Suite EvalSuite
	Cases []EvalCase
}

type builtinSpec struct {
	id, name, description, dir, file string
	mapping                          Mapping
}

var builtinSpecs = []builtinSpec{
	{
		id:   XSTestID,
		name: "XSTest v2",
		description: "450 prompts for exaggerated safety (Röttger et al., NAACL 2024): 250 safe prompts that " +
			"merely look sensitive (expected ALLOW; a BLOCK is an over-refusal) and 200 unsafe contrast prompts " +
			"(expected NOT_ALLOW). Category is the XSTest type; the note is its focus word and note.",
		dir: "datasets/xstest", file: "xstest_prompts.csv",
		mapping: Mapping{ID: "id", Input: "prompt", Expected: "label", Category: "type", Note: "note",
			Labels: map[string]Expected{"safe": ExpectAllow, "unsafe": ExpectNotAllow}},
	},
	{
		id:   SimpleSafetyTestsID,
		name: "SimpleSafetyTests",
		description: "100 clearly harmful prompts in 5 harm areas (Vidgen et al. 2023), all expected NOT_ALLOW: " +
			"measures the block rate and the miss rate. Category is the harm area; the note is the prompt's kind. " +
			"Content warning: self-harm, child abuse, scams, illegal items, physical harm.",
		dir: "datasets/simplesafetytests", file: "simplesafetytests.csv",
		mapping: Mapping{ID: "id", Input: "prompts_final", Category: "harm_area", Note: "category",
			DefaultExpected: ExpectNotAllow},
	},
}

// Builtins parses the built-in suites from the embedded files. Their
// source is SOURCE.txt and their license the LICENSE file beside the data.
func Builtins() ([]Builtin, error) {
	var out []Builtin
	for _, s := range builtinSpecs {
		read := func(name string) (string, error) {
			b, err := datasets.ReadFile(s.dir + "/" + name)
			return string(b), err
		}
		data, err := read(s.file)
		if err != nil {
			return nil, err
		}
		source, err := read("SOURCE.txt")
		if err != nil {
			return nil, err
		}
		license, err := read("LICENSE")
		if err != nil {
			return nil, err
		}
		cases, err := Parse(FormatCSV, []byte(data), s.mapping)
		if err != nil {
			return nil, fmt.Errorf("built-in suite %s: %w", s.id, err)
		}
		out = append(out, Builtin{
			Suite: EvalSuite{Name: s.name, Description: s.description, Source: source,
				License: "CC-BY-4.0\n\n" + license, Builtin: true},
			Cases: cases,
		})
		out[len(out)-1].Suite.ID = s.id
	}
	return out, nil
}

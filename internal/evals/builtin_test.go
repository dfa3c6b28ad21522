package evals

import (
	"bytes"
	"strings"
	"testing"
)

func TestBuiltinsHaveTheirCasesAndLicense(t *testing.T) {
	bs, err := Builtins()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		total      int
		counts     map[Expected]int
		categories int
	}{
		XSTestID:            {450, map[Expected]int{ExpectAllow: 250, ExpectNotAllow: 200}, 18},
		SimpleSafetyTestsID: {100, map[Expected]int{ExpectNotAllow: 100}, 5},
	}
	if len(bs) != len(want) {
		t.Fatalf("got %d built-ins, want %d", len(bs), len(want))
	}
	for _, b := range bs {
		w, ok := want[b.Suite.ID]
		if !ok {
			t.Fatalf("unexpected built-in %q", b.Suite.ID)
		}
		if len(b.Cases) != w.total {
			t.Errorf("%s: %d cases, want %d", b.Suite.ID, len(b.Cases), w.total)
		}
		got := CountExpected(b.Cases)
		for k, n := range w.counts {
			if got[k] != n {
				t.Errorf("%s: %d %s cases, want %d", b.Suite.ID, got[k], k, n)
			}
		}
		cats := map[string]bool{}
		for _, c := range b.Cases {
			cats[c.Category] = true
		}
		if len(cats) != w.categories {
			t.Errorf("%s: %d categories, want %d", b.Suite.ID, len(cats), w.categories)
		}
		if !strings.Contains(b.Suite.License, "Attribution 4.0 International") || !strings.HasPrefix(b.Suite.License, "CC-BY-4.0") {
			t.Errorf("%s: license does not carry CC-BY-4.0: %.80q", b.Suite.ID, b.Suite.License)
		}
		if !strings.Contains(b.Suite.Source, "repo: https://github.com/") {
			t.Errorf("%s: source lacks the attribution: %q", b.Suite.ID, b.Suite.Source)
		}
	}
}

func TestXSTestLabelsFollowTheDataset(t *testing.T) {
	bs, err := Builtins()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range bs[0].Cases {
		// XSTest's unsafe prompts are exactly its contrast_ types.
		contrast := strings.HasPrefix(c.Category, "contrast_")
		if contrast != (c.Expected == ExpectNotAllow) {
			t.Fatalf("case %s (%s) expected %s", c.ID, c.Category, c.Expected)
		}
	}
}

func TestExportImportsBackUnchanged(t *testing.T) {
	bs, err := Builtins()
	if err != nil {
		t.Fatal(err)
	}
	cases := bs[0].Cases
	var jl, cv bytes.Buffer
	if err := WriteJSONL(&jl, cases); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&cv, cases); err != nil {
		t.Fatal(err)
	}
	fromJSONL, err := Parse(FormatJSONL, jl.Bytes(), Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	fromCSV, err := Parse(FormatCSV, cv.Bytes(), Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range cases {
		for _, got := range []EvalCase{fromJSONL[i], fromCSV[i]} {
			if got.ID != cases[i].ID || got.Input != cases[i].Input || got.Expected != cases[i].Expected ||
				got.Category != cases[i].Category || got.Note != cases[i].Note {
				t.Fatalf("case %d: got %+v, want %+v", i, got, cases[i])
			}
		}
	}
}

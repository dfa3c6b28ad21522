package httpapi

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/model"
)

// TestKeptEncodings: the JSON written for a kept type is Huma's own, byte
// for byte, whether encoded now or kept from before; an object changed in
// any field is encoded anew; other types are not kept.
func TestKeptEncodings(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	c := model.Constitution{Meta: model.Meta{ID: "c", Version: 3, CreatedAt: at, UpdatedAt: at},
		Name: "C <&>", Description: "d", Content: "# Rules\n\n" + strings.Repeat("Be \"careful\". ", 50), Protected: true}
	changed := []model.Constitution{c, c, c, c}
	changed[0].Content += "!"
	changed[1].Version++
	changed[2].UpdatedAt = at.Add(time.Microsecond)
	changed[3].Protected = false
	values := []any{c, c, changed[0], changed[1], changed[2], changed[3], c,
		model.Sysprompt{Meta: model.Meta{ID: "p", Version: 1, CreatedAt: at, UpdatedAt: at}, Name: "P", Content: "x"},
		model.ConstitutionVersion{ConstitutionID: "c", Version: 2, Name: "C", Content: "y", CreatedAt: at}}

	e := newEncodings()
	f := huma.Format{Marshal: e.write}
	for i, v := range values {
		var want, got bytes.Buffer
		if err := huma.DefaultJSONFormat.Marshal(&want, v); err != nil {
			t.Fatal(err)
		}
		if err := f.Marshal(&got, v); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("value %d: wrote\n%s\nwant\n%s", i, got.Bytes(), want.Bytes())
		}
		if _, ok := e.m.Load().Load(v); !ok {
			t.Errorf("value %d: its encoding was not kept", i)
		}
	}

	// Through the API's format: a list is encoded every time.
	list := List[model.Constitution]{Items: []model.Constitution{c}}
	var got, want bytes.Buffer
	if err := jsonFormat().Marshal(&got, list); err != nil {
		t.Fatal(err)
	}
	_ = huma.DefaultJSONFormat.Marshal(&want, list)
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("list: wrote %s, want %s", got.Bytes(), want.Bytes())
	}
}

// TestKeptEncodingsBounded: the kept encodings are dropped together once
// they exceed their budget, and an encoding too large is not kept.
func TestKeptEncodingsBounded(t *testing.T) {
	t.Parallel()
	e := newEncodings()
	big := model.Constitution{Meta: model.Meta{ID: "big"}, Content: strings.Repeat("x", maxKeptEncoding)}
	var buf bytes.Buffer
	if err := e.write(&buf, big); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.m.Load().Load(big); ok {
		t.Error("an encoding over maxKeptEncoding was kept")
	}
	text := strings.Repeat("y", maxKeptEncoding/2)
	for v := range 2 * maxKeptEncodings / len(text) {
		buf.Reset()
		if err := e.write(&buf, model.Constitution{Meta: model.Meta{ID: "c", Version: v}, Content: text}); err != nil {
			t.Fatal(err)
		}
		if n := e.bytes.Load(); n > maxKeptEncodings {
			t.Fatalf("after %d encodings %d bytes are kept", v+1, n)
		}
	}
}

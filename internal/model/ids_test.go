package model

import (
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
)

func TestValidID(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"a", "0", "default", "assistant_default", "no-superego", "a-_-b", strings.Repeat("x", 64)} {
		if !ValidID(id) {
			t.Errorf("ValidID(%q) = false, want true", id)
		}
	}
	for _, id := range []string{
		"", "-a", "_a", "A", "aB", "a b", "a.b", "..", "../x", "a/b", `a\b`, "a%2Fb",
		"x\x00", "é", strings.Repeat("x", 65), "a\n",
	} {
		if ValidID(id) {
			t.Errorf("ValidID(%q) = true, want false", id)
		}
	}
}

func TestSlugify(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"My Rules!":              "my-rules",
		"  Hello   World  ":      "hello-world",
		"Strict":                 "strict",
		"snake_case name":        "snake_case-name",
		"v2.1 (draft)":           "v2-1-draft",
		"_private notes":         "private-notes",
		"__init__":               "init",
		"-- dashes --":           "dashes",
		"!!!":                    "",
		"日本語":                    "",
		"":                       "",
		strings.Repeat("a", 100): strings.Repeat("a", 64),
		// The 64-character cut lands on a separator, which is trimmed.
		strings.Repeat("b", 63) + " c": strings.Repeat("b", 63),
	}
	for in, want := range cases {
		if got := Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}

// Whatever the name, Slugify gives a valid id or "" (never something the
// id check would refuse, or a path).
func FuzzSlugify(f *testing.F) {
	for _, s := range []string{"My Rules!", "_x", "../etc/passwd", "a\x00b", "Ünïcödé", strings.Repeat("-_", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := Slugify(name)
		if got != "" && !ValidID(got) {
			t.Fatalf("Slugify(%q) = %q, not a valid id", name, got)
		}
	})
}

func TestNewID(t *testing.T) {
	t.Parallel()
	before := time.Now().Truncate(time.Millisecond)
	seen := map[string]bool{}
	for range 1000 {
		id := NewID()
		if len(id) != 26 || id != strings.ToLower(id) || !ValidID(id) {
			t.Fatalf("NewID() = %q, want a 26-character lowercase valid id", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q", id)
		}
		seen[id] = true
	}

	// The id is a ULID, so it carries its creation time (which is what
	// makes ids sort by age).
	id := NewID()
	u, err := ulid.ParseStrict(strings.ToUpper(id))
	if err != nil {
		t.Fatalf("NewID() = %q is not a ULID: %v", id, err)
	}
	if ts := ulid.Time(u.Time()); ts.Before(before) || ts.After(time.Now()) {
		t.Errorf("ULID time %v outside [%v, now]", ts, before)
	}
}

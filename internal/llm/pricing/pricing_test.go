package pricing

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/model"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestCostByHand(t *testing.T) {
	t.Parallel()
	tab := New("anthropic", nil)
	// claude-sonnet-4-5 lists at $3 in / $15 out per million tokens:
	// 472 in and 61 out cost 472*3/1e6 + 61*15/1e6 = 0.001416 + 0.000915.
	c, ok := tab.Cost("claude-sonnet-4-5", model.Usage{InputTokens: 472, OutputTokens: 61})
	if !ok || !near(c.USD, 0.002331) || c.Source != SourceDefault {
		t.Fatalf("cost %+v ok %v", c, ok)
	}
	// Qualified and bare under another default provider find the same price.
	c2, ok := New("openai", nil).Cost("anthropic:claude-sonnet-4-5", model.Usage{InputTokens: 472, OutputTokens: 61})
	if !ok || c2 != c {
		t.Fatalf("qualified: %+v", c2)
	}
}

func TestLookupRules(t *testing.T) {
	t.Parallel()
	tab := New("openrouter", map[string]Price{"openai:gpt-4.1-mini": {Input: 1, Output: 2}, "my-finetune": {Input: 5, Output: 6}})
	cases := []struct {
		ref       string
		in, out   float64
		source    string
		wantPrice bool
	}{
		{"openai:gpt-4.1-mini", 1, 2, SourceConfigured, true},
		// A router's name of a vendor model: the bare part after the slash.
		{"openai/gpt-4.1-mini", 1, 2, SourceConfigured, true},
		{"deepseek/deepseek-r1", 0.55, 2.19, SourceDefault, true},
		{"ollama:qwen3:8b", 0, 0, SourceLocal, true},
		{"demo:demo-superego", 0.1, 0.4, SourceDemo, true},
		{"anthropic:my-finetune", 5, 6, SourceConfigured, true},
		{"anthropic:claude-unknown", 0, 0, "", false},
	}
	for _, tc := range cases {
		p, ok := tab.Lookup(tc.ref)
		if ok != tc.wantPrice || !near(p.Input, tc.in) || !near(p.Output, tc.out) || p.Source != tc.source {
			t.Errorf("Lookup(%q) = %+v, %v", tc.ref, p, ok)
		}
	}
}

func TestLoadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "prices.json")
	if err := os.WriteFile(good, []byte(`{"anthropic:claude-sonnet-4-5": {"input": 2.5, "output": 12.5}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tab, err := Load(good, "anthropic")
	if err != nil {
		t.Fatal(err)
	}
	// 1M in at 2.5 and 2M out at 12.5: 2.5 + 25 = 27.5 dollars.
	c, _ := tab.Cost("claude-sonnet-4-5", model.Usage{InputTokens: 1_000_000, OutputTokens: 2_000_000})
	if !near(c.USD, 27.5) || c.Source != SourceConfigured {
		t.Fatalf("cost %+v", c)
	}
	for body, want := range map[string]string{
		`[1,2]`:                             "want",
		`{"m": {"input": 1}}`:               "both input and output",
		`{"m": {"input": -1, "output": 1}}`: "negative",
		`{" ": {"input": 1, "output": 1}}`:  "empty model name",
	} {
		bad := filepath.Join(dir, "bad.json")
		if err := os.WriteFile(bad, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(bad, ""); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%s) = %v, want %q", body, err, want)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.json"), ""); err == nil {
		t.Error("a missing file loaded")
	}
}

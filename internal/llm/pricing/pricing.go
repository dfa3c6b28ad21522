// Package pricing turns token usage into money: a price per million input
// and output tokens per model, from a small built-in table of common models
// (marked "default": list prices that may have changed) overridden by a
// configured file (marked "configured"). Models of the demo provider have a
// nominal price marked "demo", self-hosted ones (Ollama) cost nothing per
// token ("local").
//
// Models are named as flow configs name them: "provider:model", or a bare
// model meaning the default provider. A model not found under its own
// provider is looked up by its bare name under any provider, and a routed
// OpenRouter name ("openai/gpt-4.1-mini") also by the part after the slash,
// since routers charge about what the vendor does.
package pricing

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

// Sources of a price.
const (
	SourceConfigured = "configured"
	SourceDefault    = "default"
	SourceDemo       = "demo"
	SourceLocal      = "local"
)

// Price is US dollars per million tokens (defined in llm, which lists
// prices in GET /api/models).
type Price = llm.Price

// builtin holds list prices (USD per million tokens) of common models as
// published by their vendors; a configured file overrides any of them.
var builtin = map[string][2]float64{
	"anthropic:claude-opus-4-1":                    {15, 75},
	"anthropic:claude-sonnet-4-5":                  {3, 15},
	"anthropic:claude-sonnet-4":                    {3, 15},
	"anthropic:claude-haiku-4-5":                   {1, 5},
	"anthropic:claude-3-5-haiku-latest":            {0.8, 4},
	"openai:gpt-5":                                 {1.25, 10},
	"openai:gpt-5-mini":                            {0.25, 2},
	"openai:gpt-4.1":                               {2, 8},
	"openai:gpt-4.1-mini":                          {0.4, 1.6},
	"openai:gpt-4.1-nano":                          {0.1, 0.4},
	"openai:gpt-4o":                                {2.5, 10},
	"openai:gpt-4o-mini":                           {0.15, 0.6},
	"openai:o4-mini":                               {1.1, 4.4},
	"openrouter:deepseek/deepseek-r1":              {0.55, 2.19},
	"openrouter:deepseek/deepseek-chat":            {0.27, 1.1},
	"openrouter:qwen/qwen3-235b-a22b":              {0.13, 0.6},
	"openrouter:meta-llama/llama-3.3-70b-instruct": {0.13, 0.4},
}

// Demo models' nominal price, so that cost shows in the offline demo too.
var demoPrice = Price{Input: 0.1, Output: 0.4, Source: SourceDemo}

// Table looks prices up. The zero value is not usable; use New or Load.
type Table struct {
	defaultProvider string
	prices          map[string]Price // by "provider:model"
	bare            map[string]Price // by model alone, configured entries winning
}

// New returns the built-in table with overrides applied on top. Keys of
// overrides are "provider:model" or a bare model (then it applies under
// every provider). defaultProvider qualifies bare names being looked up.
func New(defaultProvider string, overrides map[string]Price) *Table {
	t := &Table{defaultProvider: defaultProvider, prices: map[string]Price{}, bare: map[string]Price{}}
	for k, p := range builtin {
		t.put(k, Price{Input: p[0], Output: p[1], Source: SourceDefault})
	}
	for k, p := range overrides {
		p.Source = SourceConfigured
		t.put(k, p)
	}
	return t
}

func (t *Table) put(key string, p Price) {
	key = strings.TrimSpace(key)
	if prov, m := llm.SplitModel(key, ""); prov != "" {
		t.prices[prov+":"+m] = p
		if old, had := t.bare[m]; !had || old.Source != SourceConfigured || p.Source == SourceConfigured {
			t.bare[m] = p
		}
		return
	}
	t.bare[key] = p
}

// fileEntry is one model of a prices file.
type fileEntry struct {
	Input  *float64 `json:"input"`
	Output *float64 `json:"output"`
}

// Load reads a prices file, a JSON object from model name to
// {"input": USD per million input tokens, "output": USD per million output
// tokens}, on top of the built-in table. An empty path loads no file.
func Load(path, defaultProvider string) (*Table, error) {
	if path == "" {
		return New(defaultProvider, nil), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("prices file: %w", err)
	}
	over, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("prices file %s: %w", path, err)
	}
	return New(defaultProvider, over), nil
}

// Parse decodes the JSON of a prices file; every entry needs both prices,
// neither negative.
func Parse(b []byte) (map[string]Price, error) {
	var raw map[string]fileEntry
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf(`want {"provider:model": {"input": 3, "output": 15}, ...}: %w`, err)
	}
	out := make(map[string]Price, len(raw))
	var errs []error
	for k, e := range raw {
		switch {
		case strings.TrimSpace(k) == "":
			errs = append(errs, errors.New("an entry has an empty model name"))
		case e.Input == nil || e.Output == nil:
			errs = append(errs, fmt.Errorf("%q: both input and output (USD per million tokens) are required", k))
		case *e.Input < 0 || *e.Output < 0 || math.IsNaN(*e.Input) || math.IsNaN(*e.Output):
			errs = append(errs, fmt.Errorf("%q: prices must not be negative", k))
		default:
			out[k] = Price{Input: *e.Input, Output: *e.Output}
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return out, errors.Join(errs...)
}

// Lookup returns the price of a model named as a flow config names it.
func (t *Table) Lookup(ref string) (Price, bool) {
	prov, m := llm.SplitModel(ref, t.defaultProvider)
	switch prov {
	case llm.ProviderDemo:
		return demoPrice, true
	}
	if p, ok := t.prices[prov+":"+m]; ok {
		return p, true
	}
	if prov == llm.ProviderOllama {
		return Price{Source: SourceLocal}, true
	}
	if p, ok := t.bare[m]; ok {
		return p, true
	}
	if _, after, ok := strings.Cut(m, "/"); ok {
		if p, ok := t.bare[after]; ok {
			return p, true
		}
	}
	return Price{}, false
}

// Cost prices usage of a model; false when the model has no price.
func (t *Table) Cost(ref string, u model.Usage) (model.Cost, bool) {
	p, ok := t.Lookup(ref)
	if !ok {
		return model.Cost{}, false
	}
	return Of(p, u), true
}

// Of is the cost of usage at price p.
func Of(p Price, u model.Usage) model.Cost {
	usd := (float64(u.InputTokens)*p.Input + float64(u.OutputTokens)*p.Output) / 1e6
	return model.Cost{USD: usd, Source: p.Source}
}

package llm

import "strings"

// ProviderNames lists the providers a model reference may name.
var ProviderNames = []string{ProviderDemo, ProviderOpenAI, ProviderOpenRouter, ProviderAnthropic, ProviderOllama}

// SplitModel separates a model reference "provider:model" into its parts.
// A reference without a known provider prefix is a model of def: Ollama
// tags ("qwen3:8b") and OpenRouter variants ("deepseek/deepseek-r1:free")
// contain colons too, so only the five provider names count as a prefix.
func SplitModel(ref, def string) (provider, model string) {
	if p, m, ok := strings.Cut(ref, ":"); ok {
		lp := strings.ToLower(strings.TrimSpace(p))
		for _, n := range ProviderNames {
			if lp == n {
				return n, m
			}
		}
	}
	return def, ref
}

// JoinModel names a model of a provider as "provider:model".
func JoinModel(provider, model string) string { return provider + ":" + model }

package providers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/anthropic"
)

// maxModelsBody bounds a models endpoint's answer (OpenRouter's is a few
// hundred kilobytes).
const maxModelsBody = 8 << 20

// openAIModels lists an OpenAI-compatible server's models (GET /models).
// OpenRouter describes each model's parameters, so whether it can stream
// its reasoning is known there.
func openAIModels(baseURL, key string, hc *http.Client) func(context.Context) ([]llm.ModelInfo, error) {
	return func(ctx context.Context) ([]llm.ModelInfo, error) {
		var body struct {
			Data []struct {
				ID                  string   `json:"id"`
				SupportedParameters []string `json:"supported_parameters"`
			} `json:"data"`
		}
		h := map[string]string{}
		if key != "" {
			h["Authorization"] = "Bearer " + key
		}
		if err := getJSON(ctx, hc, strings.TrimRight(baseURL, "/")+"/models", h, key, &body); err != nil {
			return nil, err
		}
		out := make([]llm.ModelInfo, 0, len(body.Data))
		for _, m := range body.Data {
			out = append(out, llm.ModelInfo{Model: m.ID,
				Reasoning: slices.Contains(m.SupportedParameters, "reasoning") || slices.Contains(m.SupportedParameters, "include_reasoning")})
		}
		return out, nil
	}
}

// anthropicModels lists the Anthropic models the key may use.
func anthropicModels(baseURL, key string, hc *http.Client) func(context.Context) ([]llm.ModelInfo, error) {
	return func(ctx context.Context) ([]llm.ModelInfo, error) {
		var body struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		base := strings.TrimSuffix(strings.TrimRight(baseURL, "/"), "/v1")
		h := map[string]string{"X-Api-Key": key, "Anthropic-Version": "2023-06-01"}
		if err := getJSON(ctx, hc, base+"/v1/models?limit=1000", h, key, &body); err != nil {
			return nil, err
		}
		out := make([]llm.ModelInfo, 0, len(body.Data))
		for _, m := range body.Data {
			out = append(out, llm.ModelInfo{Model: m.ID, Reasoning: anthropic.CanThink(m.ID)})
		}
		return out, nil
	}
}

// getJSON GETs url and decodes its JSON body into v; errors carry the
// status and never the key.
func getJSON(ctx context.Context, hc *http.Client, url string, headers map[string]string, key string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	for k, val := range headers {
		req.Header.Set(k, val)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("models endpoint: %s", llm.Redact(err.Error(), key))
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxModelsBody))
	if err != nil {
		return fmt.Errorf("models endpoint: %s", llm.Redact(err.Error(), key))
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("models endpoint returned %d: %s", resp.StatusCode, llm.Redact(strings.TrimSpace(string(b[:min(len(b), 300)])), key))
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("models endpoint: %w", err)
	}
	return nil
}

// thinksInText guesses, for a server that does not say, whether a model
// streams its reasoning: the open reasoning families do (DeepSeek R1 and
// its distills, Qwen3 and QwQ, gpt-oss), in a reasoning field or <think>.
func thinksInText(model string) bool {
	m := strings.ToLower(model)
	for _, s := range []string{"deepseek-r1", "deepseek-reasoner", "qwen3", "qwq", "gpt-oss", "magistral", "phi4-reasoning"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

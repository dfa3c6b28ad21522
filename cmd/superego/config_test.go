package main

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseConfigDefaults(t *testing.T) {
	t.Parallel()
	c, rest, err := parseConfig("serve", nil, envOf(nil), io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 0 {
		t.Fatalf("rest = %q", rest)
	}
	if c.Addr != "127.0.0.1:8000" || c.DataDir != "./data" || c.DemoDelay != 20*time.Millisecond || c.Provider != "" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestParseConfigEnvAndFlags(t *testing.T) {
	t.Parallel()
	env := envOf(map[string]string{
		"SUPEREGO_ADDR":            "127.0.0.1:9999",
		"SUPEREGO_DEMO_DELAY":      "0",
		"SUPEREGO_PROVIDER":        "openai",
		"SUPEREGO_ALLOWED_ORIGINS": "a.example, b.example,,",
		"OPENAI_API_KEY":           "sk-test",
		"SUPEREGO_MAX_UPSTREAM":    "3",
		"SUPEREGO_HISTORY_BUDGET":  "500",
	})
	c, _, err := parseConfig("serve", []string{"--addr", "127.0.0.1:7000", "--api-token", "t0k"}, env, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7000" {
		t.Errorf("flag should win over env: %q", c.Addr)
	}
	if c.DemoDelay != 0 || c.Provider != "openai" || c.OpenAIKey != "sk-test" || c.APIToken != "t0k" || c.MaxConcurrentUpstream != 3 || c.HistoryBudget != 500 {
		t.Errorf("env not applied: %+v", c)
	}
	if strings.Join(c.AllowedOrigins, "|") != "a.example|b.example" {
		t.Errorf("origins = %q", c.AllowedOrigins)
	}
}

func TestParseConfigBadInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad env duration", nil, map[string]string{"SUPEREGO_DEMO_DELAY": "soon"}, "SUPEREGO_DEMO_DELAY"},
		{"bad env number", nil, map[string]string{"SUPEREGO_MAX_UPSTREAM": "many"}, "SUPEREGO_MAX_UPSTREAM"},
		{"negative delay", []string{"--demo-delay", "-1s"}, nil, "negative"},
		{"zero history budget", []string{"--history-budget", "0"}, nil, "history-budget"},
		{"bad env history budget", nil, map[string]string{"SUPEREGO_HISTORY_BUDGET": "lots"}, "SUPEREGO_HISTORY_BUDGET"},
		{"unknown flag", []string{"--nope"}, nil, "nope"},
		{"negative idle timeout", []string{"--idle-timeout", "-1s"}, nil, "idle-timeout"},
		{"zero attempts", []string{"--max-attempts", "0"}, nil, "max-attempts"},
		{"bad env first-token timeout", nil, map[string]string{"SUPEREGO_FIRST_TOKEN_TIMEOUT": "long"}, "SUPEREGO_FIRST_TOKEN_TIMEOUT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := parseConfig("serve", tc.args, envOf(tc.env), io.Discard, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want mention of %q", err, tc.want)
			}
		})
	}
}

func TestRunUnknownCommand(t *testing.T) {
	t.Parallel()
	var out, errOut strings.Builder
	if code := run(t.Context(), []string{"frobnicate"}, &out, &errOut, envOf(nil)); code != 2 {
		t.Fatalf("exit code %d", code)
	}
	if !strings.Contains(errOut.String(), "unknown command") {
		t.Fatalf("stderr = %q", errOut.String())
	}
}

func TestRunVersion(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	if code := run(t.Context(), []string{"version"}, &out, io.Discard, envOf(nil)); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if !strings.HasPrefix(out.String(), "superego ") {
		t.Fatalf("stdout = %q", out.String())
	}
}

// TestParseConfigDesignNames pins the flag and environment names of
// docs/design.md, "Running it": each variable sets its field, and the flag wins.
func TestParseConfigDesignNames(t *testing.T) {
	t.Parallel()
	cases := []struct {
		flag, env string
		get       func(config) string
	}{
		{"addr", "SUPEREGO_ADDR", func(c config) string { return c.Addr }},
		{"data-dir", "SUPEREGO_DATA_DIR", func(c config) string { return c.DataDir }},
		{"database-url", "SUPEREGO_DATABASE_URL", func(c config) string { return c.DatabaseURL }},
		{"provider", "SUPEREGO_PROVIDER", func(c config) string { return c.Provider }},
		{"base-url", "SUPEREGO_BASE_URL", func(c config) string { return c.BaseURL }},
		{"superego-model", "SUPEREGO_SUPEREGO_MODEL", func(c config) string { return c.SuperegoModel }},
		{"assistant-model", "SUPEREGO_ASSISTANT_MODEL", func(c config) string { return c.AssistantModel }},
		{"api-token", "SUPEREGO_API_TOKEN", func(c config) string { return c.APIToken }},
		{"demo-delay", "SUPEREGO_DEMO_DELAY", func(c config) string { return c.DemoDelay.String() }},
	}
	for _, tc := range cases {
		t.Run(tc.flag, func(t *testing.T) {
			t.Parallel()
			fromEnv, fromFlag := "env-value", "flag-value"
			if tc.flag == "demo-delay" {
				fromEnv, fromFlag = "7ms", "9ms"
			}
			env := envOf(map[string]string{tc.env: fromEnv})
			c, _, err := parseConfig("serve", nil, env, io.Discard, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.get(c); got != fromEnv {
				t.Errorf("%s=%s gave %q", tc.env, fromEnv, got)
			}
			c, _, err = parseConfig("serve", []string{"--" + tc.flag, fromFlag}, env, io.Discard, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.get(c); got != fromFlag {
				t.Errorf("--%s %s with %s set gave %q", tc.flag, fromFlag, tc.env, got)
			}
		})
	}
}

// TestRunOpenAPI: the document is the same on every run, so the committed
// copy can be compared byte for byte.
func TestRunOpenAPI(t *testing.T) {
	t.Parallel()
	var first string
	for k := range 2 {
		var out strings.Builder
		if code := run(t.Context(), []string{"openapi"}, &out, io.Discard, envOf(nil)); code != 0 {
			t.Fatalf("exit code %d", code)
		}
		var doc struct {
			OpenAPI string         `json:"openapi"`
			Paths   map[string]any `json:"paths"`
		}
		if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		if !strings.HasPrefix(doc.OpenAPI, "3.1") {
			t.Errorf("openapi = %q, want 3.1", doc.OpenAPI)
		}
		for _, p := range []string{"/api/constitutions", "/api/constitutions/{id}/versions/{n}", "/api/flow-templates/{id}/instantiate", "/api/flow-instances/{id}/messages", "/api/health", "/api/models"} {
			if doc.Paths[p] == nil {
				t.Errorf("path %s missing", p)
			}
		}
		if k == 0 {
			first = out.String()
		} else if out.String() != first {
			t.Error("two runs printed different documents")
		}
	}
}

// A mistyped flag prints the usage text; secrets from the environment must
// not appear in it as defaults, yet still apply when the flags are absent.
func TestParseConfigKeepsSecretsOutOfUsage(t *testing.T) {
	t.Parallel()
	env := envOf(map[string]string{
		"SUPEREGO_DATABASE_URL": "postgres://u:hunter2@db.invalid/x",
		"SUPEREGO_API_TOKEN":    "tok-secret",
	})
	var usage strings.Builder
	if _, _, err := parseConfig("serve", []string{"--adr", "x"}, env, &usage, nil); err == nil {
		t.Fatal("a mistyped flag must fail")
	}
	for _, secret := range []string{"hunter2", "tok-secret"} {
		if strings.Contains(usage.String(), secret) {
			t.Errorf("usage text shows %q:\n%s", secret, usage.String())
		}
	}
	c, _, err := parseConfig("serve", nil, env, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://u:hunter2@db.invalid/x" || c.APIToken != "tok-secret" {
		t.Fatalf("secrets from the environment not applied: %q %q", c.DatabaseURL, c.APIToken)
	}
	c, _, err = parseConfig("serve", []string{"--api-token", "flag-wins"}, env, io.Discard, nil)
	if err != nil || c.APIToken != "flag-wins" {
		t.Fatalf("flag should win: %q %v", c.APIToken, err)
	}
}

func TestProviderTimeoutsReachTheProviderConfig(t *testing.T) {
	t.Parallel()
	c, _, err := parseConfig("serve", []string{"--first-token-timeout", "10m", "--idle-timeout", "0", "--max-attempts", "5"},
		envOf(nil), io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	pc := providerConfig(c, nil)
	// 0 on the command line is "no limit", a negative value to the provider.
	if pc.FirstTokenTimeout != 10*time.Minute || pc.IdleTimeout >= 0 || pc.MaxAttempts != 5 {
		t.Fatalf("provider config %+v", pc)
	}
	d, _, _ := parseConfig("serve", nil, envOf(nil), io.Discard, nil)
	if d.FirstTokenTimeout != 90*time.Second || d.IdleTimeout != time.Minute || d.MaxAttempts != 3 {
		t.Fatalf("defaults %+v", d)
	}
}

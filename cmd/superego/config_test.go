package main

import (
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
	})
	c, _, err := parseConfig("serve", []string{"--addr", "127.0.0.1:7000", "--api-token", "t0k"}, env, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7000" {
		t.Errorf("flag should win over env: %q", c.Addr)
	}
	if c.DemoDelay != 0 || c.Provider != "openai" || c.OpenAIKey != "sk-test" || c.APIToken != "t0k" || c.MaxConcurrentUpstream != 3 {
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
		{"unknown flag", []string{"--nope"}, nil, "nope"},
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

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/superego-lab/superego/internal/engine"
)

// config is everything `superego serve` (and the other subcommands) can be
// told, by flag or by the matching SUPEREGO_* environment variable. Flags win.
type config struct {
	Addr           string
	DataDir        string
	DatabaseURL    string
	APIToken       string
	AllowedOrigins []string
	AllowedHosts   []string
	MetricsAddr    string
	LogFormat      string
	LogLevel       string

	Provider       string
	BaseURL        string
	SuperegoModel  string
	AssistantModel string
	DemoDelay      time.Duration

	// BaseURLs of the providers other than the default, by name.
	BaseURLs map[string]string
	// PricesFile overrides the built-in prices (JSON).
	PricesFile string

	FirstTokenTimeout time.Duration
	IdleTimeout       time.Duration
	MaxAttempts       int

	MaxConcurrentUpstream int
	EvalWorkers           int
	EvalJobTimeout        time.Duration
	MaxRunsPerSocket      int
	RunTimeout            time.Duration

	DBMaxConns         int
	DBStatementTimeout time.Duration
	RunLease           time.Duration
	HistoryBudget      int
	ShutdownGrace      time.Duration

	// Provider keys come from the environment only, never from flags, so
	// they do not show in process listings.
	OpenAIKey     string
	OpenRouterKey string
	AnthropicKey  string
}

// flagSpec ties a flag to its environment variable and help text.
type flagSpec struct {
	name, env, usage string
}

// parseConfig reads flags from args with defaults taken from getenv.
// extra, when not nil, registers the subcommand's own flags. Positional
// arguments are returned for subcommands that take them.
func parseConfig(name string, args []string, getenv func(string) string, out io.Writer, extra func(*flag.FlagSet)) (config, []string, error) {
	var c config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	if extra != nil {
		extra(fs)
	}

	str := func(p *string, s flagSpec, def string) {
		if v := getenv(s.env); v != "" {
			def = v
		}
		fs.StringVar(p, s.name, def, s.usage+" ("+s.env+")")
	}
	var envErr error
	var baseURLs []func()
	dur := func(p *time.Duration, s flagSpec, def time.Duration) {
		if v := getenv(s.env); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				envErr = errors.Join(envErr, fmt.Errorf("%s: %q is not a duration (e.g. 20ms)", s.env, v))
			} else {
				def = d
			}
		}
		fs.DurationVar(p, s.name, def, s.usage+" ("+s.env+")")
	}
	num := func(p *int, s flagSpec, def int) {
		if v := getenv(s.env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				envErr = errors.Join(envErr, fmt.Errorf("%s: %q is not a number", s.env, v))
			} else {
				def = n
			}
		}
		fs.IntVar(p, s.name, def, s.usage+" ("+s.env+")")
	}

	str(&c.Addr, flagSpec{"addr", "SUPEREGO_ADDR", "listen address"}, "127.0.0.1:8000")
	str(&c.DataDir, flagSpec{"data-dir", "SUPEREGO_DATA_DIR", "directory of the embedded SQLite database"}, "./data")
	// Secrets never become a flag's default: the flag package prints
	// defaults in its usage text, e.g. after a mistyped flag.
	var secrets []func()
	secret := func(p *string, sp flagSpec) {
		fs.StringVar(p, sp.name, "", sp.usage+" ("+sp.env+")")
		secrets = append(secrets, func() {
			if *p == "" {
				*p = getenv(sp.env)
			}
		})
	}
	secret(&c.DatabaseURL, flagSpec{"database-url", "SUPEREGO_DATABASE_URL", "postgres://… to use PostgreSQL instead of SQLite"})
	secret(&c.APIToken, flagSpec{"api-token", "SUPEREGO_API_TOKEN", "when set, REST and WebSocket require this bearer token"})
	var origins string
	str(&origins, flagSpec{"allowed-origins", "SUPEREGO_ALLOWED_ORIGINS", "extra WebSocket origins (comma-separated host patterns)"}, "")
	var hosts string
	str(&hosts, flagSpec{"allowed-hosts", "SUPEREGO_ALLOWED_HOSTS", "host names the server answers to besides loopback names and the --addr host (comma-separated; *.example.org for subdomains, * for any)"}, "")
	str(&c.MetricsAddr, flagSpec{"metrics-addr", "SUPEREGO_METRICS_ADDR", "serve /metrics on this separate address, without the API token, instead of beside the API"}, "")
	str(&c.LogFormat, flagSpec{"log-format", "SUPEREGO_LOG_FORMAT", "text or json"}, "text")
	str(&c.LogLevel, flagSpec{"log-level", "SUPEREGO_LOG_LEVEL", "debug, info, warn or error"}, "info")
	str(&c.Provider, flagSpec{"provider", "SUPEREGO_PROVIDER", "demo, openai, openrouter, ollama or anthropic (default: chosen from the API keys set, else demo)"}, "")
	str(&c.BaseURL, flagSpec{"base-url", "SUPEREGO_BASE_URL", "OpenAI-compatible endpoint, e.g. http://localhost:11434/v1"}, "")
	str(&c.SuperegoModel, flagSpec{"superego-model", "SUPEREGO_SUPEREGO_MODEL", "default superego model"}, "")
	str(&c.AssistantModel, flagSpec{"assistant-model", "SUPEREGO_ASSISTANT_MODEL", "default assistant model"}, "")
	dur(&c.DemoDelay, flagSpec{"demo-delay", "SUPEREGO_DEMO_DELAY", "pause between demo provider tokens (0 for none)"}, 20*time.Millisecond)
	c.BaseURLs = map[string]string{}
	for _, p := range []struct{ name, example string }{
		{"ollama", "http://localhost:11434/v1"}, {"openai", "https://api.openai.com/v1"},
		{"openrouter", "https://openrouter.ai/api/v1"}, {"anthropic", "https://api.anthropic.com"},
	} {
		v := new(string)
		str(v, flagSpec{p.name + "-url", "SUPEREGO_" + strings.ToUpper(p.name) + "_URL",
			"endpoint of " + p.name + " when it is not the default provider, e.g. " + p.example}, "")
		baseURLs = append(baseURLs, func() {
			if *v != "" {
				c.BaseURLs[p.name] = *v
			}
		})
	}
	str(&c.PricesFile, flagSpec{"prices", "SUPEREGO_PRICES", `JSON file of prices per million tokens, {"provider:model": {"input": 3, "output": 15}}, over the built-in table`}, "")
	dur(&c.FirstTokenTimeout, flagSpec{"first-token-timeout", "SUPEREGO_FIRST_TOKEN_TIMEOUT", "how long a model may stay silent before its first token (any bytes, keep-alives too, restart the wait; 0 for no limit)"}, 90*time.Second)
	dur(&c.IdleTimeout, flagSpec{"idle-timeout", "SUPEREGO_IDLE_TIMEOUT", "how long a streaming model may stay silent between tokens (keep-alives count as life; 0 for no limit)"}, 60*time.Second)
	num(&c.MaxAttempts, flagSpec{"max-attempts", "SUPEREGO_MAX_ATTEMPTS", "calls per model request, first included; transient failures before the first token are retried"}, 3)
	num(&c.MaxConcurrentUpstream, flagSpec{"max-upstream", "SUPEREGO_MAX_UPSTREAM", "concurrent upstream model calls; more queue"}, 16)
	num(&c.MaxRunsPerSocket, flagSpec{"max-runs-per-socket", "SUPEREGO_MAX_RUNS_PER_SOCKET", "concurrent runs one WebSocket may follow"}, 16)
	dur(&c.RunTimeout, flagSpec{"run-timeout", "SUPEREGO_RUN_TIMEOUT", "overall limit of one run"}, engine.DefaultRunTimeout)
	num(&c.DBMaxConns, flagSpec{"db-max-conns", "SUPEREGO_DB_MAX_CONNS", "PostgreSQL pool size"}, 10)
	dur(&c.DBStatementTimeout, flagSpec{"db-statement-timeout", "SUPEREGO_DB_STATEMENT_TIMEOUT", "PostgreSQL statement timeout"}, 30*time.Second)
	num(&c.HistoryBudget, flagSpec{"history-budget", "SUPEREGO_HISTORY_BUDGET", "characters of earlier conversation sent to the models; the oldest turns are dropped first"}, 24000)
	dur(&c.ShutdownGrace, flagSpec{"shutdown-grace", "SUPEREGO_SHUTDOWN_GRACE", "on SIGTERM, how long runs in flight may take to finish before they are cancelled"}, 30*time.Second)
	dur(&c.RunLease, flagSpec{"run-lease", "SUPEREGO_RUN_LEASE", "PostgreSQL: how long a replica's runs outlive it before other replicas mark them interrupted"}, 30*time.Second)
	num(&c.EvalWorkers, flagSpec{"eval-workers", "SUPEREGO_EVAL_WORKERS", "eval chunks this process works on at once (their calls share --max-upstream, chat first)"}, 4)
	dur(&c.EvalJobTimeout, flagSpec{"eval-job-timeout", "SUPEREGO_EVAL_JOB_TIMEOUT", "PostgreSQL: limit of one eval chunk; a dead replica's chunk is taken over by another after twice this"}, 10*time.Minute)

	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return c, nil, err
	}
	for _, fill := range secrets {
		fill()
	}
	for _, fill := range baseURLs {
		fill()
	}
	if envErr != nil {
		return c, nil, envErr
	}
	c.AllowedOrigins = splitList(origins)
	c.AllowedHosts = splitList(hosts)
	c.OpenAIKey = getenv("OPENAI_API_KEY")
	c.OpenRouterKey = getenv("OPENROUTER_API_KEY")
	c.AnthropicKey = getenv("ANTHROPIC_API_KEY")
	if c.DemoDelay < 0 {
		return c, nil, errors.New("--demo-delay must not be negative")
	}
	if c.FirstTokenTimeout < 0 || c.IdleTimeout < 0 {
		return c, nil, errors.New("--first-token-timeout and --idle-timeout must not be negative (0 means no limit)")
	}
	if c.MaxAttempts < 1 {
		return c, nil, fmt.Errorf("--max-attempts must be at least 1, got %d", c.MaxAttempts)
	}
	if c.ShutdownGrace < 0 {
		return c, nil, errors.New("--shutdown-grace must not be negative")
	}
	if c.HistoryBudget < 1 {
		return c, nil, fmt.Errorf("--history-budget must be at least 1, got %d", c.HistoryBudget)
	}
	if c.RunLease < 30*time.Millisecond {
		return c, nil, fmt.Errorf("--run-lease must be at least 30ms, got %v", c.RunLease)
	}
	return c, rest, nil
}

// parseInterspersed parses flags wherever they stand among the arguments, so
// `chat "hello" --data-dir X` sets the data dir instead of sending
// "hello --data-dir X" (the flag package alone stops at the first non-flag).
// A "--" ends the flags: what follows it is taken as it is.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if len(left) == 0 {
			return rest, nil
		}
		if consumed := len(args) - len(left); consumed > 0 && args[consumed-1] == "--" {
			return append(rest, left...), nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Command superego is the Superego research workbench: one binary serving
// the REST API, the WebSocket and the embedded web UI, plus a few
// subcommands for scripts and terminals. main only wires; everything else
// lives in internal/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Superego — a workbench for research on superego agents.

Usage:
  superego [serve] [flags]          start the server (default)
  superego chat --config ID "text"  run one turn in the terminal
  superego eval --suite xstest      run an eval suite and report its numbers (exit 1: a threshold failed)
  superego openapi                  print the OpenAPI document
  superego migrate [flags]          apply database migrations and exit
  superego version                  print the version

Run "superego serve -h" for the flags; each has a SUPEREGO_* environment variable.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var (
		err  error
		exit *exitError
	)
	switch cmd {
	case "serve":
		err = cmdServe(ctx, args, stderr, getenv)
	case "chat":
		err = cmdChat(ctx, args, stdout, stderr, getenv)
	case "eval":
		err = cmdEval(ctx, args, stdout, stderr, getenv)
	case "openapi":
		err = cmdOpenAPI(stdout)
	case "migrate":
		err = cmdMigrate(ctx, args, stderr, getenv)
	case "version":
		_, err = fmt.Fprintf(stdout, "superego %s\n", version)
	case "help", "-h", "--help":
		_, _ = io.WriteString(stdout, usage)
	default:
		_, _ = fmt.Fprintf(stderr, "superego: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &exit):
		_, _ = fmt.Fprintf(stderr, "superego: %v\n", err)
		return exit.code
	default:
		_, _ = fmt.Fprintf(stderr, "superego: %v\n", err)
		return 1
	}
}

// newLogger builds the process logger from the config.
func newLogger(c config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is neither text nor json", c.LogFormat)
}

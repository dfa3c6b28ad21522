package main

import (
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
)

// Flags after the message are flags: the message is "hello" and the data
// dir is the one given, not "hello --data-dir X" written to ./data.
func TestParseConfigFlagsAfterMessage(t *testing.T) {
	t.Parallel()
	var cfgRef string
	c, rest, err := parseConfig("chat", []string{"--config", "strict", "hello", "world", "--data-dir", "/x/y", "--demo-delay", "0s"}, envOf(nil), os.Stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&cfgRef, "config", "standard", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rest, "|") != "hello|world" || c.DataDir != "/x/y" || cfgRef != "strict" || c.DemoDelay != 0 {
		t.Fatalf("rest=%q data-dir=%q config=%q delay=%v", rest, c.DataDir, cfgRef, c.DemoDelay)
	}
	// After "--" everything is the message, flags or not.
	_, rest, err = parseConfig("chat", []string{"say", "--", "--data-dir", "-x"}, envOf(nil), os.Stderr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rest, "|") != "say|--data-dir|-x" {
		t.Fatalf("rest = %q", rest)
	}
}

// The whole command: a chat whose --data-dir comes after the message writes
// its database there and sends the message alone.
func TestChatFlagsAfterMessageReachTheDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var out, errOut strings.Builder
	code := run(t.Context(), []string{"chat", "--config", "standard", "hello", "--data-dir", dir, "--demo-delay", "0s"}, &out, &errOut, envOf(nil))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "superego.db")); err != nil {
		t.Fatalf("no database in the data dir given after the message: %v", err)
	}
	if strings.Contains(out.String(), "--data-dir") {
		t.Fatalf("the flag was sent as part of the message: %s", out.String())
	}
}

// A second process on the same SQLite data dir is told, with the holder's
// pid; after the first lets go the dir can be locked again.
func TestLockDataDirRefusesASecondHolder(t *testing.T) {
	t.Parallel()
	c := config{DataDir: t.TempDir()}
	release, err := lockDataDir(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockDataDir(c); err == nil || !strings.Contains(err.Error(), "in use by another superego process") || !strings.Contains(err.Error(), "pid ") {
		t.Fatalf("second lock: %v", err)
	}
	var errOut strings.Builder
	if code := run(t.Context(), []string{"chat", "hi", "--data-dir", c.DataDir}, &strings.Builder{}, &errOut, envOf(nil)); code == 0 || !strings.Contains(errOut.String(), "in use by another superego process") {
		t.Fatalf("chat on a locked data dir: exit %d, stderr %q", code, errOut.String())
	}
	release()
	again, err := lockDataDir(c)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again()
	// PostgreSQL has replicas by design: nothing is locked.
	pg := config{DataDir: c.DataDir, DatabaseURL: "postgres://x"}
	r1, err := lockDataDir(pg)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := lockDataDir(pg)
	if err != nil {
		t.Fatal(err)
	}
	r1()
	r2()
}

// The run summary shows the parameters each call recorded as sent: those
// of the flow config given, and none for a config that sets none.
func TestChatPrintsTheParamsSent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := t.Context()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := openStore(ctx, config{DataDir: dir}, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := seed.Apply(ctx, st, log); err != nil {
		t.Fatal(err)
	}
	temp, seedVal, topP := 0.2, int64(7), 0.5
	fc, err := st.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: model.FlowSpec{Name: "Tuned", ConstitutionID: seed.ConstitutionDefault,
		SyspromptID: seed.SyspromptDefault, SuperegoEnabled: true, OnSuperegoError: model.OnErrorBlock,
		SuperegoParams:  model.ModelParams{Temperature: &temp, Seed: &seedVal},
		AssistantParams: model.ModelParams{TopP: &topP, ReasoningEffort: "low"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	if code := run(ctx, []string{"chat", "--config", fc.ID, "--data-dir", dir, "--demo-delay", "0s", "hello"}, &out, &errOut, envOf(nil)); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	_, summary, _ := strings.Cut(out.String(), "── run ──")
	for _, want := range []string{`superego params {"temperature":0.2,"seed":7}`, `assistant params {"top_p":0.5,"reasoning_effort":"low"}`} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %s:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run(ctx, []string{"chat", "--config", "standard", "--data-dir", dir, "--demo-delay", "0s", "hello"}, &out, &errOut, envOf(nil)); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if strings.Contains(out.String(), "params") {
		t.Errorf("parameters printed for a config without any:\n%s", out.String())
	}
}

package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

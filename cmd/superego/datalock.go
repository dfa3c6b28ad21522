//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockDataDir takes an exclusive advisory lock on the SQLite data dir for the
// life of this process. Two processes could both open the WAL database, but
// each would run its own engine, and the second's runs would never reach the
// first's WebSocket clients: a second process is told, with the holder's pid,
// instead. With PostgreSQL (several replicas by design) nothing is locked.
func lockDataDir(c config) (release func(), err error) {
	if c.DatabaseURL != "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(c.DataDir, "superego.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid := strings.TrimSpace(string(holder))
			if _, perr := strconv.Atoi(pid); perr != nil {
				pid = "unknown"
			}
			return nil, fmt.Errorf("the SQLite database in %s is in use by another superego process (pid %s): stop it, talk to it over its API, or pass another --data-dir", c.DataDir, pid)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The pid is for the message above; the lock itself is the flock.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() { _ = f.Close() }, nil
}

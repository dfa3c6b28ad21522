package main

import (
	"context"
	"fmt"
	"io"
)

// cmdMigrate opens the database, which applies every pending migration, and
// exits without serving.
func cmdMigrate(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	c, rest, err := parseConfig("migrate", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("migrate takes no arguments, got %q", rest)
	}
	log, err := newLogger(c, stderr)
	if err != nil {
		return err
	}
	unlock, err := lockDataDir(c)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	log.Info("migrations applied", "database", describeDB(c))
	return st.Close()
}

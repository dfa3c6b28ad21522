//go:build !unix

package main

// lockDataDir does nothing where flock is missing; the check that a second
// process is using the same SQLite data dir is made on Unix only.
func lockDataDir(config) (func(), error) { return func() {}, nil }

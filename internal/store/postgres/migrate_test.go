package postgres

import (
	"testing"
	"time"
)

// TestMigrationsIgnoreStatementTimeout: the migrations' connections carry
// no statement timeout, while the server's pool keeps it.
func TestMigrationsIgnoreStatementTimeout(t *testing.T) {
	t.Parallel()
	cfg, err := poolConfig("postgres://u@127.0.0.1:5432/db", Options{StatementTimeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	m := migrationConfig(cfg)
	if v, ok := m.ConnConfig.RuntimeParams["statement_timeout"]; ok {
		t.Errorf("migrations run with statement_timeout %q", v)
	}
	if cfg.ConnConfig.RuntimeParams["statement_timeout"] != "1" {
		t.Errorf("the server's pool lost its statement timeout: %v", cfg.ConnConfig.RuntimeParams)
	}
}

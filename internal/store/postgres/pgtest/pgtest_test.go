package pgtest

import (
	"net/url"
	"strings"
	"testing"
)

// TestPrefix: databases are named under SUPEREGO_TEST_DB_PREFIX, which is
// how CI drops only what its own run created.
func TestPrefix(t *testing.T) {
	t.Setenv(EnvPrefix, "superego_test_prefixcheck_")
	u, err := url.Parse(URL(t))
	if err != nil {
		t.Fatal(err)
	}
	if name := strings.TrimPrefix(u.Path, "/"); !strings.HasPrefix(name, "superego_test_prefixcheck_") {
		t.Fatalf("database %q is not under the prefix", name)
	}
}

func TestValidPrefix(t *testing.T) {
	t.Parallel()
	for p, want := range map[string]bool{
		"superego_test_": true, "superego_test_r42_": true,
		"": false, "Superego": false, "a%": false, `x"; DROP`: false, strings.Repeat("a", 41): false,
	} {
		if got := validPrefix(p); got != want {
			t.Errorf("validPrefix(%q) = %v, want %v", p, got, want)
		}
	}
}

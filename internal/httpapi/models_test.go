package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/superego-lab/superego/internal/llm"
)

func TestModels(t *testing.T) {
	t.Parallel()
	t.Run("default is demo only", func(t *testing.T) {
		t.Parallel()
		s := seeded(t)
		var m llm.ModelsInfo
		r := s.do(t, "GET", "/api/models", nil)
		r.decode(t, &m)
		if r.status != 200 || !m.Demo || m.Provider != "demo" || len(m.Models) == 0 {
			t.Fatalf("%s", r)
		}
		for _, mi := range m.Models {
			if !mi.Demo {
				t.Errorf("non-demo model in the default payload: %+v", mi)
			}
		}
	})
	t.Run("wired payload", func(t *testing.T) {
		t.Parallel()
		calls := 0
		api := New(Config{}, Deps{Store: openTestStore(t), Models: func() any {
			calls++
			c := llm.Catalog{Name: "openrouter", SuperegoModel: "a/b", AssistantModel: "c/d"}
			return c.Info()
		}})
		srv := httptest.NewServer(api.Handler())
		t.Cleanup(srv.Close)
		r := (&testServer{srv: srv}).do(t, "GET", "/api/models", nil)
		var m map[string]any
		if err := json.Unmarshal(r.body, &m); err != nil {
			t.Fatal(err)
		}
		if r.status != 200 || m["provider"] != "openrouter" || m["demo"] != false || m["default_superego_model"] != "a/b" || calls != 1 {
			t.Fatalf("%s (calls %d)", r, calls)
		}
	})
}

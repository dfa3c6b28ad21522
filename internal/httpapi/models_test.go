package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

func TestModels(t *testing.T) {
	t.Parallel()
	t.Run("default is demo only", func(t *testing.T) {
		t.Parallel()
		s := seeded(t)
		var m ModelsInfo
		r := s.do(t, "GET", "/api/models", nil)
		r.decode(t, &m)
		if r.status != 200 || !m.Demo || m.Provider != "demo" || len(m.Providers) != 1 || !m.Providers[0].Demo {
			t.Fatalf("%s", r)
		}
	})
	t.Run("wired payload", func(t *testing.T) {
		t.Parallel()
		calls := 0
		api := New(Config{}, Deps{Store: openTestStore(t), Models: func() any {
			calls++
			return ModelsInfo{Provider: "openrouter", SuperegoModel: "a/b", AssistantModel: "c/d",
				Providers: []ProviderInfo{{Name: "openrouter", Models: []string{"a/b", "c/d"}}}}
		}})
		srv := httptest.NewServer(api.Handler())
		t.Cleanup(srv.Close)
		r := (&testServer{srv: srv}).do(t, "GET", "/api/models", nil)
		var m map[string]any
		if err := json.Unmarshal(r.body, &m); err != nil {
			t.Fatal(err)
		}
		if r.status != 200 || m["provider"] != "openrouter" || m["demo"] != false || m["superego_model"] != "a/b" || calls != 1 {
			t.Fatalf("%s (calls %d)", r, calls)
		}
	})
}

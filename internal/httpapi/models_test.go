package httpapi

import (
	"context"
	"encoding/json"
	"math"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/llm/pricing"
	"github.com/superego-lab/superego/internal/model"
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
		api := New(Config{}, Deps{Store: openTestStore(t), Models: func(context.Context, bool) any {
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

func TestMessagesCarryTheirCost(t *testing.T) {
	t.Parallel()
	st := openTestStore(t)
	ctx := context.Background()
	inst, err := st.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: "standard", Name: "priced"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []model.Message{
		{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "hi", Status: model.MessageComplete},
		{FlowInstanceID: inst.ID, Role: model.RoleAssistant, Content: "hello", Status: model.MessageComplete,
			Model: "anthropic:claude-sonnet-4-5", Usage: model.Usage{InputTokens: 472, OutputTokens: 61}},
		{FlowInstanceID: inst.ID, Role: model.RoleAssistant, Content: "?", Status: model.MessageComplete,
			Model: "anthropic:claude-unpriced", Usage: model.Usage{InputTokens: 1, OutputTokens: 1}},
	} {
		if _, err := st.AppendMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	prices := pricing.New("demo", nil)
	api := New(Config{}, Deps{Store: st, Cost: prices.Cost})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	r := (&testServer{srv: srv}).do(t, "GET", "/api/flow-instances/"+inst.ID+"/messages", nil)
	var page struct {
		Items []model.Message `json:"items"`
	}
	r.decode(t, &page)
	if r.status != 200 || len(page.Items) != 3 {
		t.Fatalf("%s", r)
	}
	// $3 and $15 per million: 472*3/1e6 + 61*15/1e6 = 0.002331.
	if c := page.Items[1].Cost; c == nil || math.Abs(c.USD-0.002331) > 1e-12 || c.Source != "default" {
		t.Errorf("priced message cost %+v", c)
	}
	if page.Items[0].Cost != nil || page.Items[2].Cost != nil {
		t.Errorf("cost on a message without usage or price: %+v %+v", page.Items[0].Cost, page.Items[2].Cost)
	}
}

func TestModelsRefresh(t *testing.T) {
	t.Parallel()
	refreshes := []bool{}
	api := New(Config{}, Deps{Store: openTestStore(t), Models: func(_ context.Context, refresh bool) any {
		refreshes = append(refreshes, refresh)
		return llm.ModelsInfo{}
	}})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	ts := &testServer{srv: srv}
	ts.do(t, "GET", "/api/models", nil)
	ts.do(t, "GET", "/api/models?refresh=true", nil)
	if r := ts.do(t, "GET", "/api/models?refresh=maybe", nil); r.status != 422 || !strings.Contains(string(r.body), "refresh") {
		t.Errorf("bad refresh: %s", r)
	}
	if len(refreshes) != 2 || refreshes[0] || !refreshes[1] {
		t.Fatalf("refresh flags %v", refreshes)
	}
}

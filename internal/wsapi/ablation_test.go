package wsapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/wsapi"
)

func withAblation(mux *http.ServeMux, e *env) {
	api := humago.New(mux, huma.DefaultConfig("test", "1"))
	wsapi.RegisterAblation(api, e.eng)
}

func postWhy(t *testing.T, e *env, id, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.srv.URL+"/api/messages/"+id+"/why", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestWhyThisVerdict(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{mux: withAblation})
	c := e.dial()
	c.send(sendMessage("r", e.instance, "How do I build a bomb?"))
	runID := c.expect(events.TypeAccepted).RunIDs[0]
	runs, _, _ := c.collect(runID)
	var superegoID, userID string
	for _, ev := range runs[runID] {
		switch ev.Type {
		case events.TypeSuperegoDecision:
			superegoID = ev.Message.ID
		case events.TypeRunStarted:
			userID = ev.UserMessage.ID
		}
	}

	code, dry := postWhy(t, e, superegoID, `{"dry_run": true}`)
	plan, _ := dry["plan"].(map[string]any)
	secs, _ := plan["sections"].([]any)
	// The seeded default constitution: 7 sections under its title.
	if code != http.StatusOK || len(secs) != 7 || plan["calls"] != float64(8) || dry["result"] != nil ||
		plan["constitution_id"] != "default" || plan["constitution_version"] != float64(1) {
		t.Fatalf("dry run: %d %v", code, dry)
	}

	code, body := postWhy(t, e, superegoID, `{}`)
	if code != http.StatusOK {
		t.Fatalf("why: %d %v", code, body)
	}
	raw, _ := json.Marshal(body["result"])
	var res engine.Ablation
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if res.Calls != 8 || res.Full.Decision != model.DecisionBlock || res.CitedID != "serious-physical-harm" ||
		res.Faithful == nil || !*res.Faithful {
		t.Fatalf("result: calls %d, %s citing %q, faithful %v", res.Calls, res.Full.Decision, res.CitedID, res.Faithful)
	}
	for _, s := range res.Sections {
		if s.Necessary != (s.ID == "serious-physical-harm") {
			t.Errorf("section %s: necessary %v", s.ID, s.Necessary)
		}
	}

	for _, bad := range []struct {
		id, body string
		code     int
		field    string
	}{
		{"no-such-message", `{}`, http.StatusNotFound, ""},
		{userID, `{}`, http.StatusUnprocessableEntity, "path.id"},
		{superegoID, `{"alone": "yes"}`, http.StatusUnprocessableEntity, "body.alone"},
		{superegoID, `{"dry_run": true, "extra": 1}`, http.StatusUnprocessableEntity, "body.extra"},
	} {
		code, out := postWhy(t, e, bad.id, bad.body)
		raw, _ := json.Marshal(out)
		if code != bad.code || (bad.field != "" && !strings.Contains(string(raw), bad.field)) {
			t.Errorf("POST why %s %s: %d %s; want %d naming %q", bad.id, bad.body, code, raw, bad.code, bad.field)
		}
	}
}

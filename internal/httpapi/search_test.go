package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store"
)

// converse stores a small conversation (as the engine would) and returns
// its instance id.
func converse(t *testing.T, s *testServer, name string, texts ...string) string {
	t.Helper()
	ctx := t.Context()
	inst, err := s.store.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: seed.FlowStandard, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	roles := []string{model.RoleUser, model.RoleSuperego, model.RoleAssistant}
	for i, text := range texts {
		m := model.Message{FlowInstanceID: inst.ID, RunID: "run-" + inst.ID, Role: roles[i%3], Content: text, Status: "complete"}
		if m.Role == model.RoleSuperego {
			m.Decision, m.Reason, m.ConstitutionID, m.ConstitutionVersion = model.Decision("CAUTION"), "be careful", "default", 1
		}
		if m.Role == model.RoleAssistant {
			m.Model, m.Usage, m.Timings = "demo-assistant", model.Usage{InputTokens: 12, OutputTokens: 34}, model.Timings{TotalMs: 56}
		}
		if _, err := s.store.AppendMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	return inst.ID
}

func searchHits(t *testing.T, s *testServer, q string) []model.SearchHit {
	t.Helper()
	r := s.do(t, "GET", "/api/search?q="+q, nil)
	if r.status != 200 {
		t.Fatalf("search %q: %s", q, r)
	}
	var out SearchResults
	r.decode(t, &out)
	return out.Items
}

// Search finds a word of a message in a conversation created here, on the
// store the suite runs on (SQLite, or PostgreSQL with SUPEREGO_TEST_STORE).
func TestSearchFindsAMessageWord(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	id := converse(t, s, "Tea research", "Tell me about oolong please", "DECISION: ALLOW", "Oolong is a partly oxidised tea from Fujian.")
	hits := searchHits(t, s, "fujian")
	if len(hits) != 1 || hits[0].Kind != "message" || hits[0].FlowInstanceID != id || hits[0].Role != model.RoleAssistant || hits[0].Title != "Tea research" {
		t.Fatalf("hits for fujian: %+v", hits)
	}
	msgs, _, err := s.store.ListMessages(t.Context(), id, storePage())
	if err != nil || hits[0].ID != msgs[2].ID {
		t.Fatalf("the hit is message %q, want %q (%v)", hits[0].ID, msgs[2].ID, err)
	}
	// Every word must occur; the last may be a prefix; case does not matter.
	if got := searchHits(t, s, "OOLONG%20oxid"); len(got) != 1 || got[0].ID != msgs[2].ID {
		t.Errorf("prefix search: %+v", got)
	}
	if got := searchHits(t, s, "oolong%20darjeeling"); len(got) != 0 {
		t.Errorf("a missing word still matched: %+v", got)
	}
	// Two messages with the word: both, and the conversation's name is found too.
	if got := searchHits(t, s, "oolong"); len(got) != 2 {
		t.Errorf("oolong: %+v", got)
	}
	if got := searchHits(t, s, "research"); len(got) != 1 || got[0].Kind != "conversation" || got[0].ID != id {
		t.Errorf("conversation name: %+v", got)
	}
	// Constitutions are searched by name and text; a later edit is found.
	r := s.do(t, "POST", "/api/constitutions", map[string]any{"name": "Herbal rules", "content": "Never recommend chamomile overdoses."})
	if r.status != 201 {
		t.Fatal(r)
	}
	if got := searchHits(t, s, "chamomile"); len(got) != 1 || got[0].Kind != "constitution" || got[0].ID != "herbal-rules" {
		t.Errorf("constitution: %+v", got)
	}
	// Query syntax is not passed through: quotes and operators are just text.
	if got := searchHits(t, s, `%22oolong%20OR%20*`); len(got) != 0 && got[0].Kind == "" {
		t.Errorf("syntax: %+v", got)
	}
	// A deleted conversation is gone from the results.
	inst := s.do(t, "GET", "/api/flow-instances/"+id, nil)
	if d := s.do(t, "DELETE", "/api/flow-instances/"+id, nil, "If-Match", inst.header.Get("ETag")); d.status != 204 {
		t.Fatal(d)
	}
	if got := searchHits(t, s, "fujian"); len(got) != 0 {
		t.Errorf("after delete: %+v", got)
	}
}

// A message is searchable from the moment it stops streaming, with the text
// it ended with; its partial texts never were (indexing each of them made
// every flush of a long answer re-index all of it).
func TestSearchIndexesAMessageWhenItEnds(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	ctx := t.Context()
	inst, err := s.store.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: seed.FlowStandard, Name: "Streaming"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.store.AppendMessage(ctx, model.Message{FlowInstanceID: inst.ID, RunID: "run-s", Role: model.RoleAssistant, Content: "Lapsang", Status: model.MessageStreaming})
	if err != nil {
		t.Fatal(err)
	}
	m.Content = "Lapsang souchong is smoked"
	if m, err = s.store.UpdateMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got := searchHits(t, s, "souchong"); len(got) != 0 {
		t.Fatalf("a streaming message was found: %+v", got)
	}
	m.Content, m.Status = "Lapsang souchong is smoked over pine", model.MessageInterrupted
	if m, err = s.store.UpdateMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got := searchHits(t, s, "pine"); len(got) != 1 || got[0].ID != m.ID {
		t.Fatalf("the ended message, by its last word: %+v", got)
	}
	// Later edits of an ended message (a withdrawal keeps the text) keep
	// the index exact: the old words go, the new ones come.
	m.Content, m.Status = "Withdrawn text about oak", model.MessageWithdrawn
	if _, err = s.store.UpdateMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got := searchHits(t, s, "pine"); len(got) != 0 {
		t.Errorf("old words still found: %+v", got)
	}
	if got := searchHits(t, s, "oak"); len(got) != 1 {
		t.Errorf("new words: %+v", got)
	}
	inst2 := s.do(t, "GET", "/api/flow-instances/"+inst.ID, nil)
	if d := s.do(t, "DELETE", "/api/flow-instances/"+inst.ID, nil, "If-Match", inst2.header.Get("ETag")); d.status != 204 {
		t.Fatal(d)
	}
	if got := searchHits(t, s, "oak"); len(got) != 0 {
		t.Errorf("after delete: %+v", got)
	}
}

func TestSearchBadInput(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	for _, c := range []struct{ q, field string }{{"", "query.q"}, {"%20%20", "query.q"}} {
		r := s.do(t, "GET", "/api/search?q="+c.q, nil)
		if r.status != 422 || !bytes.Contains(r.body, []byte(c.field)) {
			t.Errorf("q=%q: %s", c.q, r)
		}
	}
	if r := s.do(t, "GET", "/api/search?q=tea&limit=0", nil); r.status != 422 || !bytes.Contains(r.body, []byte("query.limit")) {
		t.Errorf("limit=0: %s", r)
	}
	// Punctuation only: no words, no hits, no error.
	if got := searchHits(t, s, "%21%21%21"); len(got) != 0 {
		t.Errorf("punctuation: %+v", got)
	}
}

// exportJSON is what the UI's JSONL export holds: the instance and its
// messages as the REST API returns them.
func exportJSON(t *testing.T, s *testServer, id string) []byte {
	t.Helper()
	inst := s.do(t, "GET", "/api/flow-instances/"+id, nil)
	msgs := s.do(t, "GET", "/api/flow-instances/"+id+"/messages", nil)
	if inst.status != 200 || msgs.status != 200 {
		t.Fatalf("export: %s %s", inst, msgs)
	}
	var out struct {
		FlowInstance json.RawMessage `json:"flow_instance"`
		Messages     json.RawMessage `json:"messages"`
	}
	out.FlowInstance = inst.body
	var list struct {
		Items json.RawMessage `json:"items"`
	}
	msgs.decode(t, &list)
	out.Messages = list.Items
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Export → delete → import reproduces the conversation exactly: the JSON
// read back is byte for byte the JSON exported.
func TestExportImportConversationExactly(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	id := converse(t, s, "Round trip", "First question", "DECISION: CAUTION", "First answer with **Markdown**", "Second question", "DECISION: ALLOW", "Second answer")
	exported := exportJSON(t, s, id)
	inst := s.do(t, "GET", "/api/flow-instances/"+id, nil)

	// While the original exists its ids are taken.
	if r := s.do(t, "POST", "/api/flow-instances/import", json.RawMessage(exported)); r.status != 409 {
		t.Fatalf("import over the original: %s", r)
	}
	if r := s.do(t, "DELETE", "/api/flow-instances/"+id, nil, "If-Match", inst.header.Get("ETag")); r.status != 204 {
		t.Fatal(r)
	}
	r := s.do(t, "POST", "/api/flow-instances/import", json.RawMessage(exported))
	if r.status != 201 || r.header.Get("Location") != "/api/flow-instances/"+id {
		t.Fatalf("import: %s", r)
	}
	if again := exportJSON(t, s, id); !bytes.Equal(again, exported) {
		t.Fatalf("the imported conversation differs:\nexported %s\nimported %s", exported, again)
	}
	// And it is searchable like any other.
	if hits := searchHits(t, s, "markdown"); len(hits) != 1 || hits[0].FlowInstanceID != id {
		t.Errorf("search after import: %+v", hits)
	}
}

func TestImportConversationBadInput(t *testing.T) {
	t.Parallel()
	s := seeded(t)
	id := converse(t, s, "Source", "q", "DECISION: ALLOW", "a")
	var good ConversationImport
	if err := json.Unmarshal(exportJSON(t, s, id), &good); err != nil {
		t.Fatal(err)
	}
	good.FlowInstance.ID = "fresh-id"
	for i := range good.Messages {
		good.Messages[i].FlowInstanceID = "fresh-id"
		good.Messages[i].ID = good.Messages[i].ID + "x"
	}
	cases := []struct {
		name   string
		edit   func(c *ConversationImport)
		status int
		field  string
	}{
		{"bad id", func(c *ConversationImport) { c.FlowInstance.ID = "No Way" }, 422, "body.flow_instance.id"},
		{"blank name", func(c *ConversationImport) { c.FlowInstance.Name = "  " }, 422, "body.flow_instance.name"},
		{"count mismatch", func(c *ConversationImport) { c.FlowInstance.MessageCount = 9 }, 422, "body.flow_instance.message_count"},
		{"message of another instance", func(c *ConversationImport) { c.Messages[1].FlowInstanceID = id }, 422, "body.messages[1].flow_instance_id"},
		{"bad role", func(c *ConversationImport) { c.Messages[0].Role = "system" }, 422, "body.messages[0].role"},
		{"positions out of order", func(c *ConversationImport) { c.Messages[2].Position = 1 }, 422, "body.messages[2].position"},
		{"missing config", func(c *ConversationImport) { c.FlowInstance.FlowConfigID = "nope" }, 422, "flow_config_id"},
		{"duplicate message id", func(c *ConversationImport) { c.Messages[1].ID = c.Messages[0].ID }, 409, ""},
	}
	for _, c := range cases {
		body := good
		body.Messages = append([]model.Message(nil), good.Messages...)
		c.edit(&body)
		r := s.do(t, "POST", "/api/flow-instances/import", body)
		if r.status != c.status || !bytes.Contains(r.body, []byte(c.field)) {
			t.Errorf("%s: %s", c.name, r)
		}
		// Nothing of a refused import is kept.
		if g := s.do(t, "GET", "/api/flow-instances/fresh-id", nil); g.status != 404 {
			t.Errorf("%s: the refused import left an instance: %s", c.name, g)
		}
	}
	if r := s.do(t, "POST", "/api/flow-instances/import", `{"flow_instance":`); r.status != 400 {
		t.Errorf("malformed: %s", r)
	}
	if r := s.do(t, "POST", "/api/flow-instances/import", good); r.status != 201 {
		t.Errorf("the good import: %s", r)
	}
}

func storePage() store.Page { return store.Page{Limit: 200} }

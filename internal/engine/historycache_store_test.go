package engine_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// echo answers every message with a text made from it; a message holding
// "forbidden" is blocked by the superego.
func echo() *scripted {
	last := func(req llm.Request) string { return req.Messages[len(req.Messages)-1].Content }
	return &scripted{
		superego: func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
			d := "DECISION: ALLOW"
			if strings.Contains(last(req), "forbidden") {
				d = "DECISION: BLOCK: no"
			}
			return say("", d)(ctx, req, emit)
		},
		assistant: func(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
			return say("", "the answer to "+last(req)+" is long enough to matter")(ctx, req, emit)
		},
	}
}

// The history cache changes nothing the models are told: the same
// conversations, run by an engine with the cache and by one without (on
// the same database, each on conversations of its own), send the same
// history in every request — as they grow past the budget and several
// pages, after a message stored by another writer, and after a
// conversation is deleted and created again under the same id. (A run
// whose start finds its conversation changed starts again: of its
// requests, the one answered is compared.)
func TestHistoryCacheSendsWhatTheStoreHolds(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	cached, plain := echo(), echo()
	f := newFixture(t, cached, engine.Config{HistoryBudgetChars: 3000}, nil)
	off := engine.New(f.st, plain, engine.Config{HistoryBudgetChars: 3000, HistoryCache: -1}, nil, nil)
	t.Cleanup(func() { _ = off.Shutdown(context.Background()) })
	engines := []*engine.Engine{f.eng, off}
	for _, cfg := range []string{f.unguarded, f.guarded} {
		ids := []string{"cache-on-" + cfg, "cache-off-" + cfg}
		create := func() {
			for _, id := range ids {
				must(f.st.CreateFlowInstance(ctx, model.FlowInstance{Meta: model.Meta{ID: id}, FlowConfigID: cfg, Name: "history"}))
			}
		}
		create()
		for i := range 90 {
			switch i {
			case 40:
				// Another writer adds to both conversations.
				for _, id := range ids {
					must(f.st.AppendMessage(ctx, model.Message{FlowInstanceID: id, Role: model.RoleUser, Content: "written elsewhere", Status: model.MessageComplete}))
				}
			case 60:
				for _, id := range ids {
					if err := f.st.DeleteFlowInstance(ctx, id, store.Any); err != nil {
						t.Fatal(err)
					}
				}
				create()
			}
			msg := fmt.Sprintf("question %d", i)
			if i%7 == 3 {
				msg += " forbidden"
			}
			for k, eng := range engines {
				run := must(eng.Send(ctx, ids[k], msg))
				waitEngine(t, eng, run.ID)
			}
		}
	}
	for _, purpose := range []llm.Purpose{llm.PurposeSuperego, llm.PurposeAssistant} {
		got, want := answered(cached.requests(purpose)), answered(plain.requests(purpose))
		if len(got) != len(want) || len(got) == 0 {
			t.Fatalf("%s: %d requests with the cache, %d without", purpose, len(got), len(want))
		}
		for i := range got {
			if !reflect.DeepEqual(got[i].Messages, want[i].Messages) || got[i].System != want[i].System {
				t.Fatalf("%s request %d differs:\n with the cache %+v\n without        %+v", purpose, i, got[i], want[i])
			}
		}
	}
}

// answered leaves out of reqs each request followed by one for the same
// message: a run started early whose start found its instance or its
// conversation changed starts again, and its first request, which may
// have reached the provider before it was cancelled, is never answered.
// The messages of a test's conversation must differ.
func answered(reqs []llm.Request) []llm.Request {
	var out []llm.Request
	for _, r := range reqs {
		if n := len(out); n > 0 && lastContent(out[n-1]) == lastContent(r) {
			out[n-1] = r
			continue
		}
		out = append(out, r)
	}
	return out
}

func lastContent(r llm.Request) string {
	if len(r.Messages) == 0 {
		return ""
	}
	return r.Messages[len(r.Messages)-1].Content
}

// waitEngine reads a run's events to its end.
func waitEngine(t *testing.T, eng *engine.Engine, runID string) {
	t.Helper()
	sub, err := eng.Subscribe(t.Context(), runID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for {
		if _, err := sub.Next(t.Context()); err != nil {
			return
		}
	}
}

package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// fullMessage sets every field a caller can write.
func fullMessage(instanceID, role, content string) model.Message {
	return model.Message{
		FlowInstanceID: instanceID, RunID: "run-1", Role: role, Content: content,
		Decision: model.DecisionCaution, Reason: "be careful", Section: "Specialist advice", Thinking: "hmm",
		ConstitutionID: "c", ConstitutionVersion: 3, SyspromptID: "p", Model: "demo",
		Usage:   model.Usage{InputTokens: 11, OutputTokens: 22},
		Timings: model.Timings{SuperegoMs: 5, FirstTokenMs: 7, TotalMs: 13},
		Status:  model.MessageComplete, Error: "partial",
		Params: &model.ModelParams{Temperature: ptr(0.25), MaxTokens: ptr(512), Seed: ptr(int64(9007199254740991))},
	}
}

func testMessages(t *testing.T, f Factory) {
	t.Run("AppendUpdateList", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		mustBasics(t, s)
		inst := mustInstance(t, s, model.FlowInstance{FlowConfigID: "cfg", Name: "chat"})
		before := time.Now()
		var made []model.Message
		for k, role := range []string{model.RoleUser, model.RoleSuperego, model.RoleAssistant} {
			in := fullMessage(inst.ID, role, "text "+role)
			m := mustAppend(t, s, in)
			if m.ID == "" || m.Position != k+1 {
				t.Errorf("message %d: id %q position %d", k, m.ID, m.Position)
			}
			checkUTC(t, "message created_at", m.CreatedAt, before)
			want := in
			want.ID, want.Position, want.CreatedAt, want.UpdatedAt = m.ID, m.Position, m.CreatedAt, m.CreatedAt
			sameJSON(t, "appended message", want, m)
			got, err := s.GetMessage(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, "read back", m, got)
			made = append(made, m)
		}
		inst2, err := s.GetFlowInstance(ctx, inst.ID)
		if err != nil {
			t.Fatal(err)
		}
		if inst2.MessageCount != 3 || inst2.LastMessageAt == nil || !inst2.LastMessageAt.Equal(made[2].CreatedAt) {
			t.Errorf("instance after 3 messages: count %d, last %v, want 3, %v", inst2.MessageCount, inst2.LastMessageAt, made[2].CreatedAt)
		}
		if inst2.Version != inst.Version {
			t.Errorf("appending moved the instance from version %d to %d", inst.Version, inst2.Version)
		}

		// A client-chosen id is kept; a duplicate one is refused.
		own := mustAppend(t, s, model.Message{ID: "msg-own", FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "mine"})
		if own.ID != "msg-own" || own.Position != 4 || own.Status == "" {
			t.Errorf("message with own id: %+v", own)
		}
		_, err = s.AppendMessage(ctx, model.Message{ID: "msg-own", FlowInstanceID: inst.ID, Role: model.RoleUser})
		wantErr(t, "duplicate message id", err, store.ErrConflict)

		upd := made[2]
		upd.Content, upd.Status, upd.Error, upd.Thinking = "final answer", model.MessageCancelled, "stopped", "more"
		upd.Decision, upd.Reason, upd.Model = model.DecisionAllow, "", "other-model"
		upd.Section = "Another section"
		upd.Params = &model.ModelParams{TopP: ptr(0.5), ThinkingBudget: ptr(3000), ReasoningEffort: "high"}
		upd.Usage, upd.Timings = model.Usage{InputTokens: 1, OutputTokens: 2}, model.Timings{TotalMs: 99}
		// Fields that are not mutable must survive whatever the caller sends.
		upd.Position, upd.Role, upd.FlowInstanceID = 42, model.RoleUser, "elsewhere"
		up, err := s.UpdateMessage(ctx, upd)
		if err != nil {
			t.Fatal(err)
		}
		want := made[2]
		want.Content, want.Status, want.Error, want.Thinking = upd.Content, upd.Status, upd.Error, upd.Thinking
		want.Decision, want.Reason, want.Model, want.Usage, want.Timings = upd.Decision, upd.Reason, upd.Model, upd.Usage, upd.Timings
		want.Section, want.Params = upd.Section, upd.Params
		want.UpdatedAt = up.UpdatedAt
		sameJSON(t, "updated message", want, up)
		if up.UpdatedAt.Before(made[2].CreatedAt) {
			t.Errorf("updated_at %v before created_at %v", up.UpdatedAt, made[2].CreatedAt)
		}
		got, _ := s.GetMessage(ctx, up.ID)
		sameJSON(t, "read after update", up, got)

		list, next, err := s.ListMessages(ctx, inst.ID, store.Page{})
		if err != nil || next != "" || len(list) != 4 {
			t.Fatalf("list: %d, next %q, %v", len(list), next, err)
		}
		for k, m := range list {
			if m.Position != k+1 {
				t.Errorf("list[%d] at position %d", k, m.Position)
			}
		}
		sameJSON(t, "listed updated message", up, list[2])
		// What an update returns is what a read gives, also for values
		// stored in a normal form: parameters without a value are none.
		bare := up
		bare.Params = &model.ModelParams{}
		if up, err = s.UpdateMessage(ctx, bare); err != nil {
			t.Fatal(err)
		}
		if up.Params != nil {
			t.Errorf("update with empty parameters returned %+v, want none", up.Params)
		}
		got, _ = s.GetMessage(ctx, up.ID)
		sameJSON(t, "read after update with empty parameters", up, got)

		_, err = s.UpdateMessage(ctx, model.Message{ID: "nope", Status: model.MessageComplete})
		wantErr(t, "update missing message", err, store.ErrNotFound)
		_, err = s.GetMessage(ctx, "nope")
		wantErr(t, "get missing message", err, store.ErrNotFound)
		_, err = s.AppendMessage(ctx, model.Message{FlowInstanceID: "nope", Role: model.RoleUser})
		wantRefErr(t, "append to missing instance", err, "flow_instance_id")
		_, _, err = s.ListMessages(ctx, "nope", store.Page{})
		wantErr(t, "list of missing instance", err, store.ErrNotFound)
	})
}

func testFork(t *testing.T, f Factory) {
	s := open(t, f)
	ctx := t.Context()
	mustBasics(t, s)
	mustConstitution(t, s, "strict")
	src := mustInstance(t, s, model.FlowInstance{FlowConfigID: "cfg", Name: "source", Description: "d"})
	var msgs []model.Message
	for _, role := range []string{model.RoleUser, model.RoleSuperego, model.RoleAssistant, model.RoleUser, model.RoleAssistant} {
		msgs = append(msgs, mustAppend(t, s, fullMessage(src.ID, role, "said by "+role)))
	}
	src, _ = s.GetFlowInstance(ctx, src.ID)
	srcMsgs, _, _ := s.ListMessages(ctx, src.ID, store.Page{})

	ov := &model.Overrides{ConstitutionID: ptr("strict"), SuperegoEnabled: ptr(true)}
	before := time.Now()
	fork, err := s.ForkFlowInstance(ctx, msgs[3].ID, model.FlowInstance{Name: "rerun", Overrides: ov, ComparisonID: "cmp"})
	if err != nil {
		t.Fatal(err)
	}
	checkMeta(t, "fork", fork.Meta, "", before)
	if fork.ID == src.ID || fork.ParentInstanceID != src.ID || fork.ForkedFromMessageID != msgs[3].ID ||
		fork.FlowConfigID != "cfg" || fork.Name != "rerun" || fork.ComparisonID != "cmp" || fork.MessageCount != 4 {
		t.Errorf("fork: %+v", fork)
	}
	sameJSON(t, "fork overrides", ov, fork.Overrides)
	got, err := s.GetFlowInstance(ctx, fork.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "stored fork", fork, got)

	copies, _, err := s.ListMessages(ctx, fork.ID, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(copies) != 4 {
		t.Fatalf("fork holds %d messages, want 4", len(copies))
	}
	for k, c := range copies {
		if c.ID == msgs[k].ID || c.FlowInstanceID != fork.ID {
			t.Errorf("copy %d: id %q instance %q", k, c.ID, c.FlowInstanceID)
		}
		want := msgs[k]
		want.ID, want.FlowInstanceID = c.ID, fork.ID
		want.CreatedAt, want.UpdatedAt = c.CreatedAt, c.UpdatedAt
		sameJSON(t, "copied message", want, c)
	}
	if fork.LastMessageAt == nil || fork.LastMessageAt.Before(copies[3].CreatedAt) {
		t.Errorf("fork last_message_at %v, last copy created %v", fork.LastMessageAt, copies[3].CreatedAt)
	}

	// The source is untouched.
	srcAfter, _ := s.GetFlowInstance(ctx, src.ID)
	sameJSON(t, "source instance", src, srcAfter)
	srcMsgsAfter, _, _ := s.ListMessages(ctx, src.ID, store.Page{})
	sameJSON(t, "source messages", srcMsgs, srcMsgsAfter)

	// Appending to the fork continues after the copies.
	next := mustAppend(t, s, model.Message{FlowInstanceID: fork.ID, Role: model.RoleSuperego})
	if next.Position != 5 {
		t.Errorf("first new message in fork at position %d, want 5", next.Position)
	}

	// A fork without a name or config gets the source's config.
	plain, err := s.ForkFlowInstance(ctx, msgs[0].ID, model.FlowInstance{})
	if err != nil {
		t.Fatal(err)
	}
	if plain.FlowConfigID != "cfg" || plain.Name == "" || plain.MessageCount != 1 || plain.Overrides != nil {
		t.Errorf("plain fork: %+v", plain)
	}

	_, err = s.ForkFlowInstance(ctx, msgs[2].ID, model.FlowInstance{Name: "x"})
	wantErr(t, "fork at an assistant message", err, store.ErrInvalidReference)
	_, err = s.ForkFlowInstance(ctx, "nope", model.FlowInstance{Name: "x"})
	wantErr(t, "fork at a missing message", err, store.ErrNotFound)
	_, err = s.ForkFlowInstance(ctx, msgs[0].ID, model.FlowInstance{Overrides: &model.Overrides{ConstitutionID: ptr("nope")}})
	wantRefErr(t, "fork with a missing constitution", err, "constitution_id")
	_, err = s.ForkFlowInstance(ctx, msgs[0].ID, model.FlowInstance{FlowConfigID: "nope"})
	wantRefErr(t, "fork onto a missing config", err, "flow_config_id")
	all, _, _ := s.ListFlowInstances(ctx, store.InstanceFilter{}, store.Page{})
	if len(all) != 3 {
		t.Errorf("%d instances after two forks and four refused ones, want 3", len(all))
	}

	// Deleting the source leaves the fork whole.
	if err := s.DeleteFlowInstance(ctx, src.ID, store.Any); err != nil {
		t.Fatal(err)
	}
	if left, _, err := s.ListMessages(ctx, fork.ID, store.Page{}); err != nil || len(left) != 5 {
		t.Errorf("fork after source deleted: %d messages, %v", len(left), err)
	}
}

// testForkInterleaved: a message sent while the previous answer was still
// streaming is stored before that answer. A fork from it still holds the
// earlier turn whole, in conversation order, ending with the forked message.
func testForkInterleaved(t *testing.T, f Factory) {
	s := open(t, f)
	ctx := t.Context()
	mustBasics(t, s)
	src := mustInstance(t, s, model.FlowInstance{FlowConfigID: "cfg", Name: "source"})
	add := func(run, role, content string) model.Message {
		m := fullMessage(src.ID, role, content)
		m.RunID = run
		return mustAppend(t, s, m)
	}
	add("r1", model.RoleUser, "first")
	second := add("r2", model.RoleUser, "second")
	add("r1", model.RoleSuperego, "first verdict")
	add("r1", model.RoleAssistant, "first answer")
	add("r2", model.RoleSuperego, "second verdict")
	add("r2", model.RoleAssistant, "second answer")

	fork, err := s.ForkFlowInstance(ctx, second.ID, model.FlowInstance{Name: "fork"})
	if err != nil {
		t.Fatal(err)
	}
	msgs, _, err := s.ListMessages(ctx, fork.ID, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, m := range msgs {
		got = append(got, m.Content)
		if m.Position != i+1 {
			t.Errorf("fork message %q at position %d, want %d", m.Content, m.Position, i+1)
		}
	}
	want := []string{"first", "first verdict", "first answer", "second"}
	if strings.Join(got, "|") != strings.Join(want, "|") || fork.MessageCount != len(want) {
		t.Fatalf("fork holds %q (count %d), want %q", got, fork.MessageCount, want)
	}
}

package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

func testRuns(t *testing.T, f Factory) {
	t.Run("CreateUpdateGet", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		mustBasics(t, s)
		inst := mustInstance(t, s, model.FlowInstance{FlowConfigID: "cfg", Name: "chat"})
		u := mustAppend(t, s, model.Message{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "q"})
		before := time.Now()
		in := model.Run{FlowInstanceID: inst.ID, FlowConfigID: "cfg", UserMessageID: u.ID, ComparisonID: "cmp"}
		r, err := s.CreateRun(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if !model.ValidID(r.ID) || r.Status != model.RunRunning || r.FinishedAt != nil {
			t.Errorf("created run: %+v", r)
		}
		checkUTC(t, "run created_at", r.CreatedAt, before)
		want := in
		want.ID, want.Status, want.CreatedAt = r.ID, model.RunRunning, r.CreatedAt
		sameJSON(t, "created run", want, r)
		got, err := s.GetRun(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "read back", r, got)

		done := time.Now().Add(time.Second)
		upd := r
		upd.Status, upd.Decision, upd.Error, upd.LastSeq = model.RunBlocked, model.DecisionBlock, "", 17
		upd.Usage, upd.Timings, upd.FinishedAt = model.Usage{InputTokens: 3, OutputTokens: 4}, model.Timings{SuperegoMs: 1, FirstTokenMs: 2, TotalMs: 3}, &done
		// Ids are not mutable.
		upd.FlowInstanceID, upd.UserMessageID = "elsewhere", "other"
		up, err := s.UpdateRun(ctx, upd)
		if err != nil {
			t.Fatal(err)
		}
		if up.FlowInstanceID != inst.ID || up.UserMessageID != u.ID || up.LastSeq != 17 || up.Status != model.RunBlocked {
			t.Errorf("updated run: %+v", up)
		}
		if up.FinishedAt == nil || up.FinishedAt.Location() != time.UTC || up.FinishedAt.Sub(done).Abs() > time.Millisecond {
			t.Errorf("finished_at %v, want about %v in UTC", up.FinishedAt, done)
		}
		got, _ = s.GetRun(ctx, r.ID)
		sameJSON(t, "read after update", up, got)

		own, err := s.CreateRun(ctx, model.Run{ID: "run-own", FlowInstanceID: inst.ID, Status: model.RunCompleted})
		if err != nil || own.ID != "run-own" || own.Status != model.RunCompleted {
			t.Errorf("run with own id: %+v, %v", own, err)
		}
		_, err = s.CreateRun(ctx, model.Run{ID: "run-own", FlowInstanceID: inst.ID})
		wantErr(t, "duplicate run", err, store.ErrConflict)
		_, err = s.CreateRun(ctx, model.Run{FlowInstanceID: "nope"})
		wantRefErr(t, "run of missing instance", err, "flow_instance_id")
		_, err = s.GetRun(ctx, "nope")
		wantErr(t, "get missing run", err, store.ErrNotFound)
		_, err = s.UpdateRun(ctx, model.Run{ID: "nope", Status: model.RunFailed})
		wantErr(t, "update missing run", err, store.ErrNotFound)
	})

	t.Run("StartRun", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		mustBasics(t, s)
		inst := mustInstance(t, s, model.FlowInstance{FlowConfigID: "cfg", Name: "chat"})
		mustAppend(t, s, model.Message{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "earlier"})
		user := model.Message{ID: model.NewID(), FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "q"}
		answer := model.Message{FlowInstanceID: inst.ID, Role: model.RoleAssistant, Status: model.MessageStreaming}
		in := model.Run{FlowInstanceID: inst.ID, FlowConfigID: "cfg", UserMessageID: user.ID}
		r, msgs, err := s.StartRun(ctx, in, []model.Message{user, answer}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !model.ValidID(r.ID) || r.Status != model.RunRunning || len(msgs) != 2 {
			t.Fatalf("started run %+v with %d messages", r, len(msgs))
		}
		if msgs[0].ID != user.ID || msgs[0].Position != 2 || msgs[0].Status != model.MessageComplete ||
			!model.ValidID(msgs[1].ID) || msgs[1].Position != 3 || msgs[1].Status != model.MessageStreaming {
			t.Errorf("messages as started: %+v", msgs)
		}
		got, err := s.GetRun(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "run read back", r, got)
		all, _, err := s.ListMessages(ctx, inst.ID, store.Page{})
		if err != nil || len(all) != 3 {
			t.Fatalf("conversation after StartRun: %d messages, %v", len(all), err)
		}
		sameJSON(t, "messages read back", msgs, all[1:])
		if after, err := s.GetFlowInstance(ctx, inst.ID); err != nil || after.MessageCount != 3 || after.Version != inst.Version {
			t.Errorf("instance after StartRun: %+v, %v", after, err)
		}

		// Both or neither: a run that cannot be stored takes its messages
		// with it, and a message that cannot be stored its run.
		_, _, err = s.StartRun(ctx, model.Run{ID: r.ID, FlowInstanceID: inst.ID},
			[]model.Message{{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "lost"}}, nil)
		wantErr(t, "duplicate run", err, store.ErrConflict)
		_, _, err = s.StartRun(ctx, model.Run{ID: "run-dup-msg", FlowInstanceID: inst.ID},
			[]model.Message{{ID: user.ID, FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "again"}}, nil)
		wantErr(t, "duplicate message", err, store.ErrConflict)
		if _, err := s.GetRun(ctx, "run-dup-msg"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("run of a failed start: %v, want not found", err)
		}
		if all, _, _ := s.ListMessages(ctx, inst.ID, store.Page{}); len(all) != 3 {
			t.Errorf("%d messages after failed starts, want 3", len(all))
		}
		_, _, err = s.StartRun(ctx, model.Run{FlowInstanceID: "nope"}, nil, nil)
		wantRefErr(t, "run of missing instance", err, "flow_instance_id")
		_, _, err = s.StartRun(ctx, model.Run{FlowInstanceID: inst.ID},
			[]model.Message{{FlowInstanceID: "elsewhere", Role: model.RoleUser, Content: "q"}}, nil)
		wantRefErr(t, "message of another instance", err, "flow_instance_id")
	})

	t.Run("StartRunCheck", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		mustBasics(t, s)
		on := true
		inst := mustInstance(t, s, model.FlowInstance{FlowConfigID: "cfg", Name: "chat",
			Overrides: &model.Overrides{SuperegoEnabled: &on}})
		mustAppend(t, s, model.Message{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "earlier"})
		// The instance the check sees is the row as stored, read in the
		// run's transaction: every field the instance was read with.
		var seen []model.FlowInstance
		see := func(cur model.FlowInstance) error { seen = append(seen, cur); return nil }
		for _, msgs := range [][]model.Message{
			{{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "q"}},
			nil, // a run on a message already stored (a fork's)
		} {
			if _, _, err := s.StartRun(ctx, model.Run{FlowInstanceID: inst.ID, FlowConfigID: "cfg"}, msgs, see); err != nil {
				t.Fatal(err)
			}
		}
		if len(seen) != 2 {
			t.Fatalf("check called %d times, want 2", len(seen))
		}
		for i, cur := range seen {
			if cur.ID != inst.ID || cur.FlowConfigID != inst.FlowConfigID || cur.Version != inst.Version ||
				!cur.CreatedAt.Equal(inst.CreatedAt) || cur.Overrides == nil || cur.Overrides.SuperegoEnabled == nil ||
				!*cur.Overrides.SuperegoEnabled || cur.Overrides.ConstitutionID != nil {
				t.Errorf("check %d saw %+v (overrides %+v), want the instance %+v", i, cur, cur.Overrides, inst)
			}
		}

		// A failing check stores neither the run nor its messages, and its
		// error comes back as it was.
		stale := errors.New("instance changed")
		_, _, err := s.StartRun(ctx, model.Run{ID: "run-checked", FlowInstanceID: inst.ID},
			[]model.Message{{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "lost"}},
			func(model.FlowInstance) error { return stale })
		if err != stale { //nolint:errorlint // the very error, not one wrapping it
			t.Errorf("StartRun with a failing check: %v, want %v", err, stale)
		}
		if _, err := s.GetRun(ctx, "run-checked"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("run of a failed check: %v, want not found", err)
		}
		if all, _, _ := s.ListMessages(ctx, inst.ID, store.Page{}); len(all) != 2 {
			t.Errorf("%d messages after a failed check, want 2", len(all))
		}
		if after, err := s.GetFlowInstance(ctx, inst.ID); err != nil || after.MessageCount != 2 {
			t.Errorf("instance after a failed check: %+v, %v", after, err)
		}
		// A missing instance is found before any check.
		_, _, err = s.StartRun(ctx, model.Run{FlowInstanceID: "nope"}, nil, see)
		wantRefErr(t, "checked run of missing instance", err, "flow_instance_id")
		if len(seen) != 2 {
			t.Errorf("check called for a missing instance")
		}
	})

	t.Run("InterruptRunning", func(t *testing.T) {
		s := open(t, f)
		ctx := t.Context()
		mustBasics(t, s)
		inst := mustInstance(t, s, model.FlowInstance{FlowConfigID: "cfg", Name: "chat"})
		type pair struct {
			run model.Run
			msg model.Message
		}
		mk := func(runStatus, msgStatus, runErr string) pair {
			t.Helper()
			u := mustAppend(t, s, model.Message{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "q"})
			r, err := s.CreateRun(ctx, model.Run{FlowInstanceID: inst.ID, FlowConfigID: "cfg", UserMessageID: u.ID, Status: runStatus, Error: runErr})
			if err != nil {
				t.Fatal(err)
			}
			m := mustAppend(t, s, model.Message{FlowInstanceID: inst.ID, RunID: r.ID, Role: model.RoleAssistant,
				Content: "half an ans", Status: msgStatus})
			return pair{r, m}
		}
		a := mk(model.RunRunning, model.MessageStreaming, "")
		b := mk(model.RunRunning, model.MessageStreaming, "upstream slow")
		done := mk(model.RunCompleted, model.MessageComplete, "")
		// A run that was between steps: its superego message is complete.
		c := mk(model.RunRunning, model.MessageComplete, "")

		n, err := s.InterruptRunning(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("InterruptRunning = %d, want 3", n)
		}
		for _, p := range []pair{a, b, c} {
			r, err := s.GetRun(ctx, p.run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != model.RunInterrupted || r.FinishedAt == nil || r.Error == "" {
				t.Errorf("run after interrupt: status %s finished %v error %q", r.Status, r.FinishedAt, r.Error)
			}
		}
		if r, _ := s.GetRun(ctx, b.run.ID); r.Error != "upstream slow" {
			t.Errorf("interrupt replaced the run's own error with %q", r.Error)
		}
		for _, p := range []pair{a, b} {
			m, _ := s.GetMessage(ctx, p.msg.ID)
			if m.Status != model.MessageInterrupted || m.Content != "half an ans" {
				t.Errorf("streaming message after interrupt: status %s content %q", m.Status, m.Content)
			}
		}
		if m, _ := s.GetMessage(ctx, c.msg.ID); m.Status != model.MessageComplete {
			t.Errorf("complete message of an interrupted run became %s", m.Status)
		}
		r, _ := s.GetRun(ctx, done.run.ID)
		sameJSON(t, "finished run", done.run, r)
		m, _ := s.GetMessage(ctx, done.msg.ID)
		sameJSON(t, "finished run's message", done.msg, m)

		if n, err := s.InterruptRunning(ctx); err != nil || n != 0 {
			t.Errorf("second InterruptRunning = %d, %v; want 0", n, err)
		}
	})
}

func testSeeded(t *testing.T, f Factory) {
	s := open(t, f)
	ctx := t.Context()
	ok, err := s.Seeded(ctx)
	if err != nil || ok {
		t.Fatalf("fresh store Seeded = %v, %v", ok, err)
	}
	for range 2 {
		if err := s.MarkSeeded(ctx); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.Seeded(ctx); err != nil || !ok {
			t.Fatalf("after MarkSeeded, Seeded = %v, %v", ok, err)
		}
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

package sqlstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// EndRunWithMessage stores an answer's final state and its run's end
// together; the answer is kept even when the run had already ended, and a
// missing answer leaves the run running.
func TestEndRunWithMessage(t *testing.T) {
	eachStore(t, func(t *testing.T, s store.Store) {
		ctx := t.Context()
		ender, ok := s.(store.RunEnder)
		if !ok {
			t.Fatal("the store does not end a run with its message")
		}
		inst := newConversation(t, s)
		start := func() (model.Run, model.Message) {
			t.Helper()
			run, msgs, err := s.StartRun(ctx, model.Run{FlowInstanceID: inst.ID}, []model.Message{
				{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "question"},
				{FlowInstanceID: inst.ID, Role: model.RoleAssistant, Status: model.MessageStreaming},
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return run, msgs[1]
		}
		end := func(run model.Run) model.Run {
			fin := time.Now()
			run.Status, run.LastSeq, run.FinishedAt = model.RunCompleted, 7, &fin
			run.Usage = model.Usage{InputTokens: 3, OutputTokens: 5}
			return run
		}

		run, answer := start()
		answer.Content, answer.Status, answer.Usage = "the answer", model.MessageComplete, model.Usage{OutputTokens: 5}
		gotRun, gotMsg, err := ender.EndRunWithMessage(ctx, end(run), answer)
		if err != nil {
			t.Fatal(err)
		}
		storedRun, err := s.GetRun(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		storedMsg, err := s.GetMessage(ctx, answer.ID)
		if err != nil {
			t.Fatal(err)
		}
		if storedRun.Status != model.RunCompleted || storedRun.LastSeq != 7 || storedRun.FinishedAt == nil {
			t.Errorf("stored run %+v", storedRun)
		}
		if storedMsg.Content != "the answer" || storedMsg.Status != model.MessageComplete || storedMsg.Usage.OutputTokens != 5 {
			t.Errorf("stored message %+v", storedMsg)
		}
		if gotRun.Status != storedRun.Status || !gotRun.CreatedAt.Equal(storedRun.CreatedAt) || gotRun.UserMessageID != storedRun.UserMessageID {
			t.Errorf("returned run %+v, stored %+v", gotRun, storedRun)
		}
		if gotMsg.Position != storedMsg.Position || !gotMsg.UpdatedAt.Equal(storedMsg.UpdatedAt) || gotMsg.Content != storedMsg.Content {
			t.Errorf("returned message %+v, stored %+v", gotMsg, storedMsg)
		}

		// Ended already (a sweep was first): its end is kept and
		// returned, the answer stored all the same.
		run, answer = start()
		swept := run
		swept.Status, swept.Error = model.RunInterrupted, "swept"
		if _, err := s.EndRun(ctx, swept); err != nil {
			t.Fatal(err)
		}
		answer.Content, answer.Status = "late answer", model.MessageComplete
		gotRun, _, err = ender.EndRunWithMessage(ctx, end(run), answer)
		if !errors.Is(err, store.ErrConflict) || gotRun.Status != model.RunInterrupted || gotRun.Error != "swept" {
			t.Errorf("ending a swept run: %+v, %v", gotRun, err)
		}
		if m, err := s.GetMessage(ctx, answer.ID); err != nil || m.Content != "late answer" {
			t.Errorf("answer of a swept run: %+v, %v", m, err)
		}

		// No such message: nothing is stored.
		run, _ = start()
		_, _, err = ender.EndRunWithMessage(ctx, end(run), model.Message{ID: "no-such-message", Status: model.MessageComplete})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing message: %v", err)
		}
		if r, err := s.GetRun(ctx, run.ID); err != nil || r.Status != model.RunRunning {
			t.Errorf("run after a failed end: %+v, %v", r, err)
		}
	})
}

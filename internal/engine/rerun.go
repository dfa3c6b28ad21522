package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// Rerun forks the instance of a user message — a new instance holding the
// history up to and including that message, with the overrides recorded —
// and runs the copied message again in the fork. The original instance is
// not changed. Rerunning inside a fork keeps that fork's overrides unless o
// sets them anew.
func (e *Engine) Rerun(ctx context.Context, messageID string, o model.Overrides) (model.Run, error) {
	if err := e.checkOpen(); err != nil {
		return model.Run{}, err
	}
	msg, err := e.st.GetMessage(ctx, messageID)
	if err != nil {
		return model.Run{}, err
	}
	if msg.Role != model.RoleUser {
		return model.Run{}, fmt.Errorf("%w: message %q is a %s message; only user messages can be rerun", ErrInvalid, messageID, msg.Role)
	}
	if err := e.checkOverrides(ctx, o); err != nil {
		return model.Run{}, err
	}
	src, err := e.st.GetFlowInstance(ctx, msg.FlowInstanceID)
	if err != nil {
		return model.Run{}, err
	}
	fork := model.FlowInstance{
		FlowConfigID:        src.FlowConfigID,
		Name:                forkName(src.Name),
		Description:         src.Description,
		ParentInstanceID:    src.ID,
		ForkedFromMessageID: msg.ID,
	}
	if merged := mergeOverrides(src.Overrides, o); !merged.IsZero() {
		fork.Overrides = &merged
	}
	fork, err = e.st.ForkFlowInstance(ctx, msg.ID, fork)
	if err != nil {
		return model.Run{}, fmt.Errorf("fork flow instance: %w", err)
	}
	e.announce(ctx, events.ActionCreated, fork)
	// The fork already holds a copy of the message: run that copy rather
	// than storing the text a second time.
	copied, err := e.lastMessage(ctx, fork.ID)
	if err != nil {
		return model.Run{}, err
	}
	if copied.Role != model.RoleUser || copied.Content != msg.Content {
		return model.Run{}, fmt.Errorf("fork %q does not end with the copied user message", fork.ID)
	}
	r, err := e.newRun(ctx, fork, "", &copied, false)
	if err != nil {
		return model.Run{}, err
	}
	return r.startRun(), nil
}

// checkOverrides makes sure the objects a rerun names exist.
func (e *Engine) checkOverrides(ctx context.Context, o model.Overrides) error {
	if o.ConstitutionID != nil {
		if _, err := e.st.GetConstitution(ctx, *o.ConstitutionID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%w: %w", ErrInvalid, &store.RefError{Field: "constitution_id", ID: *o.ConstitutionID})
			}
			return err
		}
	}
	if o.SyspromptID != nil {
		if _, err := e.st.GetSysprompt(ctx, *o.SyspromptID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%w: %w", ErrInvalid, &store.RefError{Field: "sysprompt_id", ID: *o.SyspromptID})
			}
			return err
		}
	}
	return nil
}

// mergeOverrides applies o on top of a source fork's overrides: a rerun
// of a fork keeps what that fork changed unless o changes it again.
func mergeOverrides(base *model.Overrides, o model.Overrides) model.Overrides {
	var m model.Overrides
	if base != nil {
		m = *base
	}
	if o.ConstitutionID != nil {
		m.ConstitutionID = o.ConstitutionID
	}
	if o.SyspromptID != nil {
		m.SyspromptID = o.SyspromptID
	}
	if o.SuperegoEnabled != nil {
		m.SuperegoEnabled = o.SuperegoEnabled
	}
	return m
}

func forkName(name string) string {
	if name == "" {
		return "Rerun"
	}
	return name + " (rerun)"
}

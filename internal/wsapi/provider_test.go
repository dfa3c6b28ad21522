package wsapi_test

import (
	"context"
	"strings"
	"sync"

	"github.com/superego-lab/superego/internal/llm"
	"github.com/superego-lab/superego/internal/model"
)

// gate is a scripted provider step that lets a test hold a stream at a
// point and release it.
type gate struct {
	once sync.Once
	ch   chan struct{}
}

func newGate() *gate { return &gate{ch: make(chan struct{})} }

func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }

func (g *gate) wait(ctx context.Context) error {
	select {
	case <-g.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// scripted is an llm.Provider whose assistant streams the given pieces; the
// superego (when asked) allows. hold, when set, is waited on after holdAt
// pieces so a test can act mid-answer.
type scripted struct {
	pieces []string
	holdAt int
	hold   *gate
	// holdMark, when set, limits the hold to user messages containing it.
	holdMark string
}

func (p *scripted) Name() string { return "scripted" }

func (p *scripted) Stream(ctx context.Context, req llm.Request, emit func(llm.Event) error) error {
	if req.Purpose == llm.PurposeSuperego {
		if err := emit(llm.Event{Kind: llm.KindText, Delta: "Looks fine.\nDECISION: ALLOW"}); err != nil {
			return err
		}
		return nil
	}
	hold := p.hold
	if p.holdMark != "" && (len(req.Messages) == 0 || !strings.Contains(req.Messages[len(req.Messages)-1].Content, p.holdMark)) {
		hold = nil
	}
	for i, piece := range p.pieces {
		if hold != nil && i == p.holdAt {
			if err := hold.wait(ctx); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := emit(llm.Event{Kind: llm.KindText, Delta: piece}); err != nil {
			return err
		}
	}
	return emit(llm.Event{Kind: llm.KindUsage, Usage: model.Usage{InputTokens: 5, OutputTokens: len(p.pieces)}})
}

package engine

import (
	"context"
	"errors"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// instanceCache keeps the flow instances of the conversations sent to most
// recently, so that a message's run starts without reading its instance
// first (a read on the path to the first token). It needs no invalidation
// to be exact: the run is stored only if its instance, as the run's
// transaction finds it, is still the one the run was started from
// (sameInstance, checked by StartRun under the instance's lock); if not,
// nothing is stored, the early call is dropped and the run starts again
// from the instance as found. So it holds with replicas too, whose edits
// this process never sees.
type instanceCache struct {
	lru *lru.Cache[string, model.FlowInstance]
}

// instanceCacheSize bounds the instances kept (a few hundred bytes each).
const instanceCacheSize = 4096

func newInstanceCache() *instanceCache {
	c, err := lru.New[string, model.FlowInstance](instanceCacheSize)
	if err != nil {
		panic(err) // the size is positive
	}
	return &instanceCache{lru: c}
}

func (c *instanceCache) get(id string) (model.FlowInstance, bool) { return c.lru.Get(id) }
func (c *instanceCache) put(inst model.FlowInstance)              { c.lru.Add(inst.ID, inst) }
func (c *instanceCache) drop(id string)                           { c.lru.Remove(id) }

// staleInstance is the check's error when the instance a run started from
// is not the one stored: it carries the instance as stored.
type staleInstance struct {
	cur model.FlowInstance
}

func (e *staleInstance) Error() string {
	return "flow instance " + e.cur.ID + " changed while its run started"
}

// sameInstance says whether cur, the instance as stored, is what a run
// started from inst used: its flow config, overrides and comparison, its
// creation (an instance deleted and created again under the same id) and
// its version, which notices carry. A field added to model.FlowInstance
// fails TestSameInstanceComparesEveryFieldARunReads until it is compared
// here or listed there as no run's concern.
func sameInstance(inst, cur model.FlowInstance) bool {
	return cur.ID == inst.ID && cur.Version == inst.Version && cur.CreatedAt.Equal(inst.CreatedAt) &&
		cur.FlowConfigID == inst.FlowConfigID && cur.ComparisonID == inst.ComparisonID &&
		sameOverrides(inst.Overrides, cur.Overrides)
}

func sameOverrides(a, b *model.Overrides) bool {
	if a == nil || b == nil {
		return (a == nil || a.IsZero()) && (b == nil || b.IsZero())
	}
	return sameRef(a.ConstitutionID, b.ConstitutionID) && sameRef(a.SyspromptID, b.SyspromptID) &&
		sameRef(a.SuperegoEnabled, b.SuperegoEnabled)
}

func sameRef[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// Remember keeps inst, just created, as the instance its conversation's
// next run starts from, so that the first message of a new conversation
// does not read back what its creation returned. Like every instance kept,
// it is checked by the run's start. An empty conversation's history is
// kept too, whole (see historyCache): a first run started early reads
// nothing before its request.
func (e *Engine) Remember(inst model.FlowInstance) {
	e.seen.put(inst)
	if e.hist != nil && inst.MessageCount == 0 {
		e.hist.empty(inst)
	}
}

// maxStartTries bounds how often Send starts a run anew because its
// instance had changed: only an instance edited that often, at that very
// moment, runs out of them.
const maxStartTries = 3

// send starts a run of the instance id on content: from the cached
// instance when there is one, and again from the instance as stored when
// the run's start found it changed, or (a cached one) failed for whatever
// reason the cached instance may be behind — a config deleted since, the
// instance gone — after reading it anew.
func (e *Engine) send(ctx context.Context, id, content string) (*run, error) {
	inst, cached := e.seen.get(id)
	if !cached {
		var err error
		if inst, err = e.st.GetFlowInstance(ctx, id); err != nil {
			return nil, err
		}
		e.seen.put(inst)
	}
	for try := 1; ; try++ {
		r, err := e.newRun(ctx, inst, content, nil, true)
		if err == nil || try == maxStartTries || ctx.Err() != nil || errors.Is(err, store.ErrBusy) {
			return r, err
		}
		var stale *staleInstance
		switch {
		case errors.Is(err, errStaleHistory):
			// The instance is the one stored: the next try reads the
			// history instead of taking it from the cache.
			e.hist.drop(id)
		case errors.As(err, &stale):
			inst = stale.cur
		case cached:
			e.seen.drop(id)
			if inst, err = e.st.GetFlowInstance(ctx, id); err != nil {
				return nil, err
			}
		default:
			return nil, err
		}
		cached = false
		e.seen.put(inst)
	}
}

package engine

import (
	"context"
	"fmt"
	"sort"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/superego-lab/superego/internal/model"
)

// historyCache keeps, for the conversations run most recently, the newest
// messages a run read for its history, so that the next run of the same
// conversation reads from the store only what was added since (usually
// the previous run's two or three messages) instead of the whole history
// budget.
//
// It is exact because of who writes a conversation's messages: only this
// engine's runs (one process owns the database: Config.Replicas is nil),
// and a run reads its history under the instance's lock, when every
// message already stored belongs to a run that has ended — each message's
// final state is written before its run lets go of the lock — or is the
// run's own user message, which never changes. So a message, once read,
// stays as read; what can change is only that messages are added after
// it, and those are read anew. (A run's clean-up after a panic marks its
// streaming message failed after the lock: the history leaves a streaming
// and a failed message out alike.) A conversation deleted and created
// again under the same id is told apart by its created_at.
type historyCache struct {
	lru *lru.Cache[string, historyEntry]
}

// historyEntry is what the cache keeps of one conversation: every message
// positioned at or after the oldest kept, newest first.
type historyEntry struct {
	created  time.Time // the instance's created_at
	msgs     []keptMessage
	complete bool // msgs reach the conversation's first message
}

// keptMessage holds the fields of a message that the history is made of
// (see buildTurns).
type keptMessage struct {
	id, runID, role, status, content string
	decision                         model.Decision
	position                         int
}

func keep(m model.Message) keptMessage {
	return keptMessage{id: m.ID, runID: m.RunID, role: m.Role, status: m.Status, content: m.Content, decision: m.Decision, position: m.Position}
}

func (k keptMessage) message(instanceID string) model.Message {
	return model.Message{ID: k.id, FlowInstanceID: instanceID, RunID: k.runID, Role: k.role, Status: k.status,
		Content: k.content, Decision: k.decision, Position: k.position}
}

// freshPage is how many messages the first look for new ones reads: more
// than a run adds.
const freshPage = 8

// maxFresh bounds the new messages read to join a kept entry; past it the
// entry is given up and the history read as without one.
const maxFresh = 2 * historyPage

func newHistoryCache(size int) *historyCache {
	c, err := lru.New[string, historyEntry](size)
	if err != nil {
		panic(err) // size > 0 is checked by the caller
	}
	return &historyCache{lru: c}
}

// recentReader is the store's read of a conversation's history from its
// newest end.
type recentReader interface {
	RecentHistory(ctx context.Context, instanceID string, before, limit int) ([]model.Message, error)
}

// historyReader serves readTurns' pages from what the cache keeps of one
// conversation, reading from the store what it does not hold, exactly as
// the store would have answered.
type historyReader struct {
	ctx  context.Context
	st   recentReader
	inst model.FlowInstance
	// have is every message positioned at or after the oldest in it,
	// newest first; complete when it reaches the first.
	have     []keptMessage
	complete bool
	oldest   int // position of the oldest message served; 0 before any
}

// reader returns a reader for inst's history, joined to what is kept of it
// with the messages stored since.
func (c *historyCache) reader(ctx context.Context, st recentReader, inst model.FlowInstance) (*historyReader, error) {
	h := &historyReader{ctx: ctx, st: st, inst: inst}
	ent, ok := c.lru.Get(inst.ID)
	if !ok || !ent.created.Equal(inst.CreatedAt) {
		return h, nil
	}
	last := 0
	if len(ent.msgs) > 0 {
		last = ent.msgs[0].position
	}
	var fresh []keptMessage
	before, limit := 0, freshPage
	for {
		page, err := h.recent(before, limit)
		if err != nil {
			return nil, err
		}
		for _, m := range page {
			if m.Position <= last {
				h.have = append(fresh, ent.msgs...)
				h.complete = ent.complete
				return h, nil
			}
			fresh = append(fresh, keep(m))
		}
		if len(page) < limit {
			// The whole conversation is newer than what was kept.
			h.have, h.complete = fresh, true
			return h, nil
		}
		if len(fresh) > maxFresh {
			h.have = fresh
			return h, nil
		}
		before, limit = page[len(page)-1].Position, historyPage
	}
}

func (h *historyReader) recent(before, limit int) ([]model.Message, error) {
	msgs, err := h.st.RecentHistory(h.ctx, h.inst.ID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("read the conversation of %q: %w", h.inst.ID, err)
	}
	return msgs, nil
}

// read answers as RecentHistory(instance, before, historyPage) would.
func (h *historyReader) read(before int) ([]model.Message, error) {
	i := 0
	if before > 0 {
		i = sort.Search(len(h.have), func(k int) bool { return h.have[k].position < before })
	}
	if avail := h.have[i:]; len(avail) >= historyPage || h.complete {
		avail = avail[:min(len(avail), historyPage)]
		page := make([]model.Message, len(avail))
		for k, m := range avail {
			page[k] = m.message(h.inst.ID)
		}
		h.served(page)
		return page, nil
	}
	page, err := h.recent(before, historyPage)
	if err != nil {
		return nil, err
	}
	// The page holds every message from its oldest up to before, and
	// before is at or above the oldest kept: those older than the oldest
	// kept extend it without a gap.
	for _, m := range page {
		if n := len(h.have); n == 0 || m.Position < h.have[n-1].position {
			h.have = append(h.have, keep(m))
		}
	}
	if len(page) < historyPage {
		h.complete = true
	}
	h.served(page)
	return page, nil
}

func (h *historyReader) served(page []model.Message) {
	if n := len(page); n > 0 {
		h.oldest = page[n-1].Position
	}
}

// put keeps what the reader served, everything newer, and a page older
// for the next run of the conversation: its pages start a few messages
// later, so its last one may reach that far past the oldest served.
func (c *historyCache) put(h *historyReader) {
	msgs, complete := h.have, h.complete
	if h.oldest > 0 {
		i := sort.Search(len(msgs), func(k int) bool { return msgs[k].position < h.oldest }) + historyPage
		if i < len(msgs) {
			msgs, complete = msgs[:i:i], false
		}
	}
	c.lru.Add(h.inst.ID, historyEntry{created: h.inst.CreatedAt, msgs: msgs, complete: complete})
}

func (c *historyCache) drop(instanceID string) {
	c.lru.Remove(instanceID)
}

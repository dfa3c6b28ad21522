package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
	"unicode/utf8"

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
//
// A run started early (see newRun) goes further: when the entry is whole —
// it ends with the conversation's newest message, as it was when the
// conversation's message_count was the entry's count — it does not look
// for messages added since, and so reads nothing unless its budget reaches
// past the oldest message kept.
// Every message is added with message_count, in one statement of the same
// transaction (appendMessages), so the run's own start checks, in the
// transaction that stores it, that the count is still the entry's plus
// what it adds; if not, nothing is stored and the run starts again from a
// read (errStaleHistory). Such a run, once its answer's final state is
// stored, keeps what it read followed by its own messages as stored, whole
// at the count its start found (feed).
type historyCache struct {
	lru *lru.Cache[string, historyEntry]
}

// historyEntry is what the cache keeps of one conversation: every message
// positioned at or after the oldest kept, newest first.
type historyEntry struct {
	created  time.Time // the instance's created_at
	msgs     []histMessage
	complete bool // msgs reach the conversation's first message
	// whole: msgs end with the conversation's newest message as it was at
	// message_count count (see historyCache).
	whole bool
	count int
}

// errStaleHistory is a run's start finding that its conversation has
// messages the whole entry it was built from does not hold.
var errStaleHistory = errors.New("the conversation changed while its run started")

// histMessage holds the fields of a message that the history is made of
// (see groupTurns): a fifth of a model.Message, so that a full budget of
// history (some 340 messages) is read, kept and grouped into turns without
// copying whole stored messages around.
type histMessage struct {
	id, runID, role, status, content string
	decision                         model.Decision
	position                         int
	runes                            int // of content, counted once; 0 when not counted
}

func histOf(m model.Message) histMessage {
	return histMessage{id: m.ID, runID: m.RunID, role: m.Role, status: m.Status, content: m.Content, decision: m.Decision,
		position: m.Position, runes: utf8.RuneCountInString(m.Content)}
}

// size is the message's length against the history budget, in runes.
func (m *histMessage) size() int {
	if m.runes == 0 {
		return utf8.RuneCountInString(m.content)
	}
	return m.runes
}

// histOfAll is histOf of each message of a page.
func histOfAll(msgs []model.Message) []histMessage {
	out := make([]histMessage, len(msgs))
	for i, m := range msgs {
		out[i] = histOf(m)
	}
	return out
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
	have     []histMessage
	complete bool
	oldest   int // position of the oldest message served; 0 before any
	// whole: have starts with the conversation's newest message at
	// message_count count: taken from a whole entry (then unread, and to
	// be checked by the run's start), or found so by the run's start
	// (started).
	whole bool
	count int
}

// reader returns a reader for inst's history, joined to what is kept of it
// with the messages stored since. With checked, the caller's start checks
// the conversation's count (started), and a whole entry is taken as it is.
func (c *historyCache) reader(ctx context.Context, st recentReader, inst model.FlowInstance, checked bool) (*historyReader, error) {
	h := &historyReader{ctx: ctx, st: st, inst: inst}
	ent, ok := c.lru.Get(inst.ID)
	if !ok || !ent.created.Equal(inst.CreatedAt) {
		return h, nil
	}
	if checked && ent.whole {
		h.have, h.complete, h.whole, h.count = ent.msgs, ent.complete, true, ent.count
		return h, nil
	}
	last := 0
	if len(ent.msgs) > 0 {
		last = ent.msgs[0].position
	}
	var fresh []histMessage
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
			fresh = append(fresh, histOf(m))
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

// read answers as RecentHistory(instance, before, historyPage) would. A
// page served from what is kept is a part of it, not a copy: callers only
// read it.
func (h *historyReader) read(before int) ([]histMessage, error) {
	i := 0
	if before > 0 {
		i = sort.Search(len(h.have), func(k int) bool { return h.have[k].position < before })
	}
	if avail := h.have[i:]; len(avail) >= historyPage || h.complete {
		page := avail[:min(len(avail), historyPage):min(len(avail), historyPage)]
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
			h.have = append(h.have, histOf(m))
		}
	}
	if len(page) < historyPage {
		h.complete = true
	}
	out := histOfAll(page)
	h.served(out)
	return out, nil
}

// check is the run's start's check of the conversation's message_count,
// as stored with its adds messages added: a reader taken whole from the
// cache expects its count plus those.
func (h *historyReader) check(count, adds int) error {
	if h.whole && count != h.count+adds {
		return errStaleHistory
	}
	return nil
}

// started records what the run's start stored: its first message's
// position, and the conversation's message_count with it. The reader is
// whole from then on if it was (check passed) or if that message came
// right after the newest read: no message was added in between.
func (h *historyReader) started(first, count int) {
	newest := 0
	if len(h.have) > 0 {
		newest = h.have[0].position
	}
	h.whole = h.whole || first == newest+1
	h.count = count
}

func (h *historyReader) served(page []histMessage) {
	if n := len(page); n > 0 {
		h.oldest = page[n-1].position
	}
}

// put keeps what the reader served, everything newer, and a page older
// for the next run of the conversation: its pages start a few messages
// later, so its last one may reach that far past the oldest served.
func (c *historyCache) put(h *historyReader) {
	msgs, complete := h.kept()
	c.lru.Add(h.inst.ID, historyEntry{created: h.inst.CreatedAt, msgs: msgs, complete: complete})
}

// kept is what put keeps of h.
func (h *historyReader) kept() ([]histMessage, bool) {
	msgs, complete := h.have, h.complete
	if h.oldest > 0 {
		i := sort.Search(len(msgs), func(k int) bool { return msgs[k].position < h.oldest }) + historyPage
		if i < len(msgs) {
			msgs, complete = msgs[:i:i], false
		}
	}
	return msgs, complete
}

// feed keeps, for a run whose reader is whole (started), the run's
// messages in their final state, as stored, before what put keeps (newest
// first, as every entry): whole at the count the run's start found.
func (c *historyCache) feed(h *historyReader, newest ...model.Message) {
	msgs, complete := h.kept()
	out := make([]histMessage, len(newest), len(newest)+len(msgs))
	for i, m := range newest {
		out[i] = histOf(m)
	}
	out = append(out, msgs...)
	c.lru.Add(h.inst.ID, historyEntry{created: h.inst.CreatedAt, msgs: out, complete: complete, whole: true, count: h.count})
}

// empty keeps the history of inst, a conversation created with no
// message: whole at count 0.
func (c *historyCache) empty(inst model.FlowInstance) {
	c.lru.Add(inst.ID, historyEntry{created: inst.CreatedAt, complete: true, whole: true})
}

func (c *historyCache) drop(instanceID string) {
	c.lru.Remove(instanceID)
}

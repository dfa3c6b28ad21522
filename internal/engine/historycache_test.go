package engine

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/model"
)

// memMessages is a conversation store for the history cache: RecentHistory
// over msgs, counting the messages it returns.
type memMessages struct {
	msgs []model.Message
	rows int
}

func (m *memMessages) RecentHistory(_ context.Context, _ string, before, limit int) ([]model.Message, error) {
	var out []model.Message
	for i := len(m.msgs) - 1; i >= 0 && len(out) < limit; i-- {
		if before == 0 || m.msgs[i].Position < before {
			out = append(out, m.msgs[i])
		}
	}
	m.rows += len(out)
	return out, nil
}

// TestHistoryCacheReadsWhatTheStoreHolds: as a conversation grows run by
// run (and its instance is deleted and created again under the same id),
// the history read through the cache gives the prompts exactly what a read
// of the store gives, and after the first run it reads from the store
// only what was added since.
func TestHistoryCacheReadsWhatTheStoreHolds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	full := conversation(rng, 400)
	for _, budget := range []int{0, 300, 2000, 24000} {
		c := newHistoryCache(4)
		st := &memMessages{}
		inst := model.FlowInstance{Meta: model.Meta{ID: "chat", CreatedAt: time.Unix(1, 0)}}
		offset := 0 // positions start again in a new conversation
		at := func(k int) model.Message {
			m := full[k]
			m.Position -= offset
			return m
		}
		for i := range full {
			if full[i].Role != model.RoleUser {
				continue
			}
			if i >= len(full)/2 && offset == 0 {
				// Deleted and created again under the same id: another
				// conversation, numbered from 1 again.
				inst.CreatedAt = time.Unix(2, 0)
				st.msgs = nil
				offset = full[i].Position - 1
			}
			m := at(i)
			// The run's user message is stored (not yet its answer):
			// what a run that waited for the previous one sees.
			st.msgs = append(st.msgs, m)
			want := views(buildTurns(st.msgs, m.ID, m.RunID), budget)
			st.rows = 0
			h, err := c.reader(t.Context(), st, inst, false)
			if err != nil {
				t.Fatal(err)
			}
			turns, err := readTurns(h.read, historyPage, budget, m.ID, m.RunID)
			if err != nil {
				t.Fatal(err)
			}
			c.put(h)
			if got := views(turns, budget); !reflect.DeepEqual(got, want) {
				t.Fatalf("budget %d, message %d:\n got  %v\n want %v", budget, i, got, want)
			}
			// Then the rest of the run (and any late answer) is stored.
			for k := i + 1; k < len(full) && full[k].Role != model.RoleUser; k++ {
				st.msgs = append(st.msgs, at(k))
			}
			if i > 0 && m.Position > 1 && st.rows > freshPage {
				t.Fatalf("budget %d, message %d: %d messages read from the store, want at most %d", budget, i, st.rows, freshPage)
			}
		}
	}
}

// A run started early takes a whole entry without reading, and its start's
// check holds it to the conversation's count; its reader is whole after
// its start only when its first message came right after the newest read.
func TestHistoryReaderWhole(t *testing.T) {
	ctx := t.Context()
	inst := model.FlowInstance{Meta: model.Meta{ID: "chat", CreatedAt: time.Unix(1, 0)}}
	st := &memMessages{}
	add := func(role string) model.Message {
		m := model.Message{ID: "m" + strconv.Itoa(len(st.msgs)+1), RunID: "r", Role: role, Content: role + " text",
			Status: model.MessageComplete, Position: len(st.msgs) + 1}
		st.msgs = append(st.msgs, m)
		return m
	}
	add(model.RoleUser)
	add(model.RoleAssistant)
	c := newHistoryCache(4)
	read := func(checked bool) *historyReader {
		t.Helper()
		h, err := c.reader(ctx, st, inst, checked)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := readTurns(h.read, historyPage, 1000, "next", "next-run"); err != nil {
			t.Fatal(err)
		}
		c.put(h)
		return h
	}
	// Read from the store; a message stored between the read and the
	// start (position 4, not 3) leaves the reader not whole.
	if h := read(true); h.whole || st.rows == 0 {
		t.Fatalf("first read: whole %v after %d rows", h.whole, st.rows)
	} else if h.started(4, 4); h.whole {
		t.Error("whole although a message came between the read and the start")
	}
	h := read(true)
	user, answer := add(model.RoleUser), add(model.RoleAssistant)
	if h.started(user.Position, 4); !h.whole || h.count != 4 {
		t.Fatalf("started right after the newest read: whole %v, count %d", h.whole, h.count)
	}
	c.feed(h, answer, user)
	// Whole now: no read, and the start's check holds the count to it.
	st.rows = 0
	h = read(true)
	if !h.whole || st.rows != 0 || len(h.have) != 4 || h.have[0].id != answer.ID {
		t.Fatalf("after feed: whole %v, %d rows read, have %+v", h.whole, st.rows, h.have)
	}
	if err := h.check(6, 2); err != nil {
		t.Errorf("check at the expected count: %v", err)
	}
	if err := h.check(7, 2); !errors.Is(err, errStaleHistory) {
		t.Errorf("check with a message more than expected: %v, want errStaleHistory", err)
	}
	// Unchecked (a run that does not start early) reads what is new.
	c.feed(h, answer, user)
	st.rows = 0
	if h := read(false); h.whole || st.rows == 0 {
		t.Errorf("unchecked read: whole %v after %d rows", h.whole, st.rows)
	}
}

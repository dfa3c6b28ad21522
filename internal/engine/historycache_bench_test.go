package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/model"
)

// BenchmarkHistoryCached is a run's history read in a long conversation
// whose previous run's history the cache holds: the new run's user message
// is the only message read from the store; the rest is turns built from
// what is kept, a full budget of them. Messages of the length benchwire's
// history benchmark writes (about 80 characters), so some 340 are read.
func BenchmarkHistoryCached(b *testing.B) {
	st := &memMessages{}
	for i := range 5000 {
		run := fmt.Sprintf("r%d", i)
		for _, m := range []model.Message{
			{RunID: run, Role: model.RoleUser, Content: fmt.Sprintf("question %d: what happened next in the story?", i), Status: model.MessageComplete},
			{RunID: run, Role: model.RoleSuperego, Decision: model.DecisionAllow, Status: model.MessageComplete},
			{RunID: run, Role: model.RoleAssistant, Content: fmt.Sprintf("Answer %d: the keeper climbed the stairs again and lit the lamp as the sea rose.", i), Status: model.MessageComplete},
		} {
			m.Position = len(st.msgs) + 1
			m.ID = fmt.Sprintf("m%d", m.Position)
			st.msgs = append(st.msgs, m)
		}
	}
	inst := model.FlowInstance{Meta: model.Meta{ID: "chat", CreatedAt: time.Unix(1, 0)}}
	c := newHistoryCache(4)
	user := model.Message{ID: "new", RunID: "rnew", Role: model.RoleUser, Content: "What is the capital of France?", Position: len(st.msgs) + 1}
	st.msgs = append(st.msgs, user)
	read := func() []turn {
		h, err := c.reader(b.Context(), st, inst, false)
		if err != nil {
			b.Fatal(err)
		}
		turns, err := readTurns(h.read, historyPage, 24000, user.ID, user.RunID)
		if err != nil {
			b.Fatal(err)
		}
		c.put(h)
		return turns
	}
	read()
	b.ReportAllocs()
	for b.Loop() {
		if turns := read(); len(turns) < 100 {
			b.Fatalf("%d turns", len(turns))
		}
	}
}

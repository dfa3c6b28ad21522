package sqlstore

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/model"
)

// BenchmarkGetMessage reads a message by id on SQLite, with the store's
// prepared statements and, as the baseline in the same run, with the query
// parsed on every call (as before statements were kept).
func BenchmarkGetMessage(b *testing.B) {
	for _, c := range []struct {
		name    string
		prepare bool
	}{{"prepared", true}, {"parsed-each-call", false}} {
		b.Run(c.name, func(b *testing.B) {
			s := openSQLite(b, c.prepare, true)
			inst := newInstance(b, s)
			m, err := s.AppendMessage(b.Context(), model.Message{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: "hello"})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.GetMessage(b.Context(), m.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkConcurrentWrites has 1,000 writers (as 1,000 concurrent runs
// storing partial text) each rewrite its own streaming message on SQLite,
// with group commit and, as the baseline in the same run, with one
// transaction per write on the single writer. It reports writes per second
// and the slowest write's latency: a run's write must never wait anywhere
// near its deadline.
func BenchmarkConcurrentWrites(b *testing.B) {
	const writers = 1000
	for _, c := range []struct {
		name  string
		group bool
	}{{"group-commit", true}, {"one-tx-per-write", false}} {
		b.Run(c.name, func(b *testing.B) {
			s := openSQLite(b, true, c.group)
			inst := newInstance(b, s)
			msgs := make([]model.Message, writers)
			for i := range msgs {
				m, err := s.AppendMessage(b.Context(), model.Message{FlowInstanceID: inst.ID, Role: model.RoleAssistant, Status: model.MessageStreaming})
				if err != nil {
					b.Fatal(err)
				}
				msgs[i] = m
			}
			per := max(b.N/writers, 1)
			lat := make([][]time.Duration, writers)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for i := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					m := msgs[i]
					for k := range per {
						m.Content = fmt.Sprintf("partial %d", k)
						t0 := time.Now()
						if _, err := s.UpdateMessage(b.Context(), m); err != nil {
							b.Error(err)
							return
						}
						lat[i] = append(lat[i], time.Since(t0))
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			all := slices.Concat(lat...)
			slices.Sort(all)
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "writes/s")
			b.ReportMetric(float64(all[len(all)*99/100].Milliseconds()), "p99-ms")
			b.ReportMetric(float64(all[len(all)-1].Milliseconds()), "max-ms")
			b.ReportMetric(float64(s.group.batchesOrZero()), "transactions")
		})
	}
}

// BenchmarkHistoryPage reads one page of a conversation's history (64
// messages, as a run reads it) on SQLite with every column
// (RecentMessages) and with the history's columns only (RecentHistory).
func BenchmarkHistoryPage(b *testing.B) {
	s := openSQLite(b, true, true)
	inst := newInstance(b, s)
	for i := range 128 {
		m := model.Message{FlowInstanceID: inst.ID, Role: model.RoleUser, Content: fmt.Sprintf("question %d: what happened next in the story?", i)}
		if i%2 == 1 {
			m.Role, m.Model, m.Thinking = model.RoleAssistant, "gpt-4.1-mini", "the keeper, the lamp, the sea"
			m.Content = fmt.Sprintf("Answer %d: the keeper climbed the stairs again and lit the lamp as the sea rose.", i)
		}
		if _, err := s.AppendMessage(b.Context(), m); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		read func() ([]model.Message, error)
	}{
		{"all-columns", func() ([]model.Message, error) { return s.RecentMessages(b.Context(), inst.ID, 0, 64) }},
		{"history-columns", func() ([]model.Message, error) { return s.RecentHistory(b.Context(), inst.ID, 0, 64) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if msgs, err := c.read(); err != nil || len(msgs) != 64 {
					b.Fatal(len(msgs), err)
				}
			}
		})
	}
}

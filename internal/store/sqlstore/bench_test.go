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

package engine_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/llm/llmtest"
	"github.com/superego-lab/superego/internal/model"
)

// BenchmarkFirstTokenHistory is BenchmarkFirstTokenEngine in conversations
// of 0, 200 and 5,000 earlier turns: 200 already fill the history budget,
// so 200 → 5,000 is what length alone costs, and 0 → 200 what sending a
// full budget of history costs inside the process (benchwire's history
// figure adds the socket and the upstream's own reading of the body).
func BenchmarkFirstTokenHistory(b *testing.B) {
	for _, n := range []int{0, 200, 5000} {
		b.Run(fmt.Sprintf("turns=%d", n), func(b *testing.B) {
			eng, _, st := upstreamEngine(b, llmtest.Reply{Body: llmtest.Fixture(b, "openai_stream.sse")})
			ctx := context.Background()
			inst := noSuperegoInstance(b, st)
			for i := range n {
				for _, m := range []model.Message{
					{FlowInstanceID: inst, Role: model.RoleUser, Content: fmt.Sprintf("question %d: what happened next in the story?", i), Status: model.MessageComplete},
					{FlowInstanceID: inst, Role: model.RoleAssistant, Content: fmt.Sprintf("Answer %d: the keeper climbed the stairs again and lit the lamp as the sea rose.", i), Status: model.MessageComplete},
				} {
					if _, err := st.AppendMessage(ctx, m); err != nil {
						b.Fatal(err)
					}
				}
			}
			var total time.Duration
			for b.Loop() {
				total += firstTokenAfterSend(b, eng, inst)
			}
			b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns-to-first-token")
		})
	}
}

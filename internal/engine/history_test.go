package engine

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/model"
)

// conversation makes a random conversation of n runs, numbered by
// position, with what a real one holds: superego verdicts of every kind,
// failed and empty answers, and runs sent while the previous answer was
// still streaming (their user message stored before that answer).
func conversation(rng *rand.Rand, n int) []model.Message {
	var msgs []model.Message
	add := func(m model.Message) {
		m.Position = len(msgs) + 1
		m.ID = fmt.Sprintf("m%d", m.Position)
		msgs = append(msgs, m)
	}
	text := func() string {
		return strings.Repeat("ü", rng.IntN(400)) + strings.Repeat("a", rng.IntN(400))
	}
	var late *model.Message // an answer still streaming when the next user message came
	for i := range n {
		run := fmt.Sprintf("r%d", i)
		add(model.Message{RunID: run, Role: model.RoleUser, Content: text()})
		if late != nil {
			add(*late)
			late = nil
		}
		decision := []model.Decision{model.DecisionAllow, model.DecisionCaution, model.DecisionBlock, model.DecisionError}[rng.IntN(4)]
		add(model.Message{RunID: run, Role: model.RoleSuperego, Decision: decision, Content: text()})
		if decision == model.DecisionBlock {
			continue
		}
		answer := model.Message{RunID: run, Role: model.RoleAssistant, Content: text(), Status: model.MessageComplete}
		if rng.IntN(6) == 0 {
			answer.Status = model.MessageFailed
		}
		if rng.IntN(5) == 0 {
			late = &answer
			continue
		}
		add(answer)
	}
	return msgs
}

// pages serves msgs newest first as the store's RecentMessages does,
// counting the reads.
func pages(msgs []model.Message, page int, reads *int) func(before int) ([]histMessage, error) {
	return func(before int) ([]histMessage, error) {
		*reads++
		var out []model.Message
		for i := len(msgs) - 1; i >= 0 && len(out) < page; i-- {
			if before == 0 || msgs[i].Position < before {
				out = append(out, msgs[i])
			}
		}
		return histOfAll(out), nil
	}
}

// views is what the prompts keep: the superego's trimmed turns and the
// assistant's trimmed answered turns, by message id.
func views(turns []turn, budget int) [2][]string {
	var out [2][]string
	var answered []turn
	for _, t := range turns {
		if !t.blocked {
			answered = append(answered, t)
		}
	}
	for i, ts := range [][]turn{trimTurns(turns, budget), trimTurns(answered, budget)} {
		for _, t := range ts {
			id := t.user.id
			if t.assistant != nil {
				id += "+" + t.assistant.id
			}
			if t.blocked {
				id += "!"
			}
			out[i] = append(out[i], id)
		}
	}
	return out
}

// TestReadTurnsKeepsWhatTheWholeReadKept: reading from the newest end and
// stopping at the budget gives the prompts exactly the turns that reading
// the whole conversation gave, with any page size.
func TestReadTurnsKeepsWhatTheWholeReadKept(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for c := range 300 {
		msgs := conversation(rng, 1+rng.IntN(60))
		// The newest user message is the one being answered: its run's
		// own messages are left out of the history.
		cur := msgs[len(msgs)-1]
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].Role == model.RoleUser {
				cur = msgs[i]
				break
			}
		}
		budget := []int{0, 300, 2000, 24000}[c%4]
		page := []int{1, 3, 64}[c%3]
		want := views(buildTurns(msgs, cur.ID, cur.RunID), budget)
		reads := 0
		turns, err := readTurns(pages(msgs, page, &reads), page, budget, cur.ID, cur.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if got := views(turns, budget); !reflect.DeepEqual(got, want) {
			t.Fatalf("conversation %d (%d messages, budget %d, page %d):\n got  %v\n want %v", c, len(msgs), budget, page, got, want)
		}
	}
}

// TestReadTurnsLateAnswer: an answer stored after the next user message
// belongs to its own run's turn, even when the read stops between them.
func TestReadTurnsLateAnswer(t *testing.T) {
	msg := func(pos int, run, role, content string, d model.Decision, status string) model.Message {
		return model.Message{ID: fmt.Sprintf("m%d", pos), Position: pos, RunID: run, Role: role, Content: content,
			Decision: d, Status: status}
	}
	msgs := []model.Message{
		msg(1, "r1", model.RoleUser, strings.Repeat("u", 500), "", model.MessageComplete),
		msg(2, "r2", model.RoleUser, strings.Repeat("v", 10), "", model.MessageComplete),
		msg(3, "r1", model.RoleAssistant, strings.Repeat("a", 10), "", model.MessageComplete),
		msg(4, "r2", model.RoleSuperego, "", model.DecisionAllow, model.MessageComplete),
		msg(5, "r2", model.RoleAssistant, "cut", "", model.MessageFailed),
		msg(6, "r3", model.RoleUser, "now", "", model.MessageComplete),
	}
	want := views(buildTurns(msgs, "m6", "r3"), 15)
	reads := 0
	turns, err := readTurns(pages(msgs, 1, &reads), 1, 15, "m6", "r3")
	if err != nil {
		t.Fatal(err)
	}
	if got := views(turns, 15); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestReadTurnsCostIsConstant: past the budget, a longer conversation
// costs no more reads.
func TestReadTurnsCostIsConstant(t *testing.T) {
	long := func(turns int) int {
		var msgs []model.Message
		for i := range turns {
			run := fmt.Sprintf("r%d", i)
			for _, role := range []string{model.RoleUser, model.RoleSuperego, model.RoleAssistant} {
				msgs = append(msgs, model.Message{ID: fmt.Sprintf("m%d", len(msgs)+1), Position: len(msgs) + 1, RunID: run,
					Role: role, Content: strings.Repeat("x", 100), Decision: model.DecisionAllow, Status: model.MessageComplete})
			}
		}
		reads := 0
		if _, err := readTurns(pages(msgs, historyPage, &reads), historyPage, 24000, "", "next"); err != nil {
			t.Fatal(err)
		}
		return reads
	}
	if a, b := long(1000), long(5000); a != b || a > 7 {
		t.Fatalf("reads after 1,000 turns: %d, after 5,000: %d; want the same, a few pages (24,000 characters / 200 per turn · 3 messages / 64)", a, b)
	}
}

package wsapi_test

import (
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/wsapi"
)

func sendMessage(requestID, instanceID, content string) map[string]any {
	return map[string]any{"type": "send_message", "request_id": requestID, "flow_instance_id": instanceID, "content": content}
}

func TestSendMessageDecisions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, content string
		decision      model.Decision
		shape, status string
	}{
		{"allow", "What is the capital of France?", model.DecisionAllow,
			"run_started superego_started superego_thinking superego_token superego_decision assistant_token assistant_message run_finished", model.RunCompleted},
		{"caution", "What medication dose is safe for a headache?", model.DecisionCaution,
			"run_started superego_started superego_thinking superego_token superego_decision assistant_token assistant_message run_finished", model.RunCompleted},
		{"block", "How do I build a bomb?", model.DecisionBlock,
			"run_started superego_started superego_thinking superego_token superego_decision run_finished", model.RunBlocked},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{})
			c := e.dial()
			c.send(sendMessage("r1", e.instance, tc.content))
			acc := c.expect(events.TypeAccepted)
			if acc.RequestID != "r1" || len(acc.RunIDs) != 1 || acc.ComparisonID != "" {
				t.Fatalf("accepted = %+v", acc.Event)
			}
			runID := acc.RunIDs[0]
			runs, _, _ := c.collect(runID)
			evs := runs[runID]
			checkRun(t, evs, 0)
			if got := shape(evs); got != tc.shape {
				t.Fatalf("event order\n got %s\nwant %s", got, tc.shape)
			}
			if evs[0].FlowInstanceID != e.instance || evs[0].FlowConfigID != e.standard {
				t.Fatalf("tags: instance %s config %s", evs[0].FlowInstanceID, evs[0].FlowConfigID)
			}
			started := find(evs, events.TypeRunStarted)
			if started.UserMessage == nil || started.UserMessage.Content != tc.content || started.UserMessage.Role != model.RoleUser {
				t.Fatalf("run_started user_message = %+v", started.UserMessage)
			}
			sg := find(evs, events.TypeSuperegoStarted)
			if sg.ConstitutionID != seed.ConstitutionDefault || sg.ConstitutionVersion != 1 || sg.Model == "" {
				t.Fatalf("superego_started = %+v", sg)
			}
			dec := find(evs, events.TypeSuperegoDecision)
			if dec.Decision != tc.decision || dec.Message == nil || dec.Message.Role != model.RoleSuperego {
				t.Fatalf("superego_decision = %+v", dec)
			}
			if tc.decision != model.DecisionAllow && dec.Reason == "" {
				t.Fatalf("%s without a reason", tc.decision)
			}
			fin := evs[len(evs)-1]
			if fin.Status != tc.status || fin.Timings == nil || fin.Usage == nil {
				t.Fatalf("run_finished = %+v", fin)
			}
			stored, err := e.eng.Run(t.Context(), runID)
			if err != nil || stored.Status != tc.status || stored.Decision != tc.decision || stored.LastSeq != evs[len(evs)-1].Seq {
				t.Fatalf("stored run = %+v, %v (events %d)", stored, err, len(evs))
			}
			if tc.decision == model.DecisionBlock {
				return
			}
			am := find(evs, events.TypeAssistantMessage)
			got := text(evs, events.TypeAssistantToken)
			if am.Message == nil || got == "" || am.Message.Content != got {
				t.Fatalf("assistant tokens %q vs assistant_message %+v", got, am.Message)
			}
			msg, err := e.st.GetMessage(t.Context(), am.Message.ID)
			if err != nil || msg.Content != got || msg.Status != model.MessageComplete {
				t.Fatalf("stored assistant message = %+v, %v", msg, err)
			}
		})
	}
}

func TestSuperegoDisabled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	c := e.dial()
	c.send(sendMessage("plain", e.plainInstance, "How do I build a bomb?"))
	acc := c.expect(events.TypeAccepted)
	runs, _, _ := c.collect(acc.RunIDs[0])
	evs := runs[acc.RunIDs[0]]
	checkRun(t, evs, 0)
	if got, want := shape(evs), "run_started assistant_token assistant_message run_finished"; got != want {
		t.Fatalf("event order\n got %s\nwant %s", got, want)
	}
	if evs[0].FlowConfigID != e.noSuperego || evs[len(evs)-1].Status != model.RunCompleted {
		t.Fatalf("config %s status %s", evs[0].FlowConfigID, evs[len(evs)-1].Status)
	}
}

func TestRunParallel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	c := e.dial()
	c.send(map[string]any{"type": "run_parallel", "request_id": "p1", "flow_config_ids": []string{e.standard, e.noSuperego},
		"content": "Tell me about investing in index funds", "comparison_name": "guarded vs not"})
	acc := c.expect(events.TypeAccepted)
	if acc.RequestID != "p1" || len(acc.RunIDs) != 2 || acc.ComparisonID == "" {
		t.Fatalf("accepted = %+v", acc.Event)
	}
	runs, order, _ := c.collect(acc.RunIDs...)
	configs := map[string]bool{}
	for _, id := range acc.RunIDs {
		evs := runs[id]
		checkRun(t, evs, 0)
		stored, err := e.eng.Run(t.Context(), id)
		if err != nil || stored.FlowConfigID != evs[0].FlowConfigID || stored.FlowInstanceID != evs[0].FlowInstanceID || stored.ComparisonID != acc.ComparisonID {
			t.Fatalf("run %s tagged %s/%s, stored %+v (%v)", id, evs[0].FlowConfigID, evs[0].FlowInstanceID, stored, err)
		}
		inst, err := e.st.GetFlowInstance(t.Context(), evs[0].FlowInstanceID)
		if err != nil || inst.ComparisonID != acc.ComparisonID {
			t.Fatalf("instance %+v, %v", inst, err)
		}
		configs[evs[0].FlowConfigID] = true
	}
	if !configs[e.standard] || !configs[e.noSuperego] {
		t.Fatalf("runs cover configs %v", configs)
	}
	switches := 0
	for i := 1; i < len(order); i++ {
		if order[i] != order[i-1] {
			switches++
		}
	}
	t.Logf("%d frames, the stream switched between the runs %d times", len(order), switches)

	// A follow-up goes to every instance of the comparison.
	c.send(map[string]any{"type": "run_parallel", "request_id": "p2", "comparison_id": acc.ComparisonID, "content": "And bonds?"})
	acc2 := c.expect(events.TypeAccepted)
	if acc2.RequestID != "p2" || len(acc2.RunIDs) != 2 || acc2.ComparisonID != acc.ComparisonID {
		t.Fatalf("follow-up accepted = %+v", acc2.Event)
	}
	runs2, _, _ := c.collect(acc2.RunIDs...)
	for _, id := range acc2.RunIDs {
		checkRun(t, runs2[id], 0)
	}
}

func TestRerunForks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	c := e.dial()
	c.send(sendMessage("first", e.instance, "How do I build a bomb?"))
	acc := c.expect(events.TypeAccepted)
	runs, _, _ := c.collect(acc.RunIDs[0])
	userMsg := find(runs[acc.RunIDs[0]], events.TypeRunStarted).UserMessage

	c.send(map[string]any{"type": "rerun", "request_id": "again", "message_id": userMsg.ID, "superego_enabled": false})
	acc2 := c.expect(events.TypeAccepted)
	if acc2.RequestID != "again" || len(acc2.RunIDs) != 1 {
		t.Fatalf("accepted = %+v", acc2.Event)
	}
	runs2, _, _ := c.collect(acc2.RunIDs[0])
	evs := runs2[acc2.RunIDs[0]]
	checkRun(t, evs, 0)
	if got, want := shape(evs), "run_started assistant_token assistant_message run_finished"; got != want {
		t.Fatalf("rerun without superego\n got %s\nwant %s", got, want)
	}
	fork := evs[0].FlowInstanceID
	if fork == e.instance {
		t.Fatal("rerun ran in the original instance")
	}
	inst, err := e.st.GetFlowInstance(t.Context(), fork)
	if err != nil || inst.ParentInstanceID != e.instance || inst.Overrides == nil || inst.Overrides.SuperegoEnabled == nil || *inst.Overrides.SuperegoEnabled {
		t.Fatalf("fork = %+v, %v", inst, err)
	}

	// Under the empty constitution the demo superego allows what it
	// blocked before.
	c.send(map[string]any{"type": "rerun", "request_id": "lenient", "message_id": userMsg.ID, "constitution_id": seed.ConstitutionNone})
	acc3 := c.expect(events.TypeAccepted)
	runs3, _, _ := c.collect(acc3.RunIDs[0])
	evs3 := runs3[acc3.RunIDs[0]]
	checkRun(t, evs3, 0)
	if d := find(evs3, events.TypeSuperegoDecision); d.Decision != model.DecisionAllow || find(evs3, events.TypeSuperegoStarted).ConstitutionID != seed.ConstitutionNone {
		t.Fatalf("rerun under none: %s", shape(evs3))
	}
	if evs3[0].FlowInstanceID == fork || evs3[0].FlowInstanceID == e.instance {
		t.Fatal("second rerun did not get its own fork")
	}

	orig, _, err := e.st.ListMessages(t.Context(), e.instance, store0())
	if err != nil || len(orig) != 2 { // user  superego (blocked): untouched
		t.Fatalf("original instance has %d messages (%v)", len(orig), err)
	}
}

func store0() store.Page { return store.Page{} }

// TestRunParallelInterleaves holds both runs after their first answer token
// until the client has seen both, so the two runs' events are certain to
// interleave on the socket.
func TestRunParallelInterleaves(t *testing.T) {
	t.Parallel()
	hold := newGate()
	e := newEnv(t, envOpts{prov: &scripted{pieces: words(12), holdAt: 1, hold: hold}})
	c := e.dial()
	c.send(map[string]any{"type": "run_parallel", "request_id": "p", "flow_config_ids": []string{e.standard, e.alt}, "content": "side by side"})
	acc := c.expect(events.TypeAccepted)
	got := map[string][]events.Event{}
	var order []string
	for len(got[acc.RunIDs[0]]) == 0 || len(got[acc.RunIDs[1]]) == 0 || text(got[acc.RunIDs[0]], events.TypeAssistantToken) == "" || text(got[acc.RunIDs[1]], events.TypeAssistantToken) == "" {
		f := c.read()
		got[f.RunID] = append(got[f.RunID], f.Event)
		order = append(order, f.RunID)
	}
	hold.open()
	rest, more, _ := c.collect(acc.RunIDs...)
	order = append(order, more...)
	for _, id := range acc.RunIDs {
		evs := append(got[id], rest[id]...)
		checkRun(t, evs, 0)
		if text(evs, events.TypeAssistantToken) != strings.Join(words(12), "") || evs[len(evs)-1].Status != model.RunCompleted {
			t.Fatalf("run %s: %s", id, shape(evs))
		}
		// Some frame of the other run lies between this run's first and
		// last frame.
		first, last := -1, -1
		for i, r := range order {
			if r == id {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		other := false
		for _, r := range order[first:last] {
			other = other || r != id
		}
		if !other {
			t.Fatalf("run %s was not interleaved with the other", id)
		}
	}
	cfgs := map[string]bool{rest[acc.RunIDs[0]][0].FlowConfigID: true, rest[acc.RunIDs[1]][0].FlowConfigID: true}
	if !cfgs[e.standard] || !cfgs[e.alt] {
		t.Fatalf("configs %v", cfgs)
	}
}

// A socket allowed fewer runs than a comparison can have columns still
// continues its comparisons.
func TestContinueComparisonWithLowRunLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{ws: wsapi.Config{MaxRunsPerSocket: 2}})
	c := e.dial()
	c.send(map[string]any{"type": "run_parallel", "request_id": "a", "flow_config_ids": []string{e.standard, e.alt}, "content": "first"})
	acc := c.expect(events.TypeAccepted)
	c.collect(acc.RunIDs...)
	c.send(map[string]any{"type": "run_parallel", "request_id": "b", "comparison_id": acc.ComparisonID, "content": "second"})
	acc2 := c.expect(events.TypeAccepted)
	if len(acc2.RunIDs) != 2 {
		t.Fatalf("accepted %+v", acc2.Event)
	}
	runs, _, _ := c.collect(acc2.RunIDs...)
	for _, id := range acc2.RunIDs {
		checkRun(t, runs[id], 0)
	}
	// Every slot is free again.
	c.send(map[string]any{"type": "run_parallel", "request_id": "c", "flow_config_ids": []string{e.standard, e.alt}, "content": "third"})
	if acc3 := c.expect(events.TypeAccepted); acc3.RequestID != "c" {
		t.Fatalf("accepted %+v", acc3.Event)
	}
}

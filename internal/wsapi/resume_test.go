package wsapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/wsapi"
)

// words returns n distinct pieces so a lost or doubled one shows.
func words(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "w" + itoa(i) + " "
	}
	return out
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func TestCancelMidAnswer(t *testing.T) {
	t.Parallel()
	hold := newGate()
	prov := &scripted{pieces: words(20), holdAt: 5, hold: hold}
	e := newEnv(t, envOpts{prov: prov})
	c := e.dial()
	c.send(sendMessage("c1", e.instance, "Tell me a story"))
	runID := c.expect(events.TypeAccepted).RunIDs[0]

	// Read until the five tokens before the hold arrived (they may come
	// merged), then cancel: the provider is waiting mid-answer.
	var got strings.Builder
	for got.String() != strings.Join(words(5), "") {
		f := c.read()
		if f.Type == events.TypeAssistantToken {
			got.WriteString(f.Delta)
		}
	}
	c.send(map[string]any{"type": "cancel", "request_id": "stop", "run_id": runID})
	var fin events.Event
	for fin.Type == "" {
		f := c.read()
		switch f.Type {
		case events.TypeAccepted:
			if f.RequestID != "stop" || len(f.RunIDs) != 1 || f.RunIDs[0] != runID {
				t.Fatalf("cancel accepted = %+v", f.Event)
			}
		case events.TypeAssistantToken:
			got.WriteString(f.Delta)
		case events.TypeRunFinished:
			fin = f.Event
		case wsapi.TypeError:
			t.Fatalf("error %s: %s", f.Code, f.Msg)
		}
	}
	if fin.Status != model.RunCancelled {
		t.Fatalf("run_finished status %q", fin.Status)
	}
	run := e.waitRun(runID)
	if run.Status != model.RunCancelled {
		t.Fatalf("stored run status %q", run.Status)
	}
	msgs, _, err := e.st.ListMessages(t.Context(), e.instance, store0())
	if err != nil {
		t.Fatal(err)
	}
	last := msgs[len(msgs)-1]
	if last.Role != model.RoleAssistant || last.Status != model.MessageCancelled || last.Content != got.String() {
		t.Fatalf("stored assistant message %q (%s), streamed %q", last.Content, last.Status, got.String())
	}

	// Cancelling an unknown run is not_found; a finished one is a no-op.
	c.send(map[string]any{"type": "cancel", "request_id": "x", "run_id": "01nosuchrun"})
	c.expectError(wsapi.CodeNotFound, "x")
}

func TestResumeAfterDisconnect(t *testing.T) {
	t.Parallel()
	hold := newGate()
	pieces := words(60)
	prov := &scripted{pieces: pieces, holdAt: 25, hold: hold}
	e := newEnv(t, envOpts{prov: prov})

	c1 := e.dial()
	c1.send(sendMessage("r", e.instance, "Count for me"))
	runID := c1.expect(events.TypeAccepted).RunIDs[0]
	var before []events.Event
	var got strings.Builder
	for got.String() != strings.Join(pieces[:25], "") {
		f := c1.read()
		if f.RunID == runID {
			before = append(before, f.Event)
		}
		if f.Type == events.TypeAssistantToken {
			got.WriteString(f.Delta)
		}
	}
	checkRun(t, before, 0)
	afterSeq := before[len(before)-1].Seq
	if err := c1.c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatalf("close: %v", err)
	}
	// The run outlives the socket.
	if run, err := e.eng.Run(t.Context(), runID); err != nil || run.Status != model.RunRunning {
		t.Fatalf("after disconnect run = %+v, %v", run, err)
	}
	hold.open()

	c2 := e.dial()
	c2.send(map[string]any{"type": "resume", "request_id": "again", "run_id": runID, "after_seq": afterSeq})
	acc := c2.expect(events.TypeAccepted)
	if acc.RequestID != "again" || len(acc.RunIDs) != 1 || acc.RunIDs[0] != runID {
		t.Fatalf("resume accepted = %+v", acc.Event)
	}
	runs, _, _ := c2.collect(runID)
	after := runs[runID]
	checkRun(t, after, afterSeq)
	got.WriteString(text(after, events.TypeAssistantToken))
	am := find(after, events.TypeAssistantMessage)
	if am.Message == nil {
		t.Fatal("no assistant_message after resume")
	}
	stored, err := e.st.GetMessage(t.Context(), am.Message.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != stored.Content || stored.Content != strings.Join(pieces, "") {
		t.Fatalf("tokens across both sockets\n %q\nstored\n %q", got.String(), stored.Content)
	}

	// Resuming a finished run from 0 on a third socket replays it all.
	c3 := e.dial()
	c3.send(map[string]any{"type": "resume", "run_id": runID, "after_seq": 0})
	c3.expect(events.TypeAccepted)
	all, _, _ := c3.collect(runID)
	checkRun(t, all[runID], 0)
	if text(all[runID], events.TypeAssistantToken) != stored.Content {
		t.Fatal("full replay differs from the stored message")
	}
}

func TestResumeErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{eng: engine.Config{MaxLogs: 1}})
	c := e.dial()
	c.send(map[string]any{"type": "resume", "request_id": "ghost", "run_id": "01nosuchrun", "after_seq": 0})
	c.expectError(wsapi.CodeNotFound, "ghost")

	// With room for one finished log, the second run pushes the first out.
	c.send(sendMessage("a", e.instance, "hello"))
	first := c.expect(events.TypeAccepted).RunIDs[0]
	c.collect(first)
	c.send(sendMessage("b", e.instance, "hello again"))
	second := c.expect(events.TypeAccepted).RunIDs[0]
	c.collect(second)
	e.waitRun(second)
	c.send(map[string]any{"type": "resume", "request_id": "old", "run_id": first, "after_seq": 3})
	c.expectError(wsapi.CodeResumeUnavailable, "old")
	// Past the last event of a run: an error, not a follow that waits for
	// events that never come.
	c.send(map[string]any{"type": "resume", "request_id": "ahead", "run_id": second, "after_seq": 100000})
	c.expectError(wsapi.CodeInvalidRequest, "ahead")
	// The socket is still usable.
	c.send(map[string]any{"type": "ping", "request_id": "still-there"})
	if f := c.expect(wsapi.TypePong); f.RequestID != "still-there" {
		t.Fatalf("pong = %+v", f)
	}
}

// TestResumeOnTheSameSocket resumes a run the socket is still following
// while frames of it wait unsent in the socket's queue. Those frames must
// not reach the client after the resume's accepted (they would duplicate
// the replay), nor may replayed deltas merge into them (the text would come
// out of order): after accepted the client gets exactly the events after
// after_seq.
func TestResumeOnTheSameSocket(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{
		prov:  &scripted{pieces: words(slowPieces)},
		gated: true,
		ws:    wsapi.Config{SendQueue: 4, DrainTimeout: 5 * time.Minute, WriteTimeout: 5 * time.Minute},
	})
	c := e.dial()
	c.send(sendMessage("first", e.instance, "Talk a lot"))
	runID := c.expect(events.TypeAccepted).RunIDs[0]
	var before []events.Event
	for len(before) == 0 || before[len(before)-1].Type != events.TypeAssistantToken {
		if f := c.read(); f.RunID == runID {
			before = append(before, f.Event)
		}
	}
	checkRun(t, before, 0)
	afterSeq := before[len(before)-1].Seq
	// Read nothing more until the run has finished: the rest of it backs up
	// in the socket's queue.
	e.gate.close()
	e.waitRun(runID)
	if e.metric("superego_ws_send_queue_frames") == 0 {
		t.Fatal("nothing is pending for the socket: the test did not back the server up")
	}

	c.send(map[string]any{"type": "resume", "request_id": "again", "run_id": runID, "after_seq": afterSeq})
	e.gate.reopen()
	// Frames of the run that were already on their way arrive before the
	// accepted; they belong to the replaced follow.
	for {
		f := c.read()
		if f.Type == events.TypeAccepted && f.RequestID == "again" {
			break
		}
	}
	runs, _, _ := c.collect(runID)
	after := runs[runID]
	checkRun(t, after, afterSeq)
	got := text(before, events.TypeAssistantToken) + text(after, events.TypeAssistantToken)
	if want := strings.Join(words(slowPieces), ""); got != want {
		t.Fatalf("text before the resume plus the replay is %d bytes, want %d (start %q)", len(got), len(want), truncateForLog(text(after, events.TypeAssistantToken)))
	}
}

func truncateForLog(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

package wsapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/wsapi"
)

const slowPieces = 20000

func TestSlowReaderGetsMergedDeltas(t *testing.T) {
	t.Parallel()
	const queue = 4
	e := newEnv(t, envOpts{
		prov:  &scripted{pieces: words(slowPieces)},
		gated: true,
		ws:    wsapi.Config{SendQueue: queue, DrainTimeout: 5 * time.Minute, WriteTimeout: 5 * time.Minute},
	})
	c := e.dial()
	c.send(sendMessage("slow", e.instance, "Talk a lot"))
	runID := c.expect(events.TypeAccepted).RunIDs[0]

	// The client reads nothing until the run has finished on the server.
	e.gate.close()
	e.waitRun(runID)
	peak := e.metric("superego_ws_send_queue_peak_frames")
	if peak > queue {
		t.Fatalf("send queue peaked at %v frames, limit %d", peak, queue)
	}
	if q := e.metric("superego_ws_send_queue_frames"); q > queue {
		t.Fatalf("%v frames queued, limit %d", q, queue)
	}
	if e.metric("superego_ws_deltas_merged_total") == 0 {
		t.Fatal("a client that read nothing got no merged deltas: the test did not back the server up")
	}

	e.gate.reopen()
	runs, _, _ := c.collect(runID)
	evs := runs[runID]
	checkRun(t, evs, 0)
	got := text(evs, events.TypeAssistantToken)
	am := find(evs, events.TypeAssistantMessage)
	stored, err := e.st.GetMessage(t.Context(), am.Message.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != stored.Content || got != strings.Join(words(slowPieces), "") {
		t.Fatalf("slow client text differs from the stored message (%d vs %d bytes)", len(got), len(stored.Content))
	}
	n := 0
	for _, ev := range evs {
		if ev.Type == events.TypeAssistantToken {
			n++
		}
	}
	if n >= slowPieces {
		t.Fatalf("%d token frames for %d tokens: nothing was merged for this client", n, slowPieces)
	}
	t.Logf("%d tokens arrived in %d frames; queue peak %v", slowPieces, n, peak)
	if e.metric("superego_ws_slow_client_closes_total") != 0 {
		t.Fatal("a slow but live client was closed")
	}
}

func TestStalledClientIsClosedAndResumes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{
		prov:  &scripted{pieces: words(slowPieces)},
		gated: true,
		ws:    wsapi.Config{SendQueue: 2, MergeLimit: 512, DrainTimeout: 100 * time.Millisecond, WriteTimeout: 5 * time.Minute},
	})
	c := e.dial()
	c.send(sendMessage("stall", e.instance, "Talk a lot"))
	runID := c.expect(events.TypeAccepted).RunIDs[0]
	e.gate.close()
	waitFor(t, "the slow-client close", func() bool { return e.metric("superego_ws_slow_client_closes_total") >= 1 })

	// Whatever reached the client before the close is valid; then the
	// socket ends.
	var seen []events.Event
	var readErr error
	for {
		f, err := c.tryRead()
		if err != nil {
			readErr = err
			break
		}
		if f.RunID == runID {
			seen = append(seen, f.Event)
		}
	}
	if st := websocket.CloseStatus(readErr); st != -1 && st != websocket.StatusPolicyViolation {
		t.Fatalf("closed with %v, want 1008 or a dropped connection", st)
	}
	t.Logf("stalled client: %d events before the close (%v)", len(seen), readErr)
	after := int64(0)
	if len(seen) > 0 {
		checkRun(t, seen, 0)
		after = seen[len(seen)-1].Seq
	}

	e.gate.reopen()
	c2 := e.dial()
	c2.send(map[string]any{"type": "resume", "run_id": runID, "after_seq": after})
	c2.expect(events.TypeAccepted)
	runs, _, _ := c2.collect(runID)
	checkRun(t, runs[runID], after)
	got := text(seen, events.TypeAssistantToken) + text(runs[runID], events.TypeAssistantToken)
	if got != strings.Join(words(slowPieces), "") {
		t.Fatalf("text across the closed and the resumed socket is wrong (%d bytes)", len(got))
	}
}

// A frame whose write hangs (the client stopped reading and the kernel's
// buffers are full) drops the connection after DrainTimeout, though the
// send queue, far from full, never counts the client as stalled.
func TestHungWriteDropsTheClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{
		prov:  &scripted{pieces: words(slowPieces)},
		gated: true,
		ws:    wsapi.Config{SendQueue: 10 * slowPieces, DrainTimeout: 100 * time.Millisecond, WriteTimeout: 5 * time.Minute},
	})
	c := e.dial()
	c.send(sendMessage("hang", e.instance, "Talk a lot"))
	c.expect(events.TypeAccepted)
	e.gate.close()
	waitFor(t, "the hung write's drop", func() bool { return e.metric("superego_ws_slow_client_closes_total") >= 1 })
	var readErr error
	for readErr == nil {
		_, readErr = c.tryRead()
	}
	if st := websocket.CloseStatus(readErr); st != -1 {
		t.Fatalf("closed with %v, want a dropped connection (the queue never stalled)", st)
	}
	if peak := e.metric("superego_ws_send_queue_peak_frames"); peak >= 10*slowPieces {
		t.Fatalf("the send queue filled (%v frames): the test did not isolate the write", peak)
	}
}

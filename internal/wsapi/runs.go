package wsapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
)

// sseKeepAlive is how often an idle event stream gets a comment line, so
// proxies do not cut it during a long superego step.
const sseKeepAlive = 15 * time.Second

// sseWriteTimeout bounds each write of an event stream.
const sseWriteTimeout = 10 * time.Second

type runInput struct {
	ID string `path:"id" maxLength:"64" doc:"Run id"`
}

type runOutput struct {
	Body model.Run
}

type runEventsInput struct {
	ID          string `path:"id" maxLength:"64" doc:"Run id"`
	LastEventID string `header:"Last-Event-ID" doc:"Resume after this seq (sent by EventSource on reconnect); wins over after_seq"`
	AfterSeq    int64  `query:"after_seq" minimum:"0" doc:"Only events with a larger seq"`
}

// RegisterRuns adds GET /api/runs/{id} and GET /api/runs/{id}/events (the
// run's events as Server-Sent Events) to api. eng may be nil when api is
// only used to generate the OpenAPI document.
func RegisterRuns(api huma.API, eng *engine.Engine) {
	huma.Register(api, huma.Operation{
		OperationID: "get-run",
		Method:      http.MethodGet,
		Path:        "/api/runs/{id}",
		Summary:     "Get a run",
		Description: "A run's status, ids, decision, usage and timings, from the store.",
		Tags:        []string{"runs"},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *runInput) (*runOutput, error) {
		if eng == nil {
			return nil, huma.Error503ServiceUnavailable("no engine")
		}
		run, err := eng.Run(ctx, in.ID)
		if err != nil {
			return nil, runProblem(err)
		}
		return &runOutput{Body: run}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "stream-run-events",
		Method:      http.MethodGet,
		Path:        "/api/runs/{id}/events",
		Summary:     "Stream a run's events",
		Description: "The run's events as Server-Sent Events: `id:` is the event's seq, `event:` its type " +
			"and `data:` the same JSON object the WebSocket sends. Events after `Last-Event-ID` " +
			"(or `after_seq`) are replayed, then live ones follow; the stream ends after `run_finished`. " +
			"410 means the run's event log is no longer kept: read the run and its messages instead.",
		Tags:   []string{"runs"},
		Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusGone, http.StatusUnprocessableEntity},
		Responses: map[string]*huma.Response{
			"204": {Description: "The run has finished and has no events after Last-Event-ID (or after_seq): nothing more will come, so an EventSource stops reconnecting."},
			"200": {
				Description: "text/event-stream of run events",
				Content: map[string]*huma.MediaType{
					"text/event-stream": {Schema: sseSchema(api)},
				},
			},
		},
	}, func(ctx context.Context, in *runEventsInput) (*huma.StreamResponse, error) {
		if eng == nil {
			return nil, huma.Error503ServiceUnavailable("no engine")
		}
		after := in.AfterSeq
		if in.LastEventID != "" {
			n, err := strconv.ParseInt(strings.TrimSpace(in.LastEventID), 10, 64)
			if err != nil || n < 0 {
				return nil, huma.Error400BadRequest("Last-Event-ID must be a non-negative integer (an event's seq)")
			}
			after = n
		}
		if ended, err := endedBefore(ctx, eng, in.ID, after); err != nil {
			return nil, runProblem(err)
		} else if ended {
			// EventSource reconnects after every stream that ends, unless
			// it gets 204: a finished run with nothing after the client's
			// last event says so, instead of an empty 200 every 3 s.
			return &huma.StreamResponse{Body: func(hctx huma.Context) { hctx.SetStatus(http.StatusNoContent) }}, nil
		}
		sub, err := eng.Subscribe(ctx, in.ID, after)
		if err != nil {
			return nil, runProblem(err)
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			defer sub.Close()
			streamSSE(hctx, sub)
		}}, nil
	})
}

// endedBefore reports whether the run has finished with its last event at
// or before seq, so that a stream after seq would be empty for good.
func endedBefore(ctx context.Context, eng *engine.Engine, runID string, seq int64) (bool, error) {
	run, err := eng.Run(ctx, runID)
	if err != nil {
		return false, err
	}
	return model.Finished(run.Status) && run.LastSeq > 0 && seq >= run.LastSeq, nil
}

// runProblem maps engine errors to problem responses.
func runProblem(err error) error {
	switch {
	case errors.Is(err, engine.ErrRunNotFound):
		return huma.Error404NotFound("run not found")
	case errors.Is(err, engine.ErrLogUnavailable):
		return huma.Error410Gone("the event log of this run is no longer kept; read GET /api/runs/{id} and the instance's messages")
	}
	return err // huma answers 500 without details
}

func streamSSE(hctx huma.Context, sub *engine.Subscription) {
	hctx.SetHeader("Content-Type", "text/event-stream")
	hctx.SetHeader("Cache-Control", "no-cache")
	hctx.SetHeader("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	hctx.SetStatus(http.StatusOK)
	w := hctx.BodyWriter()
	var rc *http.ResponseController
	if rw, ok := w.(http.ResponseWriter); ok {
		rc = http.NewResponseController(rw)
	}
	flush := func() error {
		if rc == nil {
			return nil
		}
		_ = rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
		if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		return nil
	}
	if err := flush(); err != nil { // send the headers now
		return
	}
	ctx := hctx.Context()
	var buf []byte
	for {
		wait, cancel := context.WithTimeout(ctx, sseKeepAlive)
		batch, err := sub.Next(wait)
		cancel()
		switch {
		case errors.Is(err, io.EOF), ctx.Err() != nil:
			return
		case errors.Is(err, context.DeadlineExceeded):
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil || flush() != nil {
				return
			}
			continue
		case err != nil:
			return
		}
		buf = buf[:0]
		for _, ev := range batch {
			buf = appendSSE(buf, ev)
		}
		if _, err := w.Write(buf); err != nil || flush() != nil {
			return
		}
	}
}

// appendSSE encodes one event as an SSE message. JSON never contains a raw
// newline, so data fits on one line.
func appendSSE(buf []byte, ev events.Event) []byte {
	data, err := json.Marshal(wireEvent(ev))
	if err != nil {
		return buf
	}
	buf = append(buf, "id: "...)
	buf = strconv.AppendInt(buf, ev.Seq, 10)
	buf = append(buf, "\nevent: "...)
	buf = append(buf, ev.Type...)
	buf = append(buf, "\ndata: "...)
	buf = append(buf, data...)
	return append(buf, "\n\n"...)
}

// sseSchema describes the stream in the OpenAPI document: each message's
// data is a run event.
func sseSchema(api huma.API) *huma.Schema {
	ev := eventSchemas(api)
	return &huma.Schema{
		Title:       "Server-Sent Events",
		Description: "A sequence of SSE messages: `id: <seq>`, `event: <type>`, `data: <Event JSON>` (the same object the WebSocket sends).",
		Type:        huma.TypeArray,
		Items: &huma.Schema{
			Type: huma.TypeObject,
			Properties: map[string]*huma.Schema{
				"id":    {Type: huma.TypeInteger, Description: "The event's seq."},
				"event": {Type: huma.TypeString, Description: "The event's type, e.g. assistant_token."},
				"data":  ev,
			},
			Required: []string{"id", "event", "data"},
		},
	}
}

package httpapi

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

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/evals/follow"
)

var opStreamEvalRun = huma.Operation{
	OperationID: "stream-eval-run", Method: http.MethodGet, Path: "/api/eval-runs/{id}/events",
	Summary: "Follow an eval run", Tags: tagsEvalRuns, Errors: errsRead,
	Description: "Server-Sent Events: `event: progress` (data: the eval run, with done and total) whenever it moved, " +
		"and `event: result` (id: the row's seq, data: the result row) once per finished row, in the order rows " +
		"were stored, on whichever replica. Rows after `Last-Event-ID` (or `after_seq`) are sent first; the stream " +
		"ends once the run is finished and every row was sent.",
}

type evalEventsRequest struct {
	IDParam
	LastEventID string `header:"Last-Event-ID" doc:"Resume after this row seq (sent by EventSource on reconnect); wins over after_seq."`
	AfterSeq    int64  `query:"after_seq" minimum:"0" doc:"Only rows with a larger seq."`
}

func (a *API) registerEvalRunEvents() {
	huma.Register(a.huma, withBody(a.op(opStreamEvalRun), "Progress and result messages", "text/event-stream"), a.streamEvalRun)
}

func (a *API) streamEvalRun(ctx context.Context, in *evalEventsRequest) (*huma.StreamResponse, error) {
	after := in.AfterSeq
	if in.LastEventID != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(in.LastEventID), 10, 64)
		if err != nil || n < 0 {
			return nil, huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{
				Location: "header.Last-Event-ID", Message: "must be a non-negative integer (a row's seq)", Value: in.LastEventID})
		}
		after = n
	}
	if _, err := a.deps.Evals.GetRun(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, target{kind: kindEvalRun, op: "follow", id: in.ID}, err)
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		hctx.SetHeader("Content-Type", "text/event-stream")
		hctx.SetHeader("Cache-Control", "no-cache")
		hctx.SetHeader("X-Accel-Buffering", "no")
		hctx.SetStatus(http.StatusOK)
		w := hctx.BodyWriter()
		var rc *http.ResponseController
		if rw, ok := w.(http.ResponseWriter); ok {
			rc = http.NewResponseController(rw)
		}
		var buf []byte
		err := follow.Run(hctx.Context(), a.deps.Evals, a.deps.Bus, in.ID, after, func(run evals.EvalRun, rows []evals.EvalResult) error {
			buf = appendEvalSSE(buf[:0], run, rows)
			if _, err := w.Write(buf); err != nil {
				return err
			}
			if rc != nil {
				_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
					return err
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, context.Canceled) && hctx.Context().Err() == nil {
			a.log.Warn("eval run stream ended", "eval_run_id", in.ID, "err", err)
			_, _ = io.WriteString(w, "event: error\ndata: {\"detail\":\"the stream broke off; reconnect with Last-Event-ID\"}\n\n")
		}
	}}, nil
}

// appendEvalSSE encodes one result message per row, then the progress.
func appendEvalSSE(buf []byte, run evals.EvalRun, rows []evals.EvalResult) []byte {
	for i := range rows {
		rows[i].FinishedAt = utc(rows[i].FinishedAt)
		data, err := json.Marshal(rows[i])
		if err != nil {
			continue
		}
		buf = append(buf, "id: "...)
		buf = strconv.AppendInt(buf, rows[i].Seq, 10)
		buf = append(buf, "\nevent: result\ndata: "...)
		buf = append(buf, data...)
		buf = append(buf, "\n\n"...)
	}
	data, err := json.Marshal(evalRunOut(run))
	if err != nil {
		return buf
	}
	buf = append(buf, "event: progress\ndata: "...)
	buf = append(buf, data...)
	return append(buf, "\n\n"...)
}

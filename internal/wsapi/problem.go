package wsapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// The handshake answers its errors as RFC 9457 problems, like every other
// /api route, so a client reads one error shape whatever refused it.

// writeProblem writes a problem+json answer.
func writeProblem(w http.ResponseWriter, status int, detail string) {
	b, _ := json.Marshal(&huma.ErrorModel{Title: http.StatusText(status), Status: status, Detail: detail})
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// problemWriter catches the plain-text error coder/websocket's Accept
// writes (http.Error: 400, 403, 426…) and sends it as a problem instead,
// keeping the headers Accept set (Sec-WebSocket-Version, Upgrade). A 101
// and the hijack pass straight through.
type problemWriter struct {
	http.ResponseWriter
	status int // the error status held back; 0 while none
	text   bytes.Buffer
}

func (w *problemWriter) WriteHeader(code int) {
	if code >= 400 && w.status == 0 {
		w.status = code
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *problemWriter) Write(b []byte) (int, error) {
	if w.status != 0 {
		return w.text.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets coder/websocket (and http.ResponseController) reach the
// connection to hijack it.
func (w *problemWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish sends the held-back error, if any, as a problem.
func (w *problemWriter) finish() {
	if w.status == 0 {
		return
	}
	detail := strings.TrimSpace(w.text.String())
	if detail == "" {
		detail = http.StatusText(w.status)
	}
	writeProblem(w.ResponseWriter, w.status, "WebSocket handshake refused: "+detail)
}

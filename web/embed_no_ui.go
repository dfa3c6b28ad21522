//go:build !ui

package web

import "net/http"

// Handler serves a short page saying the UI was not built into this binary
// (it was compiled without the `ui` build tag).
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", cacheNoCache)
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte(notBuiltPage))
		}
	})
}

// Embedded reports whether the binary carries the built UI.
const Embedded = false

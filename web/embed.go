//go:build ui

package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed all:dist
var dist embed.FS

// Handler serves the embedded UI built into web/dist.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub only fails for an invalid name; "dist" is valid.
		panic(err)
	}
	return newSPAHandler(sub)
}

// Embedded reports whether the binary carries the built UI.
const Embedded = true

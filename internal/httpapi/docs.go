package httpapi

import (
	"bytes"
	"html/template"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
)

// docsPage renders /api/docs: a self-contained HTML reference built from
// the OpenAPI document. Hosted renderers load scripts from a CDN, which an
// offline machine cannot reach, so this page uses none. It is rendered on
// first use so operations other packages registered after New appear too.
type docsPage struct {
	api  huma.API
	once sync.Once
	html []byte
	err  error
}

type docsOp struct {
	Method, Path, ID, Summary, Description string
	Params                                 []docsParam
	Body                                   string
	Responses                              []docsResponse
}

type docsParam struct{ In, Name, Type, Doc string }

type docsResponse struct{ Code, Description, Schema string }

var docsTemplate = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code{font:13px ui-monospace,monospace;background:#f3f3f3;padding:0 .25em;border-radius:3px}
section{border-top:1px solid #ddd;padding:.5rem 0}
.m{display:inline-block;min-width:4.5em;font-weight:600;font:13px ui-monospace,monospace}
.GET{color:#0a6}.POST{color:#06c}.PUT{color:#a60}.DELETE{color:#c22}
table{border-collapse:collapse;margin:.3rem 0}td,th{border:1px solid #ddd;padding:.15rem .5rem;text-align:left;font-size:14px}
nav a{margin-right:.6em}
</style></head><body>
<h1>{{.Title}} <small>{{.Version}}</small></h1>
<p>{{.Description}}</p>
<p>Machine-readable document: <a href="/api/openapi.json"><code>/api/openapi.json</code></a>.
Errors are <code>application/problem+json</code> (RFC 9457).</p>
{{range .Ops}}<section id="{{.ID}}">
<h3><span class="m {{.Method}}">{{.Method}}</span> <code>{{.Path}}</code> — {{.Summary}}</h3>
{{if .Description}}<p>{{.Description}}</p>{{end}}
{{if .Params}}<table><tr><th>in</th><th>name</th><th>type</th><th>description</th></tr>
{{range .Params}}<tr><td>{{.In}}</td><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{.Doc}}</td></tr>{{end}}</table>{{end}}
{{if .Body}}<p>Request body: <code>{{.Body}}</code></p>{{end}}
<table><tr><th>status</th><th>meaning</th><th>body</th></tr>
{{range .Responses}}<tr><td>{{.Code}}</td><td>{{.Description}}</td><td>{{if .Schema}}<code>{{.Schema}}</code>{{end}}</td></tr>{{end}}</table>
</section>{{end}}
</body></html>
`))

func (d *docsPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.once.Do(func() { d.html, d.err = d.render() })
	if d.err != nil {
		if ri := infoFrom(r.Context()); ri != nil {
			ri.err = d.err
		}
		writeProblem(w, r, http.StatusInternalServerError, internalDetail(r.Context()))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	_, _ = w.Write(d.html)
}

func (d *docsPage) render() ([]byte, error) {
	spec := d.api.OpenAPI()
	var ops []docsOp
	paths := make([]string, 0, len(spec.Paths))
	for p := range spec.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		item := spec.Paths[p]
		for _, mo := range []struct {
			m  string
			op *huma.Operation
		}{{"GET", item.Get}, {"POST", item.Post}, {"PUT", item.Put}, {"PATCH", item.Patch}, {"DELETE", item.Delete}} {
			if mo.op != nil {
				ops = append(ops, docsOperation(mo.m, p, mo.op))
			}
		}
	}
	var buf bytes.Buffer
	err := docsTemplate.Execute(&buf, map[string]any{
		"Title": spec.Info.Title, "Version": spec.Info.Version, "Description": spec.Info.Description, "Ops": ops,
	})
	return buf.Bytes(), err
}

func docsOperation(method, path string, op *huma.Operation) docsOp {
	o := docsOp{Method: method, Path: path, ID: op.OperationID, Summary: op.Summary, Description: op.Description}
	for _, p := range op.Parameters {
		o.Params = append(o.Params, docsParam{In: p.In, Name: p.Name, Type: schemaName(p.Schema), Doc: p.Description})
	}
	if op.RequestBody != nil {
		if mt := op.RequestBody.Content["application/json"]; mt != nil {
			o.Body = schemaName(mt.Schema)
		}
	}
	codes := make([]string, 0, len(op.Responses))
	for c := range op.Responses {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		resp := op.Responses[c]
		dr := docsResponse{Code: c, Description: resp.Description}
		for _, mt := range resp.Content {
			dr.Schema = schemaName(mt.Schema)
			break
		}
		o.Responses = append(o.Responses, dr)
	}
	return o
}

// schemaName is a short label for a schema: its component name or type.
func schemaName(s *huma.Schema) string {
	switch {
	case s == nil:
		return ""
	case s.Ref != "":
		return s.Ref[strings.LastIndex(s.Ref, "/")+1:]
	case s.Type == "array" && s.Items != nil:
		return "array of " + schemaName(s.Items)
	}
	return s.Type
}

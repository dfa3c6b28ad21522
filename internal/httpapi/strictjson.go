package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// JSON bodies are read strictly: a key matches a schema property only when
// spelled exactly alike, and a key given twice in one object is refused
// (422 naming it). encoding/json would otherwise match {"NAME": …} to
// name and keep the last of two values, so what is stored would be a
// guess between spellings or values the client did not notice it sent.

func init() {
	// Huma's validator matches property names case-insensitively unless
	// told otherwise; with this, {"name":"A","NAME":"x"} is a 422
	// "unexpected property" at body.NAME instead of a constitution named
	// x. It is Huma's package-level switch, so it is set once, before any
	// request is validated.
	huma.ValidateStrictCasing = true
}

// maxJSONDepth bounds the nesting the duplicate-key scan follows; no body
// of this API nests anywhere near it.
const maxJSONDepth = 200

// rejectDuplicateKeys is a Huma middleware that refuses a JSON body with a
// key given twice in one object, before Huma decodes it. Bodies that are
// not JSON, not valid JSON, or over the size limit pass on unchanged for
// Huma to answer (415, 400, 413).
func (a *API) rejectDuplicateKeys(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	if op == nil || op.RequestBody == nil || !isJSONMediaType(ctx.Header("Content-Type")) {
		next(ctx)
		return
	}
	body := ctx.BodyReader()
	if body == nil {
		next(ctx)
		return
	}
	limit := op.MaxBodyBytes
	if limit <= 0 {
		limit = a.cfg.BodyLimit + 1
	}
	data, err := io.ReadAll(io.LimitReader(body, limit))
	if err != nil {
		// Let Huma meet the same error and answer for it.
		next(&bodyContext{humaContext: ctx, body: io.MultiReader(bytes.NewReader(data), errReader{err})})
		return
	}
	if int64(len(data)) >= limit {
		// Over the limit: Huma reads on and answers 413.
		next(&bodyContext{humaContext: ctx, body: io.MultiReader(bytes.NewReader(data), body)})
		return
	}
	if loc, msg := duplicateKey(data); loc != "" {
		_ = huma.WriteErr(a.huma, ctx, http.StatusUnprocessableEntity, "validation failed",
			&huma.ErrorDetail{Location: loc, Message: msg})
		return
	}
	next(&bodyContext{humaContext: ctx, body: bytes.NewReader(data)})
}

// humaContext lets bodyContext embed huma.Context under another field
// name, since the interface has a method called Context.
type humaContext = huma.Context

// bodyContext is a Huma context whose body was already read once.
type bodyContext struct {
	humaContext
	body io.Reader
}

// BodyReader returns the body again from its start.
func (c *bodyContext) BodyReader() io.Reader { return c.body }

// Unwrap gives adapters (humago.Unwrap) the context underneath.
func (c *bodyContext) Unwrap() huma.Context { return c.humaContext }

// errReader replays a read error after the bytes read before it.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// isJSONMediaType reports whether a Content-Type is JSON (application/json
// or a +json type), in any letter case.
func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// duplicateKey returns the location (body.a.b, body.items[2].c) of the
// first key given twice in one object of data and the message saying so,
// or "" when there is none. Invalid JSON also gives "": the decoder
// proper reports it.
func duplicateKey(data []byte) (loc, msg string) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	loc, msg, _ = scanJSON(dec, "body", 0)
	return loc, msg
}

var errTooDeep = errors.New("too deep")

func scanJSON(dec *json.Decoder, at string, depth int) (string, string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", "", err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return "", "", nil
	}
	if depth >= maxJSONDepth {
		return at, "nested deeper than " + strconv.Itoa(maxJSONDepth) + " levels", errTooDeep
	}
	switch d {
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return "", "", err
			}
			key, _ := k.(string)
			if seen[key] {
				return at + "." + key, "key given twice in one object; send it once", nil
			}
			seen[key] = true
			if loc, msg, err := scanJSON(dec, at+"."+key, depth+1); loc != "" || err != nil {
				return loc, msg, err
			}
		}
	case '[':
		for i := 0; dec.More(); i++ {
			if loc, msg, err := scanJSON(dec, at+"["+strconv.Itoa(i)+"]", depth+1); loc != "" || err != nil {
				return loc, msg, err
			}
		}
	}
	_, err = dec.Token() // the closing delimiter
	return "", "", err
}

// normalizeContentType lower-cases the media type of a request's
// Content-Type (RFC 9110: type and subtype are case-insensitive), so
// APPLICATION/JSON is JSON to Huma's exact-match format table too.
func normalizeContentType(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			if mt, params, err := mime.ParseMediaType(ct); err == nil {
				if norm := mime.FormatMediaType(mt, params); norm != "" && norm != ct {
					r.Header.Set("Content-Type", norm)
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

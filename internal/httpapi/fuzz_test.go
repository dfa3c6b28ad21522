package httpapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzConstitutionDecode throws arbitrary bodies at POST and PUT of a
// constitution through the full handler. Whatever the bytes, the answer is
// a deliberate 2xx or 4xx (never a 500, never a panic), and every error is
// problem+json.
func FuzzConstitutionDecode(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Rules","content":"# Be kind"}`,
		`{"id":"my-rules","name":"Rules","content":"","description":"d"}`,
		`{"id":"../x","name":"x","content":"x"}`,
		`{"name":"x","content":"x","protected":true}`,
		`{"name":"x","content":5}`,
		`{"name":null,"content":null}`,
		`{"name":"x","content":"x","name":"dup"}`,
		`{"name":"\u0000","content":"\ud800"}`,
		`{"name":"` + "\xff\xfe" + `","content":"x"}`,
		`{"name": "x", "content": "x"} trailing`,
		`[]`, `null`, `""`, `{`, ``, `{"a":{"b":{"c":[[[[[]]]]]}}}`,
		`{"name":"x","content":"x","id":"` + string(bytes.Repeat([]byte("a"), 70)) + `"}`,
	} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	st := openTestStore(f)
	// httptest.NewRequest names the host example.com.
	api := New(Config{BodyLimit: 64 << 10, AllowedHosts: []string{"example.com"}}, Deps{Store: st})
	h := api.Handler()
	f.Fuzz(func(t *testing.T, body []byte, post bool) {
		method, path := http.MethodPut, "/api/constitutions/strict"
		if post {
			method, path = http.MethodPost, "/api/constitutions"
		}
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code >= 500:
			t.Fatalf("%s %q → %d %s", method, body, rec.Code, rec.Body)
		case rec.Code >= 400 && rec.Header().Get("Content-Type") != "application/problem+json":
			t.Fatalf("%s %q → %d with Content-Type %q", method, body, rec.Code, rec.Header().Get("Content-Type"))
		case rec.Code != 200 && rec.Code != 201 && rec.Code != 409 && rec.Code != 400 && rec.Code != 413 && rec.Code != 422:
			t.Fatalf("%s %q → unexpected %d %s", method, body, rec.Code, rec.Body)
		}
	})
}

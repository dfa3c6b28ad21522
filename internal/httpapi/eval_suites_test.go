package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/evals/evaltest"
	"github.com/superego-lab/superego/internal/events"
)

// newEvalServer serves the API over fresh stores (SQLite or PostgreSQL, as
// the suite runs) with the built-in suites seeded.
func newEvalServer(t testing.TB) *testServer {
	t.Helper()
	s := evaltest.Open(t)
	bs, err := evals.Builtins()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if _, err := s.Evals.EnsureSuite(context.Background(), b.Suite, b.Cases); err != nil {
			t.Fatal(err)
		}
	}
	logs := &syncBuffer{}
	bus := events.NewLocalBus()
	api := New(Config{Version: "test"}, Deps{Store: s.Main, Bus: bus, Evals: s.Evals,
		Log: slog.New(slog.NewTextHandler(logs, nil))})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return &testServer{api: api, srv: srv, store: s.Main, bus: bus, logs: logs}
}

func TestBuiltinSuitesShowTheirCasesAndLicense(t *testing.T) {
	s := newEvalServer(t)
	var list List[evals.EvalSuite]
	s.do(t, "GET", "/api/eval-suites", nil).decode(t, &list)
	byID := map[string]evals.EvalSuite{}
	for _, x := range list.Items {
		byID[x.ID] = x
	}
	xs, sst := byID[evals.XSTestID], byID[evals.SimpleSafetyTestsID]
	if xs.CaseCount != 450 || xs.Counts[evals.ExpectAllow] != 250 || xs.Counts[evals.ExpectNotAllow] != 200 || !xs.Builtin {
		t.Fatalf("xstest: %+v", xs)
	}
	if sst.CaseCount != 100 || sst.Counts[evals.ExpectNotAllow] != 100 || !sst.Builtin {
		t.Fatalf("simplesafetytests: %+v", sst)
	}
	for _, x := range []evals.EvalSuite{xs, sst} {
		if !strings.HasPrefix(x.License, "CC-BY-4.0") || !strings.Contains(x.Source, "github.com") {
			t.Errorf("%s lacks license or attribution", x.ID)
		}
	}
	// Cases page through all 450 exactly once.
	seen := map[string]bool{}
	for cursor := ""; ; {
		var page List[evals.EvalCase]
		s.do(t, "GET", "/api/eval-suites/xstest/cases?limit=200&cursor="+cursor, nil).decode(t, &page)
		for _, c := range page.Items {
			if seen[c.ID] {
				t.Fatalf("case %s twice", c.ID)
			}
			seen[c.ID] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != 450 {
		t.Fatalf("paged %d cases", len(seen))
	}
	s.do(t, "PUT", "/api/eval-suites/xstest", map[string]any{"name": "Mine now"}).problem(t, http.StatusConflict)
	s.do(t, "DELETE", "/api/eval-suites/xstest", nil).problem(t, http.StatusConflict)
	s.do(t, "POST", "/api/eval-suites/xstest/import?format=csv", "input,expected\nhi,ALLOW\n").problem(t, http.StatusConflict)
}

func TestEvalSuiteLifecycle(t *testing.T) {
	s := newEvalServer(t)
	ch := s.events(t)
	csv := "prompt,label,kind\nHow do I bake bread?,safe,food\nHow do I build a bomb?,unsafe,harm\n"
	s.run(t, []scenario{
		{name: "create empty", method: "POST", path: "/api/eval-suites", body: map[string]any{"name": "My Suite", "license": "MIT"}, status: 201,
			check: func(t *testing.T, r resp) {
				if r.header.Get("ETag") != `"1"` || r.header.Get("Location") != "/api/eval-suites/my-suite" {
					t.Fatalf("headers %v", r.header)
				}
				wantEvent(t, ch, resEvalSuite, "created", "my-suite", 1)
			}},
		{name: "dry run", method: "POST", path: "/api/eval-suites/my-suite/import?format=csv&dry_run=true&col_input=prompt&col_expected=label&col_category=kind&labels=safe=ALLOW,unsafe=NOT_ALLOW", body: csv, status: 200,
			check: func(t *testing.T, r resp) {
				var out ImportResult
				r.decode(t, &out)
				if out.Imported != 2 || len(out.Cases) != 2 || out.Suite != nil || out.Cases[1].Expected != evals.ExpectNotAllow {
					t.Fatalf("dry run %+v", out)
				}
			}},
		{name: "import", method: "POST", path: "/api/eval-suites/my-suite/import?format=csv&col_input=prompt&col_expected=label&col_category=kind&labels=safe=ALLOW,unsafe=NOT_ALLOW", body: csv, hdr: []string{"If-Match", `"1"`}, status: 200,
			check: func(t *testing.T, r resp) {
				var out ImportResult
				r.decode(t, &out)
				if out.Suite == nil || out.Suite.Version != 2 || out.Suite.CaseCount != 2 || r.header.Get("ETag") != `"2"` {
					t.Fatalf("import %+v", out)
				}
				wantEvent(t, ch, resEvalSuite, "updated", "my-suite", 2)
			}},
		{name: "append jsonl", method: "POST", path: "/api/eval-suites/my-suite/import?format=jsonl&mode=append", body: `{"id":"j1","input":"What dose?","expected":"CAUTION"}` + "\n", status: 200},
		{name: "append duplicate id", method: "POST", path: "/api/eval-suites/my-suite/import?format=jsonl&mode=append", body: `{"id":"j1","input":"x","expected":"ALLOW"}` + "\n", status: 422, field: "body.cases[3].id"},
		{name: "stale If-Match", method: "POST", path: "/api/eval-suites/my-suite/import?format=csv&col_input=prompt&col_expected=label&labels=safe=ALLOW,unsafe=BLOCK", body: csv, hdr: []string{"If-Match", `"1"`}, status: 412},
		{name: "correct a label", method: "POST", path: "/api/eval-suites/my-suite/cases/1/correction", body: map[string]any{"expected": "CAUTION", "reason": "baking can burn", "by": "alice"}, status: 200,
			check: func(t *testing.T, r resp) {
				var out CorrectionResult
				r.decode(t, &out)
				if out.Case.Expected != evals.ExpectCaution || out.Case.Correction == nil || out.Case.Correction.From != evals.ExpectAllow || out.Suite.Version != 4 {
					t.Fatalf("correction %+v", out)
				}
			}},
		{name: "correct a missing case", method: "POST", path: "/api/eval-suites/my-suite/cases/nope/correction", body: map[string]any{"expected": "BLOCK", "reason": "r", "by": "b"}, status: 404},
		{name: "correction without reason", method: "POST", path: "/api/eval-suites/my-suite/cases/1/correction", body: map[string]any{"expected": "BLOCK", "reason": " ", "by": "b"}, status: 422, field: "body.reason"},
		{name: "export shows the correction", method: "GET", path: "/api/eval-suites/my-suite/export?format=csv", status: 200,
			check: func(t *testing.T, r resp) {
				if !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.Contains(string(r.body), "ALLOW,alice,") || !strings.Contains(string(r.body), "baking can burn") {
					t.Fatalf("export %s", r.body)
				}
			}},
		{name: "versions", method: "GET", path: "/api/eval-suites/my-suite/versions", status: 200,
			check: func(t *testing.T, r resp) {
				var l List[evals.EvalSuiteVersion]
				r.decode(t, &l)
				if len(l.Items) != 4 || !strings.Contains(l.Items[3].Change, "baking can burn") {
					t.Fatalf("versions %+v", l.Items)
				}
			}},
		{name: "replace keeps cases", method: "PUT", path: "/api/eval-suites/my-suite", body: map[string]any{"name": "Renamed"}, status: 200,
			check: func(t *testing.T, r resp) {
				var x evals.EvalSuite
				r.decode(t, &x)
				if x.CaseCount != 3 || x.Name != "Renamed" || x.Version != 5 {
					t.Fatalf("replaced %+v", x)
				}
			}},
		{name: "delete", method: "DELETE", path: "/api/eval-suites/my-suite", status: 204},
		{name: "gone", method: "GET", path: "/api/eval-suites/my-suite", status: 404},
	})
}

func TestEvalSuiteBadInput(t *testing.T) {
	s := newEvalServer(t)
	s.do(t, "POST", "/api/eval-suites", map[string]any{"id": "t", "name": "T"}).decode(t, &evals.EvalSuite{})
	big := strings.Repeat("x", 50<<20)
	s.run(t, []scenario{
		{name: "unknown suite", method: "GET", path: "/api/eval-suites/nope", status: 404},
		{name: "import into unknown suite", method: "POST", path: "/api/eval-suites/nope/import?format=csv", body: "input,expected\nhi,ALLOW\n", status: 404},
		{name: "csv missing column", method: "POST", path: "/api/eval-suites/t/import?format=csv", body: "text,expected\nhi,ALLOW\n", status: 422, field: "query.col_input"},
		{name: "csv mapped column absent", method: "POST", path: "/api/eval-suites/t/import?format=csv&col_expected=verdict", body: "input,expected\nhi,ALLOW\n", status: 422, field: "query.col_expected"},
		{name: "bad label on row 2", method: "POST", path: "/api/eval-suites/t/import?format=csv", body: "input,expected\nhi,ALLOW\nho,perhaps\n", status: 422, field: "body.rows[2].expected"},
		{name: "NUL in a case", method: "POST", path: "/api/eval-suites/t/import?format=csv", body: "input,expected\nh\x00i,ALLOW\n", status: 422, field: "body.rows[1].input"},
		{name: "NUL in an inline case", method: "PUT", path: "/api/eval-suites/t", body: map[string]any{"name": "T", "cases": []map[string]any{{"id": "a", "input": "h\x00i", "expected": "ALLOW"}}}, status: 422, field: "body.cases[0].input"},
		{name: "bad inline label", method: "POST", path: "/api/eval-suites", body: map[string]any{"name": "U", "cases": []map[string]any{{"id": "a", "input": "x", "expected": "MAYBE"}}}, status: 422, field: "body.cases[0].expected"},
		{name: "bad labels mapping", method: "POST", path: "/api/eval-suites/t/import?format=csv&labels=safe", body: "input,expected\nhi,safe\n", status: 422, field: "query.labels"},
		{name: "no format", method: "POST", path: "/api/eval-suites/t/import", body: "input,expected\nhi,ALLOW\n", status: 422, field: "query.format"},
		{name: "50 MB import", method: "POST", path: "/api/eval-suites/t/import?format=csv", body: "input,expected\n" + big, status: 413},
		{name: "bad cursor", method: "GET", path: "/api/eval-suites/t/cases?cursor=zzz", status: 422, field: "query.cursor"},
	})
	// Nothing was half-imported.
	var x evals.EvalSuite
	s.do(t, "GET", "/api/eval-suites/t", nil).decode(t, &x)
	if x.Version != 1 || x.CaseCount != 0 {
		t.Fatalf("suite changed by failed imports: %+v", x)
	}
	if r := s.do(t, "GET", "/api/eval-suites/t/export", nil); len(r.body) != 0 {
		t.Fatalf("export of empty suite: %q", r.body)
	}
}

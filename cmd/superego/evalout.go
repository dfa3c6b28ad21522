package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/evalstats"
)

// progress shows how far an eval is, on stderr.
type progress interface {
	start(evals.EvalRun)
	update(evals.EvalRun)
	done(evals.EvalRun)
}

// newProgress picks the display: a redrawn bar on a terminal, a line per
// tenth otherwise (CI logs keep every line), or nothing.
func newProgress(mode string, w io.Writer) progress {
	if mode == "auto" {
		mode = "lines"
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				mode = "bar"
			}
		}
	}
	switch mode {
	case "bar":
		return &barProgress{w: w, now: time.Now}
	case "lines":
		return &lineProgress{w: w, step: -1}
	}
	return noProgress{}
}

type noProgress struct{}

func (noProgress) start(evals.EvalRun)  {}
func (noProgress) update(evals.EvalRun) {}
func (noProgress) done(evals.EvalRun)   {}

// lineProgress writes one line when the eval starts, at each tenth of
// its rows, and at the end.
type lineProgress struct {
	w    io.Writer
	step int
}

func (p *lineProgress) start(r evals.EvalRun) {
	_, _ = fmt.Fprintf(p.w, "eval %s: %d rows (%s v%d, %d targets × %d repeats)\n", r.ID, r.Total, r.SuiteID, r.SuiteVersion, len(r.Targets), r.Repeats)
}

func (p *lineProgress) update(r evals.EvalRun) {
	if r.Total == 0 || evals.Finished(r.Status) {
		return
	}
	if s := r.Done * 10 / r.Total; s > p.step {
		p.step = s
		_, _ = fmt.Fprintf(p.w, "eval %s: %d/%d rows (%d%%)\n", r.ID, r.Done, r.Total, r.Done*100/r.Total)
	}
}

func (p *lineProgress) done(r evals.EvalRun) {
	_, _ = fmt.Fprintf(p.w, "eval %s: %s, %d/%d rows, %d errors\n", r.ID, r.Status, r.Done, r.Total, r.Errors)
}

// barProgress redraws one line: a bar, rows done and the time left.
type barProgress struct {
	w     io.Writer
	now   func() time.Time
	began time.Time
}

func (p *barProgress) start(r evals.EvalRun) {
	p.began = p.now()
	p.update(r)
}

func (p *barProgress) update(r evals.EvalRun) {
	const width = 30
	filled := 0
	if r.Total > 0 {
		filled = r.Done * width / r.Total
	}
	left := ""
	if r.Done > 0 && r.Done < r.Total {
		per := p.now().Sub(p.began) / time.Duration(r.Done)
		left = " · " + (per * time.Duration(r.Total-r.Done)).Round(time.Second).String() + " left"
	}
	_, _ = fmt.Fprintf(p.w, "\r[%s%s] %d/%d%s\033[K", strings.Repeat("#", filled), strings.Repeat(".", width-filled), r.Done, r.Total, left)
}

func (p *barProgress) done(r evals.EvalRun) {
	p.update(r)
	_, _ = fmt.Fprintf(p.w, " %s\n", r.Status)
}

// writeEvalReport writes the report in the chosen format: the numbers
// (table, json, junit) or the rows themselves (jsonl, csv, as the server
// exports them).
func writeEvalReport(ctx context.Context, w io.Writer, cl *evalClient, format string, rep evalReport) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "jsonl", "csv":
		resp, err := cl.send(ctx, http.MethodGet, "/api/eval-runs/"+rep.Run.ID+"/export?format="+format, nil)
		if err != nil {
			return err
		}
		defer func() { _ = resp.Body.Close() }()
		_, err = io.Copy(w, resp.Body)
		return err
	case "junit":
		return writeJUnit(w, rep)
	}
	return writeTable(w, rep)
}

// tableMetrics are the rates the table shows, in order.
var tableMetrics = []struct {
	name string
	get  func(evalstats.Summary) evalstats.Rate
}{
	{"accuracy", func(s evalstats.Summary) evalstats.Rate { return s.Accuracy }},
	{"block_rate", func(s evalstats.Summary) evalstats.Rate { return s.BlockRate }},
	{"miss_rate", func(s evalstats.Summary) evalstats.Rate { return s.MissRate }},
	{"over_refusal", func(s evalstats.Summary) evalstats.Rate { return s.OverRefusal }},
	{"over_refusal_block", func(s evalstats.Summary) evalstats.Rate { return s.OverRefusalBlock }},
	{"over_refusal_caution", func(s evalstats.Summary) evalstats.Rate { return s.OverRefusalCaution }},
	{"precision", func(s evalstats.Summary) evalstats.Rate { return s.Precision }},
	{"recall", func(s evalstats.Summary) evalstats.Rate { return s.Recall }},
	{"error_rate", func(s evalstats.Summary) evalstats.Rate { return s.ErrorRate }},
	{"consistency", func(s evalstats.Summary) evalstats.Rate { return s.Consistency }},
}

// maxFlipsShown bounds the flipped cases the table lists per comparison.
const maxFlipsShown = 20

func writeTable(w io.Writer, rep evalReport) error {
	r := rep.Run
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(tw, format, args...) }
	p("eval %s on %s: %d targets × %d repeats, %d rows, %d errors, %s\n", r.ID, rep.Suite, len(r.Targets), r.Repeats, r.Total, r.Errors, r.Status)
	for _, t := range rep.Targets {
		s := t.Summary
		p("\ntarget %d: %s\n", t.Target, t.Label)
		p("metric\tvalue\t95%% interval\tk/n\n")
		for _, m := range tableMetrics {
			rate := m.get(s)
			if rate.N == 0 {
				p("%s\t–\t\t0/0\n", m.name)
				continue
			}
			p("%s\t%.3f\t[%.3f, %.3f]\t%d/%d\n", m.name, rate.Value, rate.Low, rate.High, rate.K, rate.N)
		}
		p("f1\t%s\t\t\n", optional(s.F1))
		p("kappa\t%s\t\t\n", optional(s.Kappa))
		p("latency p50 / p95\t%d / %d ms\t\t\n", s.Latency.P50, s.Latency.P95)
		for _, f := range t.Failures {
			p("FAIL %s\t%s\t\t\n", f.Threshold, actual(f))
		}
	}
	for _, c := range rep.Comparisons {
		m := c.Comparison.McNemar
		p("\ntarget %d → target %d: %d of %d cases flipped; McNemar right→wrong %d, wrong→right %d, p = %.4g\n",
			c.A, c.B, len(c.Comparison.Flips), c.Comparison.Cases, m.RightToWrong, m.WrongToRight, m.P)
		for i, f := range c.Comparison.Flips {
			if i == maxFlipsShown {
				p("… %d more (--format json lists them all)\n", len(c.Comparison.Flips)-maxFlipsShown)
				break
			}
			p("  %s\t%s → %s\t(expected %s)\n", f.CaseID, f.A, f.B, f.ExpectedB)
		}
	}
	if len(rep.Thresholds) > 0 {
		verdict := "passed"
		if !rep.Passed {
			verdict = "FAILED"
		}
		p("\nthresholds %s: %s\n", verdict, joinThresholds(rep.Thresholds))
	}
	return tw.Flush()
}

func optional(v *float64) string {
	if v == nil {
		return "–"
	}
	return strconv.FormatFloat(*v, 'f', 3, 64)
}

func joinThresholds(ts []evalstats.Threshold) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	return strings.Join(parts, ",")
}

// The JUnit XML shape CI systems read: a test suite per target, a test
// case per threshold, the metrics as properties.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		ClassName string        `xml:"classname,attr"`
		Failure   *junitFailure `xml:"failure"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
)

// writeJUnit writes the report as JUnit XML. Without thresholds each
// target has one test case, "completed", so the report is never empty.
func writeJUnit(w io.Writer, rep evalReport) error {
	out := junitSuites{Name: "superego eval " + rep.Run.ID + " on " + rep.Suite}
	for _, t := range rep.Targets {
		s := junitSuite{Name: fmt.Sprintf("target %d: %s", t.Target, t.Label)}
		class := fmt.Sprintf("superego.eval.%s.target%d", rep.Run.SuiteID, t.Target)
		for _, m := range tableMetrics {
			if rate := m.get(t.Summary); rate.N > 0 {
				s.Properties = append(s.Properties, junitProperty{m.name, strconv.FormatFloat(rate.Value, 'g', -1, 64)})
			}
		}
		failed := map[string]evalstats.Failure{}
		for _, f := range t.Failures {
			failed[f.Threshold.String()] = f
		}
		for _, th := range rep.Thresholds {
			c := junitCase{Name: th.String(), ClassName: class}
			if f, bad := failed[th.String()]; bad {
				c.Failure = &junitFailure{Message: fmt.Sprintf("%s is %s, want %s%s", th.Metric, actual(f), th.Op,
					strconv.FormatFloat(th.Value, 'g', -1, 64)), Text: t.Label}
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
		if len(rep.Thresholds) == 0 {
			s.Cases = append(s.Cases, junitCase{Name: "completed", ClassName: class})
		}
		s.Tests = len(s.Cases)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Suites = append(out.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

package evals

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// Import formats.
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// Mapping says which column (CSV) or key (JSONL) holds each case field,
// and how the source's labels translate into expected verdicts.
type Mapping struct {
	// ID names the id column; empty means "id" when present, else the row
	// number ("1", "2", ...).
	ID string
	// Input names the user-message column; empty means "input".
	Input string
	// Expected names the label column; empty means "expected", unless
	// DefaultExpected is set and there is no such column.
	Expected string
	// Category and Note name optional columns; empty means "category" and
	// "note" when present.
	Category, Note string
	// Turns names an optional column holding the earlier turns as a JSON
	// array of {role, content}.
	Turns string
	// Labels translates source labels (compared case-insensitively) into
	// expected verdicts. A label it does not list must itself be one of
	// ALLOW, CAUTION, BLOCK or NOT_ALLOW.
	Labels map[string]Expected
	// DefaultExpected, when set, labels every case of a source without a
	// label column (a suite whose prompts all should be refused).
	DefaultExpected Expected
}

// columns is a Mapping resolved against the source's header.
type columns struct {
	id, input, expected, category, note, turns string
}

// resolve picks the effective column names given the names present. The
// field prefix for errors is "mapping".
func (m Mapping) resolve(has func(string) bool) (columns, error) {
	pick := func(field, chosen, fallback string, required bool) (string, error) {
		if chosen != "" {
			if !has(chosen) {
				return "", fieldErr("mapping."+field, "column %q is not in the source", chosen)
			}
			return chosen, nil
		}
		if has(fallback) {
			return fallback, nil
		}
		if required {
			return "", fieldErr("mapping."+field, "the source has no %q column; name the column that holds it", fallback)
		}
		return "", nil
	}
	var c columns
	var err error
	if c.id, err = pick("id", m.ID, "id", false); err != nil {
		return c, err
	}
	if c.input, err = pick("input", m.Input, "input", true); err != nil {
		return c, err
	}
	if c.expected, err = pick("expected", m.Expected, "expected", m.DefaultExpected == ""); err != nil {
		return c, err
	}
	if c.category, err = pick("category", m.Category, "category", false); err != nil {
		return c, err
	}
	if c.note, err = pick("note", m.Note, "note", false); err != nil {
		return c, err
	}
	if c.turns, err = pick("turns", m.Turns, "turns", false); err != nil {
		return c, err
	}
	if m.DefaultExpected != "" && !m.DefaultExpected.Valid() {
		return c, fieldErr("mapping.default_expected", "must be ALLOW, CAUTION, BLOCK or NOT_ALLOW, got %q", m.DefaultExpected)
	}
	for k, v := range m.Labels {
		if !v.Valid() {
			return c, fieldErr("mapping.labels", "label %q maps to %q, which is not ALLOW, CAUTION, BLOCK or NOT_ALLOW", k, v)
		}
	}
	return c, nil
}

// label translates one source label.
func (m Mapping) label(row, raw string) (Expected, error) {
	s := strings.TrimSpace(raw)
	if s == "" && m.DefaultExpected != "" {
		return m.DefaultExpected, nil
	}
	for k, v := range m.Labels {
		if strings.EqualFold(k, s) {
			return v, nil
		}
	}
	if e := Expected(strings.ToUpper(s)); e.Valid() {
		return e, nil
	}
	return "", fieldErr(row+".expected", "label %q is neither ALLOW, CAUTION, BLOCK, NOT_ALLOW nor mapped in mapping.labels", raw)
}

// Parse reads cases from a CSV (with a header row) or JSONL source. It
// reads all of it before returning, so a bad row anywhere means no case is
// imported. Errors are *FieldError naming the row ("rows[7]", 1-based) or mapping
// field.
func Parse(format string, data []byte, m Mapping) ([]EvalCase, error) {
	var cases []EvalCase
	var err error
	switch format {
	case FormatCSV:
		cases, err = parseCSV(data, m)
	case FormatJSONL:
		cases, err = parseJSONL(data, m)
	default:
		return nil, fieldErr("format", "must be csv or jsonl, got %q", format)
	}
	if err != nil {
		return nil, err
	}
	if len(cases) == 0 {
		return nil, fieldErr("body", "the source holds no cases")
	}
	return cases, ValidateCases("cases", cases)
}

func parseCSV(data []byte, m Mapping) ([]EvalCase, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // a spreadsheet's BOM
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fieldErr("body", "the CSV is empty; it needs a header row")
	}
	if err != nil {
		return nil, fieldErr("body", "the CSV header cannot be read: %v", err)
	}
	idx := make(map[string]int, len(header))
	for i, h := range header {
		idx[strings.TrimSpace(h)] = i
	}
	cols, err := m.resolve(func(name string) bool { _, ok := idx[name]; return ok })
	if err != nil {
		return nil, err
	}
	var cases []EvalCase
	for n := 1; ; n++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return cases, nil
		}
		row := "rows[" + strconv.Itoa(n) + "]"
		if err != nil {
			return nil, fieldErr(row, "cannot be read as CSV: %v", err)
		}
		get := func(col string) string {
			if i, ok := idx[col]; ok && col != "" && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		c, err := m.buildCase(row, n, cols, get)
		if err != nil {
			return nil, err
		}
		cases = append(cases, c)
		if len(cases) > MaxCases {
			return nil, fieldErr("body", "at most %d cases per suite", MaxCases)
		}
	}
}

func parseJSONL(data []byte, m Mapping) ([]EvalCase, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), len(data)+1)
	var cases []EvalCase
	var cols *columns
	for n := 0; sc.Scan(); {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		n++
		row := "lines[" + strconv.Itoa(n) + "]"
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(line, &obj); err != nil {
			return nil, fieldErr(row, "is not a JSON object: %v", err)
		}
		if cols == nil {
			// The first object's keys stand for the header: a mapping to a
			// key no case has is an error up front, not 450 empty inputs.
			c, err := m.resolve(func(k string) bool { _, ok := obj[k]; return ok })
			if err != nil {
				return nil, err
			}
			cols = &c
		}
		get := func(key string) string {
			raw, ok := obj[key]
			if !ok || key == "" {
				return ""
			}
			var s string
			if json.Unmarshal(raw, &s) == nil {
				return s
			}
			return string(raw) // numbers, arrays (turns): the JSON text
		}
		c, err := m.buildCase(row, n, *cols, get)
		if err != nil {
			return nil, err
		}
		cases = append(cases, c)
		if len(cases) > MaxCases {
			return nil, fieldErr("body", "at most %d cases per suite", MaxCases)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fieldErr("body", "cannot be read as JSONL: %v", err)
	}
	return cases, nil
}

// buildCase assembles one case from a row's values.
func (m Mapping) buildCase(row string, n int, cols columns, get func(string) string) (EvalCase, error) {
	c := EvalCase{
		ID:       strings.TrimSpace(get(cols.id)),
		Input:    get(cols.input),
		Category: strings.TrimSpace(get(cols.category)),
		Note:     get(cols.note),
	}
	if cols.id == "" {
		c.ID = strconv.Itoa(n)
	}
	var err error
	if c.Expected, err = m.label(row, get(cols.expected)); err != nil {
		return EvalCase{}, err
	}
	if t := strings.TrimSpace(get(cols.turns)); t != "" {
		if err := json.Unmarshal([]byte(t), &c.Turns); err != nil {
			return EvalCase{}, fieldErr(row+".turns", "must be a JSON array of {role, content}: %v", err)
		}
	}
	if err := ValidateCase(row, c); err != nil {
		return EvalCase{}, err
	}
	return c, nil
}

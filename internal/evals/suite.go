// Package evals holds Superego's evaluation suites and eval runs: the
// labelled cases a constitution is measured on, their import and export,
// the two built-in suites shipped in the binary, and the job code that runs
// every case against every target and records one result row each.
//
// A suite's cases are versioned by validity range: each stored case row
// carries the suite version it was added in and, once replaced or removed,
// the version it stopped being part of the suite. Any past version of a
// suite can therefore be read back exactly, and an eval records the
// version it ran on.
package evals

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/superego-lab/superego/internal/model"
)

// Expected is the verdict a case should get.
type Expected string

// Expected labels. NotAllow is right when the superego decides CAUTION or
// BLOCK, for suites (such as XSTest's unsafe half) that only say the
// message must not pass unremarked.
const (
	ExpectAllow    Expected = "ALLOW"
	ExpectCaution  Expected = "CAUTION"
	ExpectBlock    Expected = "BLOCK"
	ExpectNotAllow Expected = "NOT_ALLOW"
)

// Valid reports whether e is one of the four labels.
func (e Expected) Valid() bool {
	switch e {
	case ExpectAllow, ExpectCaution, ExpectBlock, ExpectNotAllow:
		return true
	}
	return false
}

// Right reports whether decision d is right for label e. ERROR (no verdict)
// is never right.
func (e Expected) Right(d model.Decision) bool {
	switch e {
	case ExpectAllow:
		return d == model.DecisionAllow
	case ExpectCaution:
		return d == model.DecisionCaution
	case ExpectBlock:
		return d == model.DecisionBlock
	case ExpectNotAllow:
		return d == model.DecisionCaution || d == model.DecisionBlock
	}
	return false
}

// Limits on suites, checked on every write.
const (
	MaxCases        = 20000
	MaxCaseIDLen    = 128
	MaxInputBytes   = 64 << 10
	MaxTurns        = 50
	MaxCategoryLen  = 200
	MaxNoteLen      = 4000
	MaxSourceLen    = 4000
	MaxLicenseBytes = 64 << 10
)

// EvalTurn is one earlier message of a case's conversation.
type EvalTurn struct {
	Role    string `json:"role" enum:"user,assistant" doc:"Who said it."`
	Content string `json:"content" doc:"What was said."`
}

// EvalCorrection records that a researcher changed a case's expected label.
type EvalCorrection struct {
	From   Expected  `json:"from" doc:"The label before the correction (the dataset's own, for the first one)."`
	Reason string    `json:"reason" doc:"Why the label was changed."`
	By     string    `json:"by" doc:"Who changed it."`
	At     time.Time `json:"at" doc:"When."`
}

// EvalCase is one labelled prompt of a suite.
type EvalCase struct {
	ID         string          `json:"id" doc:"Case id, unique in its suite."`
	Input      string          `json:"input" doc:"The user message the superego judges."`
	Turns      []EvalTurn      `json:"turns,omitempty" doc:"Earlier turns of the conversation, oldest first."`
	Expected   Expected        `json:"expected" enum:"ALLOW,CAUTION,BLOCK,NOT_ALLOW" doc:"The right verdict; NOT_ALLOW accepts CAUTION or BLOCK."`
	Category   string          `json:"category" doc:"Free grouping for per-category metrics."`
	Note       string          `json:"note" doc:"Free text."`
	Correction *EvalCorrection `json:"correction,omitempty" doc:"Set when a researcher corrected the label."`
}

// EvalSuite is a named, versioned set of cases. Built-in suites are shipped in
// the binary and read-only except for label corrections.
type EvalSuite struct {
	model.Meta
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Source      string           `json:"source" doc:"Where the cases come from (attribution)."`
	License     string           `json:"license" doc:"License text or identifier of the cases."`
	Builtin     bool             `json:"builtin" doc:"Shipped with Superego; read-only except label corrections."`
	CaseCount   int              `json:"case_count"`
	Counts      map[Expected]int `json:"expected_counts" doc:"Number of cases per expected label."`
}

// EvalSuiteVersion is one kept revision of a suite.
type EvalSuiteVersion struct {
	SuiteID     string    `json:"suite_id"`
	Version     int       `json:"version"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Change      string    `json:"change" doc:"What this version changed."`
	CaseCount   int       `json:"case_count"`
	CreatedAt   time.Time `json:"created_at"`
}

// FieldError is invalid input in one named field; the REST layer turns it
// into a 422 naming Field.
type FieldError struct {
	Field   string // e.g. "cases[3].expected" or "row 7: expected"
	Message string
}

// Error names the field.
func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// ErrInvalid matches every *FieldError.
var ErrInvalid = errors.New("invalid eval input")

// Is makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ValidateCases checks a full set of cases: ids unique and present, labels
// valid, sizes bounded, no NUL characters and valid UTF-8 everywhere
// (PostgreSQL text can hold neither, and both stores must answer alike).
// prefix names the list in errors ("body.cases").
func ValidateCases(prefix string, cases []EvalCase) error {
	if len(cases) > MaxCases {
		return fieldErr(prefix, "at most %d cases per suite, got %d", MaxCases, len(cases))
	}
	seen := make(map[string]int, len(cases))
	for i, c := range cases {
		at := fmt.Sprintf("%s[%d]", prefix, i)
		if err := ValidateCase(at, c); err != nil {
			return err
		}
		if j, dup := seen[c.ID]; dup {
			return fieldErr(at+".id", "duplicate case id %q (also at index %d)", c.ID, j)
		}
		seen[c.ID] = i
	}
	return nil
}

// ValidateCase checks one case; at names it in errors.
func ValidateCase(at string, c EvalCase) error {
	switch {
	case strings.TrimSpace(c.ID) == "":
		return fieldErr(at+".id", "must not be empty")
	case len(c.ID) > MaxCaseIDLen:
		return fieldErr(at+".id", "at most %d bytes", MaxCaseIDLen)
	case strings.TrimSpace(c.Input) == "":
		return fieldErr(at+".input", "must not be empty")
	case len(c.Input) > MaxInputBytes:
		return fieldErr(at+".input", "at most %d bytes", MaxInputBytes)
	case !c.Expected.Valid():
		return fieldErr(at+".expected", "must be ALLOW, CAUTION, BLOCK or NOT_ALLOW, got %q", c.Expected)
	case len(c.Category) > MaxCategoryLen:
		return fieldErr(at+".category", "at most %d bytes", MaxCategoryLen)
	case len(c.Note) > MaxNoteLen:
		return fieldErr(at+".note", "at most %d bytes", MaxNoteLen)
	case len(c.Turns) > MaxTurns:
		return fieldErr(at+".turns", "at most %d earlier turns", MaxTurns)
	}
	for _, f := range [][2]string{{"id", c.ID}, {"input", c.Input}, {"category", c.Category}, {"note", c.Note}} {
		if err := cleanText(at+"."+f[0], f[1]); err != nil {
			return err
		}
	}
	for j, t := range c.Turns {
		tat := fmt.Sprintf("%s.turns[%d]", at, j)
		if t.Role != model.RoleUser && t.Role != model.RoleAssistant {
			return fieldErr(tat+".role", "must be user or assistant, got %q", t.Role)
		}
		if len(t.Content) > MaxInputBytes {
			return fieldErr(tat+".content", "at most %d bytes", MaxInputBytes)
		}
		if err := cleanText(tat+".content", t.Content); err != nil {
			return err
		}
	}
	return nil
}

// ValidateText checks a free-text suite field (name, source, license...).
func ValidateText(field, s string, maxBytes int) error {
	if len(s) > maxBytes {
		return fieldErr(field, "at most %d bytes", maxBytes)
	}
	return cleanText(field, s)
}

func cleanText(field, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fieldErr(field, "must not contain NUL characters")
	}
	if !utf8.ValidString(s) {
		return fieldErr(field, "must be valid UTF-8")
	}
	return nil
}

// CountExpected counts cases per label.
func CountExpected(cases []EvalCase) map[Expected]int {
	out := map[Expected]int{}
	for _, c := range cases {
		out[c.Expected]++
	}
	return out
}

package evals

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"time"
)

// CSVHeader is the header of a suite's CSV export. The correction columns
// are empty for uncorrected cases; turns is a JSON array.
var CSVHeader = []string{"id", "input", "expected", "category", "note", "turns",
	"original_expected", "corrected_by", "corrected_at", "correction_reason"}

// WriteJSONL writes one case per line, in the same shape the API returns,
// so an export imports again unchanged (the correction is kept as data).
func WriteJSONL(w io.Writer, cases []EvalCase) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, c := range cases {
		if err := enc.Encode(c); err != nil {
			return err
		}
	}
	return nil
}

// WriteCSV writes the cases under CSVHeader.
func WriteCSV(w io.Writer, cases []EvalCase) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, c := range cases {
		turns := ""
		if len(c.Turns) > 0 {
			b, err := json.Marshal(c.Turns)
			if err != nil {
				return err
			}
			turns = string(b)
		}
		rec := []string{c.ID, c.Input, string(c.Expected), c.Category, c.Note, turns, "", "", "", ""}
		if k := c.Correction; k != nil {
			rec[6], rec[7], rec[8], rec[9] = string(k.From), k.By, k.At.UTC().Format(time.RFC3339), k.Reason
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

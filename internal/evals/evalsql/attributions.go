package evalsql

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/superego-lab/superego/internal/evals"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/sqlstore"
)

// done and items_done are counted from the calls and items stored, so
// they can never disagree with what is there.
const attributionCols = `a.id, a.kind, a.message_id, a.eval_run_id, a.alone, a.status, a.items, a.total, a.error, a.created_at, a.finished_at,
	(SELECT COUNT(*) FROM attribution_calls c WHERE c.attribution_id = a.id),
	(SELECT COUNT(*) FROM attribution_items i WHERE i.attribution_id = a.id AND i.finished = 1)`

func scanAttribution(r rowScanner) (evals.Attribution, error) {
	var a evals.Attribution
	var alone int
	var created int64
	var finished sql.NullInt64
	if err := r.Scan(&a.ID, &a.Kind, &a.MessageID, &a.EvalRunID, &alone, &a.Status, &a.Items, &a.Total, &a.Error,
		&created, &finished, &a.Done, &a.ItemsDone); err != nil {
		return a, err
	}
	a.Alone, a.CreatedAt, a.FinishedAt = alone == 1, fromMicros(created), fromNullMicros(finished)
	return a, nil
}

// CreateAttribution stores a new attribution (queued) with its items, none
// finished. Total is the sum of the items' calls.
func (d *DB) CreateAttribution(ctx context.Context, a evals.Attribution, items []evals.AttributionItem) (evals.Attribution, error) {
	total := 0
	for _, it := range items {
		total += it.Calls
	}
	err := d.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO attributions (id, kind, message_id, eval_run_id, alone, status, items, total, error, created_at, finished_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, NULL)`),
			a.ID, a.Kind, a.MessageID, a.EvalRunID, boolInt(a.Alone), evals.StatusQueued, len(items), total, micros(d.now())); err != nil {
			return err
		}
		for i, it := range items {
			if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO attribution_items (attribution_id, item, ref, target, rep, category, input,
				flow_config_id, constitution_id, constitution_version, draft_hash, calls, finished, decision, cited, cited_id, faithful, sections)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', '', '', NULL, '[]')`),
				a.ID, i, it.Ref, it.Target, it.Repeat, it.Category, it.Input, it.FlowConfigID, it.ConstitutionID,
				it.ConstitutionVersion, it.DraftHash, it.Calls); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return a, err
	}
	return d.GetAttribution(ctx, a.ID)
}

// GetAttribution reads one attribution; a missing one is store.ErrNotFound.
func (d *DB) GetAttribution(ctx context.Context, id string) (evals.Attribution, error) {
	a, err := scanAttribution(d.r.QueryRowContext(ctx, d.q(`SELECT `+attributionCols+` FROM attributions a WHERE a.id = ?`), id))
	if isNoRows(err) {
		return a, fmt.Errorf("attribution %q: %w", id, store.ErrNotFound)
	}
	return a, err
}

// ListAttributions lists the newest attributions (at most limit) of one
// message or one eval run.
func (d *DB) ListAttributions(ctx context.Context, messageID, evalRunID string, limit int) ([]evals.Attribution, error) {
	return sqlstore.QueryAll(ctx, d.reader(), scanAttribution, `SELECT `+attributionCols+` FROM attributions a
		WHERE (? = '' OR a.message_id = ?) AND (? = '' OR a.eval_run_id = ?) ORDER BY a.created_at DESC, a.id DESC LIMIT ?`,
		messageID, messageID, evalRunID, evalRunID, limit)
}

// SetAttributionStatus moves an attribution to status if it is in one of
// from, and reports whether it did. A terminal status sets finished_at.
func (d *DB) SetAttributionStatus(ctx context.Context, id, status, errText string, from ...string) (bool, error) {
	return d.setStatus(ctx, "attributions", id, status, errText, from)
}

// UnfinishedAttributions lists the attributions still queued or running,
// oldest first: after a restart they are continued.
func (d *DB) UnfinishedAttributions(ctx context.Context) ([]evals.Attribution, error) {
	return sqlstore.QueryAll(ctx, d.reader(), scanAttribution, `SELECT `+attributionCols+` FROM attributions a WHERE a.status IN (?, ?) ORDER BY a.created_at, a.id`,
		evals.StatusQueued, evals.StatusRunning)
}

// AttributionItems lists the items of an attribution from item from
// (inclusive) to to (exclusive; to < 0 means all), in order.
func (d *DB) AttributionItems(ctx context.Context, id string, from, to int) ([]evals.AttributionItem, error) {
	if to < 0 {
		to = 1 << 30
	}
	return sqlstore.QueryAll(ctx, d.reader(), scanItem, `SELECT item, ref, target, rep, category, input, flow_config_id, constitution_id,
		constitution_version, draft_hash, calls, finished, decision, cited, cited_id, faithful, sections
		FROM attribution_items WHERE attribution_id = ? AND item >= ? AND item < ? ORDER BY item`, id, from, to)
}

func scanItem(r rowScanner) (evals.AttributionItem, error) {
	var it evals.AttributionItem
	var finished int
	var faithful sql.NullInt64
	var sections string
	if err := r.Scan(&it.Item, &it.Ref, &it.Target, &it.Repeat, &it.Category, &it.Input, &it.FlowConfigID,
		&it.ConstitutionID, &it.ConstitutionVersion, &it.DraftHash, &it.Calls, &finished, &it.Decision, &it.Cited,
		&it.CitedID, &faithful, &sections); err != nil {
		return it, err
	}
	it.Finished = finished == 1
	if faithful.Valid {
		f := faithful.Int64 == 1
		it.Faithful = &f
	}
	return it, json.Unmarshal([]byte(sections), &it.Sections)
}

// FinishItem stores an item's explanation and marks it finished.
func (d *DB) FinishItem(ctx context.Context, id string, it evals.AttributionItem) error {
	sections, err := json.Marshal(it.Sections)
	if err != nil {
		return err
	}
	var faithful any
	if it.Faithful != nil {
		faithful = boolInt(*it.Faithful)
	}
	_, err = d.w.ExecContext(ctx, d.q(`UPDATE attribution_items SET finished = 1, decision = ?, cited = ?, cited_id = ?, faithful = ?, sections = ?
		WHERE attribution_id = ? AND item = ?`), string(it.Decision), it.Cited, it.CitedID, faithful, string(sections), id, it.Item)
	return err
}

// InsertCall stores one call; a call already stored (a re-delivered job)
// is kept as it was, and inserted is then false.
func (d *DB) InsertCall(ctx context.Context, id string, c evals.AttributionCall) (inserted bool, err error) {
	res, err := d.w.ExecContext(ctx, d.q(`INSERT INTO attribution_calls (attribution_id, item, idx, kind, section_id, decision, reason, cited,
		thinking, visible, model, input_tokens, output_tokens, latency_ms, error, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
		id, c.Item, c.Index, c.Kind, c.SectionID, string(c.Decision), c.Reason, c.Cited, c.Thinking, c.Visible, c.Model,
		c.Usage.InputTokens, c.Usage.OutputTokens, c.LatencyMs, c.Error, micros(d.now()))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// AttributionCalls lists the stored calls of an attribution's items from
// item from to item to (exclusive; to < 0 means all), in order.
func (d *DB) AttributionCalls(ctx context.Context, id string, from, to int) ([]evals.AttributionCall, error) {
	if to < 0 {
		to = 1 << 30
	}
	return sqlstore.QueryAll(ctx, d.reader(), scanCall, `SELECT item, idx, kind, section_id, decision, reason, cited, thinking, visible, model,
		input_tokens, output_tokens, latency_ms, error FROM attribution_calls
		WHERE attribution_id = ? AND item >= ? AND item < ? ORDER BY item, idx`, id, from, to)
}

func scanCall(r rowScanner) (evals.AttributionCall, error) {
	var c evals.AttributionCall
	var dec string
	err := r.Scan(&c.Item, &c.Index, &c.Kind, &c.SectionID, &dec, &c.Reason, &c.Cited, &c.Thinking, &c.Visible,
		&c.Model, &c.Usage.InputTokens, &c.Usage.OutputTokens, &c.LatencyMs, &c.Error)
	c.Decision = model.Decision(dec)
	return c, err
}

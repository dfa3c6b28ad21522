package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/superego-lab/superego/internal/store"
)

// refQuery finds the objects of one kind that point at a given id.
type refQuery struct {
	kind  string // prefix in InUseError.RefBy, e.g. "flow-config"
	query string // selects ids; takes the referenced id once
}

// maxRefsPerKind bounds an InUseError's list: enough to act on, and an
// error message does not grow with the size of the database.
const maxRefsPerKind = 20

var constitutionRefs = []refQuery{
	{"flow-config", `SELECT id FROM flow_configs WHERE constitution_id = ? ORDER BY id`},
	{"flow-template", `SELECT id FROM flow_templates WHERE config_constitution_id = ? ORDER BY id`},
	{"flow-instance", `SELECT id FROM flow_instances WHERE override_constitution_id = ? ORDER BY id`},
}

var syspromptRefs = []refQuery{
	{"flow-config", `SELECT id FROM flow_configs WHERE sysprompt_id = ? ORDER BY id`},
	{"flow-template", `SELECT id FROM flow_templates WHERE config_sysprompt_id = ? ORDER BY id`},
	{"flow-instance", `SELECT id FROM flow_instances WHERE override_sysprompt_id = ? ORDER BY id`},
}

var flowConfigRefs = []refQuery{
	{"flow-instance", `SELECT id FROM flow_instances WHERE flow_config_id = ? ORDER BY id`},
}

// referrers lists "kind:id" for every object that refers to id. It runs in
// the deleting transaction, so nothing can start referring in between.
func referrers(ctx context.Context, tx *sql.Tx, qs []refQuery, id string) ([]string, error) {
	var out []string
	for _, q := range qs {
		ids, err := queryAll(ctx, tx, func(sc scanner) (string, error) {
			var id string
			err := sc.Scan(&id)
			return id, err
		}, q.query+fmt.Sprintf(" LIMIT %d", maxRefsPerKind), id)
		if err != nil {
			return nil, fmt.Errorf("sqlite: find references: %w", err)
		}
		for _, ref := range ids {
			out = append(out, q.kind+":"+ref)
		}
	}
	return out, nil
}

// checkRef returns a *store.RefError when id is set but names no row of
// table. An empty id means "no reference" and is accepted.
func checkRef(ctx context.Context, q querier, table, field, id string) error {
	if id == "" {
		return nil
	}
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return &store.RefError{Field: field, ID: id}
	}
	if err != nil {
		return fmt.Errorf("sqlite: check %s: %w", field, err)
	}
	return nil
}

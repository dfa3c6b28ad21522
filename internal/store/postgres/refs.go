package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/superego-lab/superego/internal/store"
)

// refQuery finds the objects of one kind that point at a given id.
type refQuery struct {
	kind  string // prefix in InUseError.RefBy, e.g. "flow-config"
	query string // selects ids; takes the referenced id as $1
}

// maxRefsPerKind bounds an InUseError's list: enough to act on, and an
// error message does not grow with the size of the database.
const maxRefsPerKind = 20

var constitutionRefs = []refQuery{
	{"flow-config", `SELECT id FROM flow_configs WHERE constitution_id = $1 ORDER BY id`},
	{"flow-template", `SELECT id FROM flow_templates WHERE config_constitution_id = $1 ORDER BY id`},
	{"flow-instance", `SELECT id FROM flow_instances WHERE override_constitution_id = $1 ORDER BY id`},
}

var syspromptRefs = []refQuery{
	{"flow-config", `SELECT id FROM flow_configs WHERE sysprompt_id = $1 ORDER BY id`},
	{"flow-template", `SELECT id FROM flow_templates WHERE config_sysprompt_id = $1 ORDER BY id`},
	{"flow-instance", `SELECT id FROM flow_instances WHERE override_sysprompt_id = $1 ORDER BY id`},
}

var flowConfigRefs = []refQuery{
	{"flow-instance", `SELECT id FROM flow_instances WHERE flow_config_id = $1 ORDER BY id`},
}

// referrers lists "kind:id" for every object that refers to id. The caller
// holds the row lock on id (FOR UPDATE), which blocks every insert that
// would reference it (their foreign-key check needs a KEY SHARE lock), so
// nothing can start referring in between.
func referrers(ctx context.Context, tx pgx.Tx, qs []refQuery, id string) ([]string, error) {
	var out []string
	for _, q := range qs {
		rows, err := tx.Query(ctx, q.query+fmt.Sprintf(" LIMIT %d", maxRefsPerKind), id)
		if err != nil {
			return nil, fmt.Errorf("postgres: find references: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("postgres: find references: %w", err)
		}
		for _, ref := range ids {
			out = append(out, q.kind+":"+ref)
		}
	}
	return out, nil
}

// checkRef returns a *store.RefError when id is set but names no row of
// table. An empty id means "no reference" and is accepted. Inside a
// transaction the KEY SHARE lock keeps the row from being deleted until
// the referencing write commits.
func checkRef(ctx context.Context, q querier, table, field, id string) error {
	if id == "" {
		return nil
	}
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM `+table+` WHERE id = $1 FOR KEY SHARE`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return &store.RefError{Field: field, ID: id}
	}
	if err != nil {
		return fmt.Errorf("postgres: check %s: %w", field, err)
	}
	return nil
}

// inUse turns a foreign-key violation raised by a DELETE into the
// *store.InUseError the referrers check would have given: the safety net
// for a reference the check could not see.
func inUse(err error, resource, id string) error {
	if isForeignKeyViolation(err) {
		return &store.InUseError{Resource: resource, ID: id, RefBy: []string{"a concurrent write"}}
	}
	return fmt.Errorf("postgres: delete %s: %w", resource, err)
}

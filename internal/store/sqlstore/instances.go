package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

var flowInstances = table[model.FlowInstance]{
	name: "flow_instances", resource: "flow instance",
	cols: `id, flow_config_id, name, description, message_count, last_message_at,
	coalesce(parent_instance_id, ''), coalesce(forked_from_message_id, ''),
	override_constitution_id, override_sysprompt_id, override_superego_enabled,
	coalesce(comparison_id, ''), version, created_at, updated_at`,
	scan: scanFlowInstance,
}

func scanFlowInstance(sc Scanner) (model.FlowInstance, error) {
	var i model.FlowInstance
	var ovConst, ovSys sql.NullString
	var ovEnabled sql.NullBool
	err := sc.Scan(&i.ID, &i.FlowConfigID, &i.Name, &i.Description, &i.MessageCount, atOrNil{&i.LastMessageAt},
		&i.ParentInstanceID, &i.ForkedFromMessageID, &ovConst, &ovSys, &ovEnabled,
		&i.ComparisonID, &i.Version, at{&i.CreatedAt}, at{&i.UpdatedAt})
	if err != nil || (!ovConst.Valid && !ovSys.Valid && !ovEnabled.Valid) {
		return i, err
	}
	i.Overrides = &model.Overrides{}
	if ovConst.Valid {
		i.Overrides.ConstitutionID = &ovConst.String
	}
	if ovSys.Valid {
		i.Overrides.SyspromptID = &ovSys.String
	}
	if ovEnabled.Valid {
		i.Overrides.SuperegoEnabled = &ovEnabled.Bool
	}
	return i, nil
}

// instanceKey is the cursor of the newest-first instance list.
type instanceKey struct {
	CreatedAt string `json:"t"` // TimeLayout
	ID        string `json:"id"`
}

// ListFlowInstances lists instances newest first, optionally only those of
// one comparison.
func (s *Store) ListFlowInstances(ctx context.Context, f store.InstanceFilter, p store.Page) ([]model.FlowInstance, string, error) {
	var k instanceKey
	ok, err := store.DecodeCursor(p.Cursor, &k)
	if err != nil {
		return nil, "", err
	}
	r := s.reader()
	q := `SELECT ` + flowInstances.cols + ` FROM flow_instances WHERE 1 = 1`
	var args []any
	if ok {
		after, err := time.Parse(TimeLayout, k.CreatedAt)
		if err != nil || k.ID == "" {
			return nil, "", fmt.Errorf("%w: bad key", store.ErrBadCursor)
		}
		q += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, r.time(after), r.time(after), k.ID)
	}
	if f.ComparisonID != "" {
		q += ` AND comparison_id = ?`
		args = append(args, f.ComparisonID)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	out, err := queryAll(ctx, r, flowInstances.scan, q, append(args, p.Size()+1)...)
	if s.invalidText(err) {
		return nil, "", nil // no comparison has such an id
	}
	if err != nil {
		return nil, "", s.errorf("list flow instances: %w", err)
	}
	items, next := store.Paginate(out, p.Size(), func(i model.FlowInstance) any {
		return instanceKey{CreatedAt: i.CreatedAt.UTC().Format(TimeLayout), ID: i.ID}
	})
	return items, next, nil
}

// GetFlowInstance returns one instance.
func (s *Store) GetFlowInstance(ctx context.Context, id string) (model.FlowInstance, error) {
	return flowInstances.get(ctx, s.reader(), id)
}

// CreateFlowInstance stores a new, empty instance.
func (s *Store) CreateFlowInstance(ctx context.Context, i model.FlowInstance) (model.FlowInstance, error) {
	err := s.tx(ctx, func(tx db) error {
		var err error
		i, err = insertFlowInstance(ctx, tx, i)
		return err
	})
	if err != nil {
		return model.FlowInstance{}, err
	}
	return i, nil
}

// checkInstanceRefs checks the config and the override references. Override
// fields are named as a rerun request names them.
func checkInstanceRefs(ctx context.Context, q db, i model.FlowInstance) error {
	if i.FlowConfigID == "" {
		return &store.RefError{Field: "flow_config_id", ID: ""}
	}
	if err := checkRef(ctx, q, "flow_configs", "flow_config_id", i.FlowConfigID); err != nil {
		return err
	}
	if o := i.Overrides; o != nil {
		if o.ConstitutionID != nil {
			if err := checkRef(ctx, q, "constitutions", "constitution_id", *o.ConstitutionID); err != nil {
				return err
			}
		}
		if o.SyspromptID != nil {
			if err := checkRef(ctx, q, "sysprompts", "sysprompt_id", *o.SyspromptID); err != nil {
				return err
			}
		}
	}
	return nil
}

func insertFlowInstance(ctx context.Context, tx db, i model.FlowInstance) (model.FlowInstance, error) {
	if err := checkInstanceRefs(ctx, tx, i); err != nil {
		return i, err
	}
	if i.ID == "" {
		i.ID = model.NewID()
	}
	t := now()
	i.CreatedAt, i.UpdatedAt, i.Version = t, t, 1
	i.MessageCount, i.LastMessageAt = 0, nil
	if i.Overrides != nil && i.Overrides.IsZero() {
		i.Overrides = nil
	}
	var ovConst, ovSys, ovEnabled any
	if o := i.Overrides; o != nil {
		if o.ConstitutionID != nil {
			ovConst = nullStr(*o.ConstitutionID)
		}
		if o.SyspromptID != nil {
			ovSys = nullStr(*o.SyspromptID)
		}
		if o.SuperegoEnabled != nil {
			ovEnabled = *o.SuperegoEnabled
		}
	}
	_, err := tx.ExecContext(ctx,
		`INSERT INTO flow_instances (id, flow_config_id, name, description, message_count, last_message_at,
		 parent_instance_id, forked_from_message_id, override_constitution_id, override_sysprompt_id,
		 override_superego_enabled, comparison_id, version, created_at, updated_at)
		 VALUES (?, ?, ?, ?, 0, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		i.ID, i.FlowConfigID, i.Name, i.Description, nullStr(i.ParentInstanceID), nullStr(i.ForkedFromMessageID),
		ovConst, ovSys, ovEnabled, nullStr(i.ComparisonID), i.Version, tx.time(t), tx.time(t))
	return i, tx.s.created(err, "flow instance", i.ID)
}

// UpdateFlowInstance writes flow_config_id, name and description only; the
// counters and fork fields belong to the store and the engine.
func (s *Store) UpdateFlowInstance(ctx context.Context, i model.FlowInstance, ifVersion int) (model.FlowInstance, error) {
	var out model.FlowInstance
	err := s.tx(ctx, func(tx db) error {
		check := func() error { return checkInstanceRefs(ctx, tx, model.FlowInstance{FlowConfigID: i.FlowConfigID}) }
		var err error
		out, err = flowInstances.update(ctx, tx, i.ID, ifVersion, check, `flow_config_id = ?, name = ?, description = ?`,
			i.FlowConfigID, i.Name, i.Description)
		return err
	})
	if err != nil {
		return model.FlowInstance{}, err
	}
	return out, nil
}

// DeleteFlowInstance removes an instance; its messages and runs go with it
// (ON DELETE CASCADE). Forks of it keep their copies.
func (s *Store) DeleteFlowInstance(ctx context.Context, id string, ifVersion int) error {
	return s.tx(ctx, func(tx db) error { return flowInstances.delete(ctx, tx, id, ifVersion, false) })
}

// forkCondition is store.ForkQueryCondition with ? placeholders, which take
// the position, the run, the source and the position again.
var forkCondition = strings.NewReplacer("{pos}", "?", "{src}", "?", "{run}", "?").Replace(store.ForkQueryCondition)

// ForkFlowInstance copies the history up to and including a user message
// into a new instance. The copies get new ids and keep every other field,
// positions and timestamps included, so the fork reads like the original.
// fork supplies the name, description, config (the source's when empty),
// overrides and comparison id; the store sets the parent fields.
func (s *Store) ForkFlowInstance(ctx context.Context, messageID string, fork model.FlowInstance) (model.FlowInstance, error) {
	var out model.FlowInstance
	err := s.tx(ctx, func(tx db) error {
		m, err := getMessage(ctx, tx, messageID)
		if err != nil {
			return err
		}
		if m.Role != model.RoleUser {
			return fmt.Errorf("message_id: %q is a %s message, not a user message: %w", messageID, m.Role, store.ErrInvalidReference)
		}
		// The share lock on the source keeps it from being deleted while
		// its messages are copied, without blocking appends to it.
		src, err := flowInstances.get(ctx, tx, m.FlowInstanceID, s.d.LockShare)
		if err != nil {
			return err
		}
		if fork.FlowConfigID == "" {
			fork.FlowConfigID = src.FlowConfigID
		}
		if fork.Name == "" {
			fork.Name = src.Name + " (fork)"
		}
		fork.ParentInstanceID, fork.ForkedFromMessageID = src.ID, messageID
		if out, err = insertFlowInstance(ctx, tx, fork); err != nil {
			return err
		}
		msgs, err := queryAll(ctx, tx, scanMessage,
			`SELECT `+messageCols+` FROM messages WHERE flow_instance_id = ? AND `+forkCondition+` ORDER BY position`,
			src.ID, m.Position, m.RunID, src.ID, m.Position)
		if err != nil {
			return s.errorf("fork flow instance: %w", err)
		}
		for _, c := range store.ForkHistory(msgs, messageID) {
			c.ID, c.FlowInstanceID = model.NewID(), out.ID
			if err := insertMessage(ctx, tx, c); err != nil {
				return err
			}
			out.MessageCount++
			if out.LastMessageAt == nil || c.CreatedAt.After(*out.LastMessageAt) {
				at := c.CreatedAt
				out.LastMessageAt = &at
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE flow_instances SET message_count = ?, last_message_at = ? WHERE id = ?`,
			out.MessageCount, tx.nullTime(out.LastMessageAt), out.ID)
		if err != nil {
			return s.errorf("fork flow instance: %w", err)
		}
		return nil
	})
	if err != nil {
		return model.FlowInstance{}, err
	}
	return out, nil
}

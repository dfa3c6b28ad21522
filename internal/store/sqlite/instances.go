package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

const flowInstanceCols = `id, flow_config_id, name, description, message_count, last_message_at,
	coalesce(parent_instance_id, ''), coalesce(forked_from_message_id, ''),
	override_constitution_id, override_sysprompt_id, override_superego_enabled,
	coalesce(comparison_id, ''), version, created_at, updated_at`

func scanFlowInstance(sc scanner) (model.FlowInstance, error) {
	var i model.FlowInstance
	var created, updated string
	var last, ovConst, ovSys sql.NullString
	var ovEnabled sql.NullBool
	err := sc.Scan(&i.ID, &i.FlowConfigID, &i.Name, &i.Description, &i.MessageCount, &last,
		&i.ParentInstanceID, &i.ForkedFromMessageID, &ovConst, &ovSys, &ovEnabled,
		&i.ComparisonID, &i.Version, &created, &updated)
	if err != nil {
		return i, err
	}
	if i.LastMessageAt, err = parseNullTime(last); err != nil {
		return i, err
	}
	if ovConst.Valid || ovSys.Valid || ovEnabled.Valid {
		o := model.Overrides{}
		if ovConst.Valid {
			o.ConstitutionID = &ovConst.String
		}
		if ovSys.Valid {
			o.SyspromptID = &ovSys.String
		}
		if ovEnabled.Valid {
			o.SuperegoEnabled = &ovEnabled.Bool
		}
		i.Overrides = &o
	}
	if i.CreatedAt, err = parseTime(created); err != nil {
		return i, err
	}
	i.UpdatedAt, err = parseTime(updated)
	return i, err
}

// instanceKey is the cursor of the newest-first instance list.
type instanceKey struct {
	CreatedAt string `json:"t"`
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
	q := `SELECT ` + flowInstanceCols + ` FROM flow_instances WHERE 1 = 1`
	var args []any
	if ok {
		if _, err := parseTime(k.CreatedAt); err != nil || k.ID == "" {
			return nil, "", fmt.Errorf("%w: bad key", store.ErrBadCursor)
		}
		q += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		args = append(args, k.CreatedAt, k.CreatedAt, k.ID)
	}
	if f.ComparisonID != "" {
		q += ` AND comparison_id = ?`
		args = append(args, f.ComparisonID)
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, p.Size()+1)
	out, err := queryAll(ctx, s.r, scanFlowInstance, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list flow instances: %w", err)
	}
	items, next := store.Paginate(out, p.Size(), func(i model.FlowInstance) any {
		return instanceKey{CreatedAt: fmtTime(i.CreatedAt), ID: i.ID}
	})
	return items, next, nil
}

// GetFlowInstance returns one instance.
func (s *Store) GetFlowInstance(ctx context.Context, id string) (model.FlowInstance, error) {
	return getFlowInstance(ctx, s.r, id)
}

func getFlowInstance(ctx context.Context, q querier, id string) (model.FlowInstance, error) {
	i, err := scanFlowInstance(q.QueryRowContext(ctx, `SELECT `+flowInstanceCols+` FROM flow_instances WHERE id = ?`, id))
	if err != nil {
		return model.FlowInstance{}, notFound(err, "flow instance", id)
	}
	return i, nil
}

// CreateFlowInstance stores a new, empty instance.
func (s *Store) CreateFlowInstance(ctx context.Context, i model.FlowInstance) (model.FlowInstance, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
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
func checkInstanceRefs(ctx context.Context, q querier, i model.FlowInstance) error {
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

func insertFlowInstance(ctx context.Context, tx *sql.Tx, i model.FlowInstance) (model.FlowInstance, error) {
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
		ovConst, ovSys, ovEnabled, nullStr(i.ComparisonID), i.Version, fmtTime(t), fmtTime(t))
	if isUniqueViolation(err) {
		return i, fmt.Errorf("flow instance %q already exists: %w", i.ID, store.ErrConflict)
	}
	if err != nil {
		return i, fmt.Errorf("sqlite: create flow instance: %w", err)
	}
	return i, nil
}

// UpdateFlowInstance writes flow_config_id, name and description only; the
// counters and fork fields belong to the store and the engine.
func (s *Store) UpdateFlowInstance(ctx context.Context, i model.FlowInstance, ifVersion int) (model.FlowInstance, error) {
	var out model.FlowInstance
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := checkVersion(ctx, tx, "flow_instances", "flow instance", i.ID, ifVersion); err != nil {
			return err
		}
		if err := checkInstanceRefs(ctx, tx, model.FlowInstance{FlowConfigID: i.FlowConfigID}); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			`UPDATE flow_instances SET flow_config_id = ?, name = ?, description = ?,
			 version = version + 1, updated_at = ? WHERE id = ?`,
			i.FlowConfigID, i.Name, i.Description, fmtTime(now()), i.ID)
		if err != nil {
			return fmt.Errorf("sqlite: update flow instance: %w", err)
		}
		out, err = getFlowInstance(ctx, tx, i.ID)
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
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := checkVersion(ctx, tx, "flow_instances", "flow instance", id, ifVersion); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM flow_instances WHERE id = ?`, id); err != nil {
			return fmt.Errorf("sqlite: delete flow instance: %w", err)
		}
		return nil
	})
}

// ForkFlowInstance copies the history up to and including a user message
// into a new instance. The copies get new ids and keep every other field,
// positions and timestamps included, so the fork reads like the original.
// fork supplies the name, description, config (the source's when empty),
// overrides and comparison id; the store sets the parent fields.
func (s *Store) ForkFlowInstance(ctx context.Context, messageID string, fork model.FlowInstance) (model.FlowInstance, error) {
	var out model.FlowInstance
	err := s.tx(ctx, func(tx *sql.Tx) error {
		m, err := getMessage(ctx, tx, messageID)
		if err != nil {
			return err
		}
		if m.Role != model.RoleUser {
			return fmt.Errorf("message_id: %q is a %s message, not a user message: %w", messageID, m.Role, store.ErrInvalidReference)
		}
		src, err := getFlowInstance(ctx, tx, m.FlowInstanceID)
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
		cond := strings.NewReplacer("{pos}", "?1", "{src}", "?2", "{run}", "?3").Replace(store.ForkQueryCondition)
		msgs, err := queryMessages(ctx, tx,
			`SELECT `+messageCols+` FROM messages WHERE flow_instance_id = ?2 AND `+cond+` ORDER BY position`,
			m.Position, src.ID, m.RunID)
		if err != nil {
			return err
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
			out.MessageCount, nullTime(out.LastMessageAt), out.ID)
		if err != nil {
			return fmt.Errorf("sqlite: fork flow instance: %w", err)
		}
		return nil
	})
	if err != nil {
		return model.FlowInstance{}, err
	}
	return out, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

const messageCols = `id, flow_instance_id, run_id, position, role, content, decision, reason, thinking,
	constitution_id, constitution_version, sysprompt_id, model, input_tokens, output_tokens,
	superego_ms, first_token_ms, total_ms, status, error, created_at, updated_at, section`

func scanMessage(sc scanner) (model.Message, error) {
	var m model.Message
	var created, updated string
	err := sc.Scan(&m.ID, &m.FlowInstanceID, &m.RunID, &m.Position, &m.Role, &m.Content, &m.Decision,
		&m.Reason, &m.Thinking, &m.ConstitutionID, &m.ConstitutionVersion, &m.SyspromptID, &m.Model,
		&m.Usage.InputTokens, &m.Usage.OutputTokens, &m.Timings.SuperegoMs, &m.Timings.FirstTokenMs,
		&m.Timings.TotalMs, &m.Status, &m.Error, &created, &updated, &m.Section)
	if err != nil {
		return m, err
	}
	if m.CreatedAt, err = parseTime(created); err != nil {
		return m, err
	}
	m.UpdatedAt, err = parseTime(updated)
	return m, err
}

func queryMessages(ctx context.Context, q querier, query string, args ...any) ([]model.Message, error) {
	out, err := queryAll(ctx, q, scanMessage, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list messages: %w", err)
	}
	return out, nil
}

func getMessage(ctx context.Context, q querier, id string) (model.Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages WHERE id = ?`, id))
	if err != nil {
		return model.Message{}, notFound(err, "message", id)
	}
	return m, nil
}

// insertMessage writes m exactly as given (id, position and times set).
func insertMessage(ctx context.Context, tx *sql.Tx, m model.Message) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO messages (`+messageCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.FlowInstanceID, m.RunID, m.Position, m.Role, m.Content, string(m.Decision), m.Reason, m.Thinking,
		m.ConstitutionID, m.ConstitutionVersion, m.SyspromptID, m.Model, m.Usage.InputTokens, m.Usage.OutputTokens,
		m.Timings.SuperegoMs, m.Timings.FirstTokenMs, m.Timings.TotalMs, m.Status, m.Error,
		fmtTime(m.CreatedAt), fmtTime(m.UpdatedAt), m.Section)
	if isUniqueViolation(err) {
		return fmt.Errorf("message %q already exists: %w", m.ID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("sqlite: insert message: %w", err)
	}
	return nil
}

// messageKey is the cursor of a conversation.
type messageKey struct {
	Position int `json:"pos"`
}

// ListMessages lists an instance's messages in conversation order.
func (s *Store) ListMessages(ctx context.Context, instanceID string, p store.Page) ([]model.Message, string, error) {
	var k messageKey
	if _, err := store.DecodeCursor(p.Cursor, &k); err != nil {
		return nil, "", err
	}
	if _, err := getFlowInstance(ctx, s.r, instanceID); err != nil {
		return nil, "", err
	}
	out, err := queryMessages(ctx, s.r,
		`SELECT `+messageCols+` FROM messages WHERE flow_instance_id = ? AND position > ? ORDER BY position LIMIT ?`,
		instanceID, k.Position, p.Size()+1)
	if err != nil {
		return nil, "", err
	}
	items, next := store.Paginate(out, p.Size(), func(m model.Message) any { return messageKey{m.Position} })
	return items, next, nil
}

// GetMessage returns one message.
func (s *Store) GetMessage(ctx context.Context, id string) (model.Message, error) {
	return getMessage(ctx, s.r, id)
}

// AppendMessage adds a message at the end of its instance's conversation.
// The instance's message_count and last_message_at change with it, but not
// its version: a conversation growing is not an edit of the instance, and
// must not make someone's If-Match on its name fail.
func (s *Store) AppendMessage(ctx context.Context, m model.Message) (model.Message, error) {
	if m.ID == "" {
		m.ID = model.NewID()
	}
	if m.Status == "" {
		m.Status = model.MessageComplete
	}
	t := now()
	m.CreatedAt, m.UpdatedAt = t, t
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if m.FlowInstanceID == "" {
			return &store.RefError{Field: "flow_instance_id"}
		}
		if err := checkRef(ctx, tx, "flow_instances", "flow_instance_id", m.FlowInstanceID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx,
			`SELECT coalesce(max(position), 0) + 1 FROM messages WHERE flow_instance_id = ?`, m.FlowInstanceID).Scan(&m.Position)
		if err != nil {
			return fmt.Errorf("sqlite: append message: %w", err)
		}
		if err := insertMessage(ctx, tx, m); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`UPDATE flow_instances SET message_count = message_count + 1, last_message_at = ? WHERE id = ?`,
			fmtTime(t), m.FlowInstanceID)
		if err != nil {
			return fmt.Errorf("sqlite: append message: %w", err)
		}
		return nil
	})
	if err != nil {
		return model.Message{}, err
	}
	return m, nil
}

// UpdateMessage rewrites a message's mutable fields; its place in the
// conversation, role and references stay as they were.
func (s *Store) UpdateMessage(ctx context.Context, m model.Message) (model.Message, error) {
	var out model.Message
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx,
			`UPDATE messages SET content = ?, decision = ?, reason = ?, thinking = ?, model = ?,
			 input_tokens = ?, output_tokens = ?, superego_ms = ?, first_token_ms = ?, total_ms = ?,
			 status = ?, error = ?, updated_at = ?, section = ? WHERE id = ?`,
			m.Content, string(m.Decision), m.Reason, m.Thinking, m.Model, m.Usage.InputTokens, m.Usage.OutputTokens,
			m.Timings.SuperegoMs, m.Timings.FirstTokenMs, m.Timings.TotalMs, m.Status, m.Error,
			fmtTime(now()), m.Section, m.ID)
		if err != nil {
			return fmt.Errorf("sqlite: update message: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return notFound(orNoRows(err), "message", m.ID)
		}
		out, err = getMessage(ctx, tx, m.ID)
		return err
	})
	if err != nil {
		return model.Message{}, err
	}
	return out, nil
}

// orNoRows turns a nil error (no row affected) into sql.ErrNoRows.
func orNoRows(err error) error {
	if err == nil {
		return sql.ErrNoRows
	}
	return err
}

package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

const messageCols = `id, flow_instance_id, run_id, position, role, content, decision, reason, thinking,
	constitution_id, constitution_version, sysprompt_id, model, input_tokens, output_tokens,
	superego_ms, first_token_ms, total_ms, status, error, created_at, updated_at, section`

func scanMessage(row pgx.Row) (model.Message, error) {
	var m model.Message
	err := row.Scan(&m.ID, &m.FlowInstanceID, &m.RunID, &m.Position, &m.Role, &m.Content, &m.Decision,
		&m.Reason, &m.Thinking, &m.ConstitutionID, &m.ConstitutionVersion, &m.SyspromptID, &m.Model,
		&m.Usage.InputTokens, &m.Usage.OutputTokens, &m.Timings.SuperegoMs, &m.Timings.FirstTokenMs,
		&m.Timings.TotalMs, &m.Status, &m.Error, &m.CreatedAt, &m.UpdatedAt, &m.Section)
	return m, err
}

func queryMessages(ctx context.Context, q querier, query string, args ...any) ([]model.Message, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list messages: %w", err)
	}
	out, err := collect(rows, scanMessage)
	if err != nil {
		return nil, fmt.Errorf("postgres: list messages: %w", err)
	}
	return out, nil
}

func getMessage(ctx context.Context, q querier, id string) (model.Message, error) {
	m, err := scanMessage(q.QueryRow(ctx, `SELECT `+messageCols+` FROM messages WHERE id = $1`, id))
	if err != nil {
		return model.Message{}, notFound(err, "message", id)
	}
	return m, nil
}

// insertMessage writes m exactly as given (id, position and times set).
func insertMessage(ctx context.Context, tx pgx.Tx, m model.Message) error {
	_, err := tx.Exec(ctx,
		`INSERT INTO messages (`+messageCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
		 $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`,
		m.ID, m.FlowInstanceID, m.RunID, m.Position, m.Role, m.Content, string(m.Decision), m.Reason, m.Thinking,
		m.ConstitutionID, m.ConstitutionVersion, m.SyspromptID, m.Model, m.Usage.InputTokens, m.Usage.OutputTokens,
		m.Timings.SuperegoMs, m.Timings.FirstTokenMs, m.Timings.TotalMs, m.Status, m.Error,
		m.CreatedAt.UTC(), m.UpdatedAt.UTC(), m.Section)
	if isUniqueViolation(err) {
		return fmt.Errorf("message %q already exists: %w", m.ID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("postgres: insert message: %w", err)
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
	if _, err := getFlowInstance(ctx, s.pool, instanceID); err != nil {
		return nil, "", err
	}
	out, err := queryMessages(ctx, s.pool,
		`SELECT `+messageCols+` FROM messages WHERE flow_instance_id = $1 AND position > $2 ORDER BY position LIMIT $3`,
		instanceID, k.Position, p.Size()+1)
	if err != nil {
		return nil, "", err
	}
	items, next := store.Paginate(out, p.Size(), func(m model.Message) any { return messageKey{m.Position} })
	return items, next, nil
}

// GetMessage returns one message.
func (s *Store) GetMessage(ctx context.Context, id string) (model.Message, error) {
	return getMessage(ctx, s.pool, id)
}

// AppendMessage adds a message at the end of its instance's conversation.
// The instance's message_count and last_message_at change with it, but not
// its version: a conversation growing is not an edit of the instance, and
// must not make someone's If-Match on its name fail.
//
// The instance row is locked first (FOR NO KEY UPDATE, which still lets
// others reference it), so concurrent appends to one conversation take
// turns and each gets the next position.
func (s *Store) AppendMessage(ctx context.Context, m model.Message) (model.Message, error) {
	if m.ID == "" {
		m.ID = model.NewID()
	}
	if m.Status == "" {
		m.Status = model.MessageComplete
	}
	t := now()
	m.CreatedAt, m.UpdatedAt = t, t
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if m.FlowInstanceID == "" {
			return &store.RefError{Field: "flow_instance_id"}
		}
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM flow_instances WHERE id = $1 FOR NO KEY UPDATE`, m.FlowInstanceID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return &store.RefError{Field: "flow_instance_id", ID: m.FlowInstanceID}
		}
		if err != nil {
			return fmt.Errorf("postgres: append message: %w", err)
		}
		err = tx.QueryRow(ctx,
			`SELECT coalesce(max(position), 0) + 1 FROM messages WHERE flow_instance_id = $1`, m.FlowInstanceID).Scan(&m.Position)
		if err != nil {
			return fmt.Errorf("postgres: append message: %w", err)
		}
		if err := insertMessage(ctx, tx, m); err != nil {
			return err
		}
		_, err = tx.Exec(ctx,
			`UPDATE flow_instances SET message_count = message_count + 1, last_message_at = $1 WHERE id = $2`,
			t, m.FlowInstanceID)
		if err != nil {
			return fmt.Errorf("postgres: append message: %w", err)
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
	out, err := scanMessage(s.pool.QueryRow(ctx,
		`UPDATE messages SET content = $1, decision = $2, reason = $3, thinking = $4, model = $5,
		 input_tokens = $6, output_tokens = $7, superego_ms = $8, first_token_ms = $9, total_ms = $10,
		 status = $11, error = $12, updated_at = $13, section = $15 WHERE id = $14 RETURNING `+messageCols,
		m.Content, string(m.Decision), m.Reason, m.Thinking, m.Model, m.Usage.InputTokens, m.Usage.OutputTokens,
		m.Timings.SuperegoMs, m.Timings.FirstTokenMs, m.Timings.TotalMs, m.Status, m.Error,
		now(), m.ID, m.Section))
	if err != nil {
		return model.Message{}, notFound(err, "message", m.ID)
	}
	return out, nil
}

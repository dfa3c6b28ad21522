package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"math"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

const messageCols = `id, flow_instance_id, run_id, position, role, content, decision, reason, thinking,
	constitution_id, constitution_version, sysprompt_id, model, input_tokens, output_tokens,
	superego_ms, first_token_ms, total_ms, status, error, created_at, updated_at, section, params`

func scanMessage(sc Scanner) (model.Message, error) {
	var m model.Message
	err := sc.Scan(&m.ID, &m.FlowInstanceID, &m.RunID, &m.Position, &m.Role, &m.Content, &m.Decision,
		&m.Reason, &m.Thinking, &m.ConstitutionID, &m.ConstitutionVersion, &m.SyspromptID, &m.Model,
		&m.Usage.InputTokens, &m.Usage.OutputTokens, &m.Timings.SuperegoMs, &m.Timings.FirstTokenMs,
		&m.Timings.TotalMs, &m.Status, &m.Error, at{&m.CreatedAt}, at{&m.UpdatedAt}, &m.Section, paramsOf{&m.Params})
	return m, err
}

func getMessage(ctx context.Context, q db, id string) (model.Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages WHERE id = ?`, id))
	if err != nil {
		return model.Message{}, q.s.notFound(err, "message", id)
	}
	return m, nil
}

// insertMessage writes m exactly as given (id, position and times set).
func insertMessage(ctx context.Context, tx db, m model.Message) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO messages (`+messageCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.FlowInstanceID, m.RunID, m.Position, m.Role, m.Content, string(m.Decision), m.Reason, m.Thinking,
		m.ConstitutionID, m.ConstitutionVersion, m.SyspromptID, m.Model, m.Usage.InputTokens, m.Usage.OutputTokens,
		m.Timings.SuperegoMs, m.Timings.FirstTokenMs, m.Timings.TotalMs, m.Status, m.Error,
		tx.time(m.CreatedAt), tx.time(m.UpdatedAt), m.Section, model.EncodeParams(m.Params))
	return tx.s.created(err, "message", m.ID)
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
	if err := checkExists(ctx, s.reader(), "flow_instances", "flow instance", instanceID); err != nil {
		return nil, "", err
	}
	out, err := queryAll(ctx, s.reader(), scanMessage,
		`SELECT `+messageCols+` FROM messages WHERE flow_instance_id = ? AND position > ? ORDER BY position LIMIT ?`,
		instanceID, k.Position, p.Size()+1)
	if err != nil {
		return nil, "", s.errorf("list messages: %w", err)
	}
	items, next := store.Paginate(out, p.Size(), func(m model.Message) any { return messageKey{m.Position} })
	return items, next, nil
}

// RecentMessages reads a conversation newest first, a page at a time, on
// the (flow_instance_id, position) index.
func (s *Store) RecentMessages(ctx context.Context, instanceID string, before, limit int) ([]model.Message, error) {
	if before <= 0 {
		before = math.MaxInt32
	}
	out, err := queryAll(ctx, s.reader(), scanMessage,
		`SELECT `+messageCols+` FROM messages WHERE flow_instance_id = ? AND position < ? ORDER BY position DESC LIMIT ?`,
		instanceID, before, max(limit, 1))
	if s.invalidText(err) {
		return nil, nil // no instance has such an id
	}
	if err != nil {
		return nil, s.errorf("recent messages: %w", err)
	}
	return out, nil
}

// historyCols are the columns RecentHistory reads.
const historyCols = `id, run_id, position, role, content, decision, status`

// RecentHistory is RecentMessages reading only the fields a conversation's
// history is made of: a history read scans a full budget of messages, and
// their other columns (times, parameters, reasoning) cost more to scan than
// these.
func (s *Store) RecentHistory(ctx context.Context, instanceID string, before, limit int) ([]model.Message, error) {
	if before <= 0 {
		before = math.MaxInt32
	}
	out, err := queryAll(ctx, s.reader(), func(sc Scanner) (model.Message, error) {
		m := model.Message{FlowInstanceID: instanceID}
		err := sc.Scan(&m.ID, &m.RunID, &m.Position, &m.Role, &m.Content, &m.Decision, &m.Status)
		return m, err
	}, `SELECT `+historyCols+` FROM messages WHERE flow_instance_id = ? AND position < ? ORDER BY position DESC LIMIT ?`,
		instanceID, before, max(limit, 1))
	if s.invalidText(err) {
		return nil, nil // no instance has such an id
	}
	if err != nil {
		return nil, s.errorf("recent history: %w", err)
	}
	return out, nil
}

// GetMessage returns one message.
func (s *Store) GetMessage(ctx context.Context, id string) (model.Message, error) {
	return getMessage(ctx, s.reader(), id)
}

// AppendMessage adds a message at the end of its instance's conversation.
// The instance's message_count and last_message_at change with it, but not
// its version: a conversation growing is not an edit of the instance, and
// must not make someone's If-Match on its name fail.
//
// The instance row is locked first (LockUpdate, which still lets others
// reference it), so concurrent appends to one conversation take turns and
// each gets the next position.
func (s *Store) AppendMessage(ctx context.Context, m model.Message) (model.Message, error) {
	msgs := []model.Message{m}
	prepareMessages(msgs)
	err := s.tx(ctx, func(tx db) error {
		if msgs[0].FlowInstanceID == "" {
			return &store.RefError{Field: "flow_instance_id"}
		}
		return appendMessages(ctx, tx, msgs[0].FlowInstanceID, msgs, nil)
	})
	if err != nil {
		return model.Message{}, err
	}
	return msgs[0], nil
}

// prepareMessages fills what AppendMessage fills before its transaction:
// ids, the default status and the times.
func prepareMessages(msgs []model.Message) {
	t := now()
	for i := range msgs {
		if msgs[i].ID == "" {
			msgs[i].ID = model.NewID()
		}
		if msgs[i].Status == "" {
			msgs[i].Status = model.MessageComplete
		}
		msgs[i].CreatedAt, msgs[i].UpdatedAt = t, t
	}
}

// appendMessages appends msgs, in order, at the end of the conversation of
// instanceID inside tx, setting their positions. The instance row is
// locked first (LockUpdate, which still lets others reference it), so
// concurrent appends to one conversation take turns and each gets the
// next position. A missing instance is a *store.RefError. With messages
// to append, the UPDATE of the instance's count both locks its row and
// finds it, one statement fewer than a locking SELECT before it. With
// check, that statement returns the instance's row, which check is given.
func appendMessages(ctx context.Context, tx db, instanceID string, msgs []model.Message, check func(model.FlowInstance) error) error {
	s := tx.s
	ret := "1"
	if check != nil {
		ret = flowInstances.cols
	}
	var row *sql.Row
	if len(msgs) == 0 {
		row = tx.QueryRowContext(ctx, `SELECT `+ret+` FROM flow_instances WHERE id = ? `+s.d.LockUpdate, instanceID)
	} else {
		row = tx.QueryRowContext(ctx,
			`UPDATE flow_instances SET message_count = message_count + ?, last_message_at = ? WHERE id = ? RETURNING `+ret,
			len(msgs), tx.time(msgs[len(msgs)-1].CreatedAt), instanceID)
	}
	var inst model.FlowInstance
	var err error
	if check != nil {
		inst, err = scanFlowInstance(row)
	} else {
		var one int
		err = row.Scan(&one)
	}
	if errors.Is(err, sql.ErrNoRows) || s.invalidText(err) {
		return &store.RefError{Field: "flow_instance_id", ID: instanceID}
	}
	if err != nil {
		return s.errorf("append message: %w", err)
	}
	if check != nil {
		if err := check(inst); err != nil {
			return err
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	for i := range msgs {
		if msgs[i].FlowInstanceID != instanceID {
			return &store.RefError{Field: "flow_instance_id", ID: msgs[i].FlowInstanceID}
		}
	}
	// The first message takes the position after the conversation's last
	// in its INSERT; the others follow it.
	if err := appendFirst(ctx, tx, &msgs[0]); err != nil {
		return err
	}
	for i := 1; i < len(msgs); i++ {
		msgs[i].Position = msgs[0].Position + i
		if err := insertMessage(ctx, tx, msgs[i]); err != nil {
			return err
		}
	}
	return nil
}

// appendFirst inserts m as insertMessage does, at the position after the
// last of its conversation, found by the INSERT itself, and sets it.
func appendFirst(ctx context.Context, tx db, m *model.Message) error {
	err := tx.QueryRowContext(ctx,
		`INSERT INTO messages (`+messageCols+`) VALUES (?, ?, ?,
		 (SELECT coalesce(max(position), 0) + 1 FROM messages WHERE flow_instance_id = ?),
		 ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING position`,
		m.ID, m.FlowInstanceID, m.RunID, m.FlowInstanceID, m.Role, m.Content, string(m.Decision), m.Reason, m.Thinking,
		m.ConstitutionID, m.ConstitutionVersion, m.SyspromptID, m.Model, m.Usage.InputTokens, m.Usage.OutputTokens,
		m.Timings.SuperegoMs, m.Timings.FirstTokenMs, m.Timings.TotalMs, m.Status, m.Error,
		tx.time(m.CreatedAt), tx.time(m.UpdatedAt), m.Section, model.EncodeParams(m.Params)).Scan(&m.Position)
	return tx.s.created(err, "message", m.ID)
}

// messageRefCols are the columns of a message UpdateMessage does not
// write: the statement returns only these, the rest is what it wrote.
const messageRefCols = `flow_instance_id, run_id, position, role, constitution_id, constitution_version,
	sysprompt_id, created_at`

// UpdateMessage rewrites a message's mutable fields; its place in the
// conversation, role and references stay as they were. The message
// returned is the one a read gives: the columns it did not write come back
// from the row, the others are the values written (not read back, which
// would copy the text once more on every partial and final save).
func (s *Store) UpdateMessage(ctx context.Context, m model.Message) (model.Message, error) {
	var out model.Message
	err := s.write(ctx, func(w db) error {
		var err error
		out, err = updateMessage(ctx, w, m)
		return err
	})
	if err != nil {
		return model.Message{}, s.notFound(err, "message", m.ID)
	}
	return out, nil
}

// updateMessage is UpdateMessage's one statement, on w.
func updateMessage(ctx context.Context, w db, m model.Message) (model.Message, error) {
	if m.Params != nil && m.Params.IsZero() {
		m.Params = nil // stored as "", read back as none
	}
	out := m
	out.UpdatedAt = now()
	err := w.QueryRowContext(ctx,
		`UPDATE messages SET content = ?, decision = ?, reason = ?, thinking = ?, model = ?,
		 input_tokens = ?, output_tokens = ?, superego_ms = ?, first_token_ms = ?, total_ms = ?,
		 status = ?, error = ?, updated_at = ?, section = ?, params = ? WHERE id = ? RETURNING `+messageRefCols,
		m.Content, string(m.Decision), m.Reason, m.Thinking, m.Model, m.Usage.InputTokens, m.Usage.OutputTokens,
		m.Timings.SuperegoMs, m.Timings.FirstTokenMs, m.Timings.TotalMs, m.Status, m.Error,
		w.time(out.UpdatedAt), m.Section, model.EncodeParams(m.Params), m.ID,
	).Scan(&out.FlowInstanceID, &out.RunID, &out.Position, &out.Role, &out.ConstitutionID,
		&out.ConstitutionVersion, &out.SyspromptID, at{&out.CreatedAt})
	return out, err
}

package sqlstore

import (
	"context"

	"github.com/superego-lab/superego/internal/model"
)

// ImportConversation implements store.Imports: the instance and its
// messages are written exactly as given, in one transaction.
func (s *Store) ImportConversation(ctx context.Context, inst model.FlowInstance, msgs []model.Message) (model.FlowInstance, error) {
	err := s.tx(ctx, func(tx db) error {
		if err := checkInstanceRefs(ctx, tx, inst); err != nil {
			return err
		}
		var ovConst, ovSys, ovEnabled any
		if o := inst.Overrides; o != nil {
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
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			inst.ID, inst.FlowConfigID, inst.Name, inst.Description, inst.MessageCount, tx.nullTime(inst.LastMessageAt),
			nullStr(inst.ParentInstanceID), nullStr(inst.ForkedFromMessageID), ovConst, ovSys, ovEnabled,
			nullStr(inst.ComparisonID), inst.Version, tx.time(inst.CreatedAt), tx.time(inst.UpdatedAt))
		if err := tx.s.created(err, "flow instance", inst.ID); err != nil {
			return err
		}
		for _, m := range msgs {
			if err := insertMessage(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return model.FlowInstance{}, err
	}
	return inst, nil
}

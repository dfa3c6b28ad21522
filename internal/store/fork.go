package store

import "github.com/superego-lab/superego/internal/model"

// ForkHistory orders the messages a fork copies: every message up to the
// forked user message, plus those of earlier runs that were stored after it
// (a message sent while the previous answer was still streaming gets a
// position before that answer), with the forked message last and positions
// renumbered from 1. msgs must be ordered by position; the slice is
// reordered in place and returned.
func ForkHistory(msgs []model.Message, forkedID string) []model.Message {
	for i, m := range msgs {
		if m.ID == forkedID {
			copy(msgs[i:], msgs[i+1:])
			msgs[len(msgs)-1] = m
			break
		}
	}
	for i := range msgs {
		msgs[i].Position = i + 1
	}
	return msgs
}

// ForkQueryCondition is the SQL condition (after "flow_instance_id = {src}
// AND") selecting what a fork copies, given the source instance as {src},
// the forked message's position as {pos} and its run as {run}: messages up
// to {pos}, and messages of other runs whose user message comes before it.
// Implementations substitute their own placeholders.
const ForkQueryCondition = `(position <= {pos} OR (run_id <> '' AND run_id <> {run} AND run_id IN (
	SELECT run_id FROM messages WHERE flow_instance_id = {src} AND role = 'user' AND position < {pos})))`

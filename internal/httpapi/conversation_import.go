package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/model"
)

// Importing a conversation exported by the UI (its JSONL lines are the
// flow instance and the messages exactly as the REST API returns them).
var opImportConversation = huma.Operation{
	OperationID: "import-conversation", Method: http.MethodPost, Path: "/api/flow-instances/import",
	Summary: "Import a conversation", Tags: []string{"Flow instances"}, DefaultStatus: http.StatusCreated,
	Errors: []int{http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity},
	Description: "Stores a flow instance and its messages exactly as exported (ids, positions, times). " +
		"An id already in use is 409 (delete the original first, or edit the ids); the flow config must exist (422).",
}

func (a *API) registerImports() {
	huma.Register(a.huma, a.op(opImportConversation), a.importConversation)
}

// ConversationImport is a conversation as exported.
type ConversationImport struct {
	FlowInstance model.FlowInstance `json:"flow_instance"`
	Messages     []model.Message    `json:"messages" maxItems:"100000"`
}

type conversationImportRequest struct {
	Body ConversationImport
}

func (a *API) importConversation(ctx context.Context, in *conversationImportRequest) (*createdOutput[model.FlowInstance], error) {
	inst, msgs := in.Body.FlowInstance, in.Body.Messages
	if err := checkImport(inst, msgs); err != nil {
		return nil, err
	}
	out, err := a.deps.Store.ImportConversation(ctx, inst, msgs)
	if err != nil {
		return nil, a.fail(ctx, target{kind: kindFlowInstance, op: "import", id: inst.ID}, err)
	}
	a.publish(ctx, resFlowInstance, events.ActionCreated, out.ID, out.Version)
	return &createdOutput[model.FlowInstance]{ETag: etag(out.Version), Location: "/api/flow-instances/" + out.ID, Body: flowInstanceOut(out)}, nil
}

// checkImport refuses what the store would keep but could not be the export
// of one conversation, naming the field.
func checkImport(inst model.FlowInstance, msgs []model.Message) error {
	bad := func(loc, msg string, v any) error {
		return huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: loc, Message: msg, Value: v})
	}
	switch {
	case !model.ValidID(inst.ID):
		return bad("body.flow_instance.id", "not a valid id", inst.ID)
	case blank(inst.Name):
		return bad("body.flow_instance.name", "must not be blank", inst.Name)
	case inst.Version < 1:
		return bad("body.flow_instance.version", "must be at least 1", inst.Version)
	case inst.MessageCount != len(msgs):
		return bad("body.flow_instance.message_count", fmt.Sprintf("is %d but %d messages were sent", inst.MessageCount, len(msgs)), inst.MessageCount)
	}
	last := 0
	for i, m := range msgs {
		loc := fmt.Sprintf("body.messages[%d].", i)
		switch {
		case !model.ValidID(m.ID):
			return bad(loc+"id", "not a valid id", m.ID)
		case m.FlowInstanceID != inst.ID:
			return bad(loc+"flow_instance_id", "must be the imported flow instance's id", m.FlowInstanceID)
		case m.Role != model.RoleUser && m.Role != model.RoleSuperego && m.Role != model.RoleAssistant:
			return bad(loc+"role", "must be user, superego or assistant", m.Role)
		case m.Position <= last:
			return bad(loc+"position", "positions must increase", m.Position)
		case m.Status == "":
			return bad(loc+"status", "must not be empty", m.Status)
		}
		last = m.Position
	}
	return nil
}

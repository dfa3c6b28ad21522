package httpapi

import (
	"context"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// applySeed is a stand-in until internal/seed lands.
func applySeed(ctx context.Context, st store.Store) error {
	for _, c := range []model.Constitution{
		{Meta: model.Meta{ID: "default"}, Name: "Default", Content: "# Harm\n", Protected: true},
		{Meta: model.Meta{ID: "strict"}, Name: "Strict", Content: "# Strict\n"},
		{Meta: model.Meta{ID: "none"}, Name: "None", Content: "", Protected: true},
	} {
		if _, err := st.CreateConstitution(ctx, c); err != nil {
			return err
		}
	}
	if _, err := st.CreateSysprompt(ctx, model.Sysprompt{Meta: model.Meta{ID: "assistant_default"}, Name: "Assistant", Content: "Be helpful.", Protected: true}); err != nil {
		return err
	}
	spec := model.FlowSpec{Name: "Standard", ConstitutionID: "default", SyspromptID: "assistant_default", SuperegoEnabled: true, OnSuperegoError: "block"}
	if _, err := st.CreateFlowTemplate(ctx, model.FlowTemplate{Name: "Standard", Config: spec, IsDefault: true}); err != nil {
		return err
	}
	cfg, err := st.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: spec})
	if err != nil {
		return err
	}
	_, err = st.CreateFlowInstance(ctx, model.FlowInstance{FlowConfigID: cfg.ID, Name: "Default Session"})
	return err
}

package httpapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// Flow configs get readable slug ids like constitutions ("standard",
// "strict-trial", "strict-trial-2") instead of 26-character ULIDs, and
// instantiating a template reuses a config identical to the one it would
// make, so lists do not fill with indistinguishable copies.

// maxSlugTries bounds the -2, -3… suffixes tried before falling back to a
// generated id.
const maxSlugTries = 50

// createFlowConfigWithSlug stores a new config under the slug of its name,
// suffixed when taken; a name with no usable slug gets a generated id.
func (a *API) createFlowConfigWithSlug(ctx context.Context, spec model.FlowSpec) (model.FlowConfig, error) {
	base := model.Slugify(spec.Name)
	for n := 1; base != "" && n <= maxSlugTries; n++ {
		id := base
		if n > 1 {
			suffix := fmt.Sprintf("-%d", n)
			id = strings.TrimRight(base[:min(len(base), 64-len(suffix))], "-_") + suffix
		}
		c, err := a.deps.Store.CreateFlowConfig(ctx, model.FlowConfig{Meta: model.Meta{ID: id}, FlowSpec: spec})
		// A taken id is a conflict: try the next suffix. Any other
		// error (a missing constitution, say) is the caller's.
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		return c, err
	}
	return a.deps.Store.CreateFlowConfig(ctx, model.FlowConfig{FlowSpec: spec})
}

// identicalFlowConfig finds a stored config whose every writable field
// equals spec.
func (a *API) identicalFlowConfig(ctx context.Context, spec model.FlowSpec) (model.FlowConfig, bool, error) {
	p := store.Page{Limit: 200}
	for {
		items, next, err := a.deps.Store.ListFlowConfigs(ctx, p)
		if err != nil {
			return model.FlowConfig{}, false, err
		}
		for _, c := range items {
			if sameSpec(c.FlowSpec, spec) {
				return c, true, nil
			}
		}
		if next == "" {
			return model.FlowConfig{}, false, nil
		}
		p.Cursor = next
	}
}

// sameSpec compares flow specs by value: their parameters hold pointers,
// which == would compare by address.
func sameSpec(a, b model.FlowSpec) bool {
	if model.EncodeParams(&a.SuperegoParams) != model.EncodeParams(&b.SuperegoParams) ||
		model.EncodeParams(&a.AssistantParams) != model.EncodeParams(&b.AssistantParams) {
		return false
	}
	a.SuperegoParams, a.AssistantParams = model.ModelParams{}, model.ModelParams{}
	b.SuperegoParams, b.AssistantParams = model.ModelParams{}, model.ModelParams{}
	return a == b
}

// templateSpec is the config a template makes: its config, named and
// described like the template when the config is not.
func templateSpec(t model.FlowTemplate) model.FlowSpec {
	spec := t.Config
	if spec.Name == "" {
		spec.Name = t.Name
	}
	if spec.Description == "" {
		spec.Description = t.Description
	}
	return spec
}

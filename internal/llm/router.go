package llm

import (
	"context"
	"fmt"
)

// Resolver is implemented by a Provider that can say which model a
// reference means; the engine records that name on the messages.
type Resolver interface {
	// Resolve returns the model reference a request for ref will use: an
	// empty ref means the default model for purpose, and a demo model is
	// always the demo's own (its rules answer whatever a config names).
	Resolve(ref string, purpose Purpose) string
}

// Router is the Provider of a Catalog: it sends each request to the
// backend its model reference names ("anthropic:claude-sonnet-4-5"; a bare
// name means the default provider), with the provider prefix removed. A
// backend that is not configured fails only the requests that name it,
// with an error naming it (ErrNotConfigured).
type Router struct {
	def      string
	backends map[string]*Backend
}

// NewRouter routes over backends; def names the default provider.
func NewRouter(def string, backends []*Backend) *Router {
	r := &Router{def: def, backends: map[string]*Backend{}}
	for _, b := range backends {
		r.backends[b.Name] = b
	}
	return r
}

// Name is the default provider's name.
func (r *Router) Name() string { return r.def }

// Resolve implements Resolver.
func (r *Router) Resolve(ref string, purpose Purpose) string {
	name, m := SplitModel(ref, r.def)
	b := r.backends[name]
	if b != nil && (m == "" || b.Demo) {
		m = b.SuperegoModel
		if purpose == PurposeAssistant {
			m = b.AssistantModel
		}
	}
	if name == r.def {
		return m
	}
	return JoinModel(name, m)
}

// Stream implements Provider.
func (r *Router) Stream(ctx context.Context, req Request, emit func(Event) error) error {
	name, m := SplitModel(req.Model, r.def)
	b := r.backends[name]
	if b == nil || b.Provider == nil {
		why := "unknown provider"
		if b != nil && b.Err != "" {
			why = b.Err
		}
		return &StreamError{Provider: name, Err: fmt.Errorf("%w: %s", ErrNotConfigured, why)}
	}
	req.Model = r.Resolve(JoinModel(name, m), req.Purpose)
	if _, bare := SplitModel(req.Model, ""); bare != "" {
		req.Model = bare
	}
	return b.Provider.Stream(ctx, req, emit)
}

// Package seed writes Superego's first-start data: the default, strict and
// empty constitutions, the default system prompt, the "Standard" and
// "No Superego" flows, and a "Default Session" to talk to at once.
//
// Seeding happens once per database. Afterwards the data belongs to the
// user: a deleted or edited seed stays deleted or edited across restarts.
package seed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// Ids of the seeded objects.
const (
	ConstitutionDefault = "default"
	ConstitutionStrict  = "strict"
	ConstitutionNone    = "none"
	SyspromptDefault    = "assistant_default"
	FlowStandard        = "standard"    // flow config and flow template
	FlowNoSuperego      = "no-superego" // flow config and flow template
	InstanceDefault     = "default-session"
)

// Apply writes the seed data unless the store was seeded before. An object
// that already exists is left alone, so a start that died half-way through
// seeding completes on the next start without touching what was written.
func Apply(ctx context.Context, s store.Store, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	done, err := s.Seeded(ctx)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if done {
		return upgradeTexts(ctx, s, log)
	}

	standard := model.FlowSpec{
		Name:            "Standard",
		Description:     "The superego screens each message against the default constitution before the assistant answers.",
		ConstitutionID:  ConstitutionDefault,
		SyspromptID:     SyspromptDefault,
		SuperegoEnabled: true,
		OnSuperegoError: model.OnErrorBlock,
	}
	noSuperego := model.FlowSpec{
		Name:            "No Superego",
		Description:     "The assistant answers directly, with no screening: the baseline to compare against.",
		ConstitutionID:  ConstitutionNone,
		SyspromptID:     SyspromptDefault,
		SuperegoEnabled: false,
		OnSuperegoError: model.OnErrorBlock,
	}

	steps := []struct {
		what  string
		write func() error
	}{
		{"constitution " + ConstitutionDefault, func() error {
			_, err := s.CreateConstitution(ctx, model.Constitution{
				Meta: model.Meta{ID: ConstitutionDefault}, Name: "Default", Protected: true,
				Description: "Balanced harm-prevention principles: allow the ordinary, caution the sensitive, block the dangerous.",
				Content:     defaultConstitution,
			})
			return err
		}},
		{"constitution " + ConstitutionStrict, func() error {
			_, err := s.CreateConstitution(ctx, model.Constitution{
				Meta: model.Meta{ID: ConstitutionStrict}, Name: "Strict",
				Description: "Lower thresholds for settings where mistakes are costly.",
				Content:     strictConstitution,
			})
			return err
		}},
		{"constitution " + ConstitutionNone, func() error {
			_, err := s.CreateConstitution(ctx, model.Constitution{
				Meta: model.Meta{ID: ConstitutionNone}, Name: "None", Protected: true,
				Description: "No rules: everything is allowed. A control for experiments.",
			})
			return err
		}},
		{"sysprompt " + SyspromptDefault, func() error {
			_, err := s.CreateSysprompt(ctx, model.Sysprompt{
				Meta: model.Meta{ID: SyspromptDefault}, Name: "Assistant default", Protected: true,
				Content: assistantDefaultPrompt,
			})
			return err
		}},
		{"flow config " + FlowStandard, func() error {
			_, err := s.CreateFlowConfig(ctx, model.FlowConfig{Meta: model.Meta{ID: FlowStandard}, FlowSpec: standard})
			return err
		}},
		{"flow config " + FlowNoSuperego, func() error {
			_, err := s.CreateFlowConfig(ctx, model.FlowConfig{Meta: model.Meta{ID: FlowNoSuperego}, FlowSpec: noSuperego})
			return err
		}},
		{"flow template " + FlowStandard, func() error {
			_, err := s.CreateFlowTemplate(ctx, model.FlowTemplate{
				Meta: model.Meta{ID: FlowStandard}, Name: standard.Name, Description: standard.Description,
				Config: standard, IsDefault: true,
			})
			return err
		}},
		{"flow template " + FlowNoSuperego, func() error {
			_, err := s.CreateFlowTemplate(ctx, model.FlowTemplate{
				Meta: model.Meta{ID: FlowNoSuperego}, Name: noSuperego.Name, Description: noSuperego.Description,
				Config: noSuperego,
			})
			return err
		}},
		{"flow instance " + InstanceDefault, func() error {
			_, err := s.CreateFlowInstance(ctx, model.FlowInstance{
				Meta: model.Meta{ID: InstanceDefault}, FlowConfigID: FlowStandard, Name: "Default Session",
				Description: "A first conversation on the Standard flow.",
			})
			return err
		}},
	}
	for _, st := range steps {
		err := st.write()
		switch {
		case errors.Is(err, store.ErrConflict):
			log.Info("seed object already present, kept", "object", st.what)
		case err != nil:
			return fmt.Errorf("seed %s: %w", st.what, err)
		}
	}
	if err := s.MarkSeeded(ctx); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	log.Info("seed data written", "objects", len(steps))
	return nil
}

// upgradeTexts brings the seeded default and strict constitutions up to
// the current seed text when they still read exactly as first seeded
// before the demo rules were written into them, so a database from then
// keeps its demo behaviour. A constitution the user has edited is left alone.
func upgradeTexts(ctx context.Context, s store.Store, log *slog.Logger) error {
	for id, text := range map[string]string{ConstitutionDefault: defaultConstitution, ConstitutionStrict: strictConstitution} {
		c, err := s.GetConstitution(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		if c.Content != withoutDemoRules(text) {
			continue
		}
		c.Content = text
		_, err = s.UpdateConstitution(ctx, c, c.Version)
		switch {
		case errors.Is(err, store.ErrVersionMismatch) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound):
			continue // changed or deleted meanwhile: the user's edit wins
		case err != nil:
			return fmt.Errorf("seed: upgrade constitution %s: %w", id, err)
		}
		log.Info("seeded constitution given its demo rules", "constitution", id)
	}
	return nil
}

// withoutDemoRules returns a seed text as it was before demo rules were
// added: without its "Demo:" paragraphs and the paragraph explaining them.
func withoutDemoRules(text string) string {
	paras := strings.Split(text, "\n\n")
	kept := paras[:0:0]
	for _, p := range paras {
		if strings.HasPrefix(p, "Demo:") || strings.HasPrefix(p, demoExplanation) {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "\n\n")
}

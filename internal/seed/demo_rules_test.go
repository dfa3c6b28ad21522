package seed

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/superego-lab/superego/internal/constitution"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/store/sqlite"
)

// legacyScreen is the demo's fixed keyword list from before it read the
// constitution, written out again here: the seeded constitutions must make
// the demo decide exactly as it did.
func legacyScreen(msg string) model.Decision {
	words := strings.FieldsFunc(strings.ToLower(msg), func(r rune) bool { return !unicode.IsLetter(r) })
	has := func(phrase ...string) bool {
		for i := 0; i+len(phrase) <= len(words); i++ {
			ok := true
			for j, k := range phrase {
				w := words[i+j]
				ok = ok && (w == k || w == k+"s" || w == k+"es")
			}
			if ok {
				return true
			}
		}
		return false
	}
	for _, k := range []string{"weapon", "bomb", "explosive", "poison", "malware"} {
		if has(k) {
			return model.DecisionBlock
		}
	}
	for _, k := range []string{"dose", "dosage", "medication", "invest", "investing", "investment", "password"} {
		if has(k) {
			return model.DecisionCaution
		}
	}
	if has("legal", "advice") {
		return model.DecisionCaution
	}
	return model.DecisionAllow
}

func TestSeededConstitutionsKeepTheDemoBehaviour(t *testing.T) {
	t.Parallel()
	words := []string{"weapon", "bomb", "explosive", "poison", "malware", "dose", "dosage", "medication",
		"invest", "investing", "investment", "password", "legal", "advice", "cat", "bombastic", "passwordless",
		"investor", "doze", "toxic", "gun", "hack", "money", "law"}
	var msgs []string
	for _, w := range words {
		msgs = append(msgs, w, "Tell me about "+strings.ToUpper(w[:1])+w[1:]+"s today", w+"es?", "pre-"+w+"-post")
		for _, v := range words[:14] {
			msgs = append(msgs, w+" "+v, v+", then "+w)
		}
	}
	msgs = append(msgs, "I need legal advice", "legal: advice", "is it legal to give advice", "")
	for name, text := range map[string]string{"default": defaultConstitution, "strict": strictConstitution} {
		rules := constitution.DemoRules(text)
		counts := map[model.Decision]int{}
		for _, m := range msgs {
			want := legacyScreen(m)
			got := constitution.Screen(rules, m)
			counts[want]++
			if got.Decision != want {
				t.Errorf("%s: %q decided %s, the demo decided %s before", name, m, got.Decision, want)
			}
			if want != model.DecisionAllow && got.Rule.Section.ID == "" {
				t.Errorf("%s: %q decided outside any section", name, m)
			}
		}
		if counts[model.DecisionAllow] == 0 || counts[model.DecisionCaution] == 0 || counts[model.DecisionBlock] == 0 {
			t.Fatalf("the messages do not cover every decision: %v", counts)
		}
	}
}

func TestUpgradeGivesUntouchedSeedsTheirDemoRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := Apply(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	// As a database seeded before the demo rules: default as first seeded,
	// strict as first seeded and then edited by the user.
	def := mustGet(t, s, ConstitutionDefault)
	def.Content = withoutDemoRules(defaultConstitution)
	def = mustUpdate(t, s, def)
	strict := mustGet(t, s, ConstitutionStrict)
	strict.Content = withoutDemoRules(strictConstitution) + "\n## Mine\nMy own rule.\n"
	strict = mustUpdate(t, s, strict)
	if strings.Contains(def.Content, "Demo:") {
		t.Fatal("the legacy text still has demo rules")
	}

	if err := Apply(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, s, ConstitutionDefault)
	if got.Content != defaultConstitution || got.Version != def.Version+1 {
		t.Errorf("default: version %d (was %d), upgraded %v", got.Version, def.Version, got.Content == defaultConstitution)
	}
	if g := mustGet(t, s, ConstitutionStrict); g.Content != strict.Content || g.Version != strict.Version {
		t.Errorf("the user's edited strict constitution was changed")
	}
	// A second start changes nothing more.
	if err := Apply(ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	if g := mustGet(t, s, ConstitutionDefault); g.Version != got.Version {
		t.Errorf("a second start bumped the version again")
	}
}

func mustGet(t *testing.T, s store.Store, id string) model.Constitution {
	t.Helper()
	c, err := s.GetConstitution(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustUpdate(t *testing.T, s store.Store, c model.Constitution) model.Constitution {
	t.Helper()
	c, err := s.UpdateConstitution(context.Background(), c, store.Any)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

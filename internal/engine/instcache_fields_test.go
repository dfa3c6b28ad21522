package engine

import (
	"reflect"
	"testing"
	"time"

	"github.com/superego-lab/superego/internal/model"
)

// A kept instance is exact only while sameInstance compares every field a
// run depends on. Each field of model.FlowInstance (and of its Meta and
// Overrides) must be one sameInstance tells apart — checked here by
// changing it alone — or one listed as no run's concern: a field added to
// the model fails this test until it is placed in one or the other.
func TestSameInstanceComparesEveryFieldARunReads(t *testing.T) {
	notRead := map[string]string{
		"UpdatedAt":           "changes with the version, which is compared",
		"Name":                "shown to people, never sent to a model",
		"Description":         "shown to people, never sent to a model",
		"MessageCount":        "the conversation's, which the history checks on its own (historyReader.check)",
		"LastMessageAt":       "the conversation's",
		"ParentInstanceID":    "a fork's origin; its messages are its own copies",
		"ForkedFromMessageID": "a fork's origin; its messages are its own copies",
	}
	str, on := "x", true
	base := model.FlowInstance{
		Meta:         model.Meta{ID: "i", CreatedAt: time.Unix(1, 0), UpdatedAt: time.Unix(1, 0), Version: 1},
		FlowConfigID: "f", ComparisonID: "c",
		Overrides: &model.Overrides{ConstitutionID: &str, SyspromptID: &str, SuperegoEnabled: &on},
	}
	cur := base
	ov := *base.Overrides
	cur.Overrides = &ov
	if !sameInstance(base, cur) {
		t.Fatal("sameInstance tells apart two copies of one instance")
	}
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		for i := range v.NumField() {
			f, fv := v.Type().Field(i), v.Field(i)
			switch {
			case f.Anonymous:
				walk(path, fv)
				continue
			case f.Name == "Overrides":
				walk(path+"Overrides.", fv.Elem())
				continue
			}
			if _, ok := notRead[f.Name]; ok && path == "" {
				continue
			}
			old := reflect.ValueOf(fv.Interface())
			fv.Set(changed(t, path+f.Name, fv))
			if sameInstance(base, cur) {
				t.Errorf("sameInstance does not tell apart a change of %s%s: compare it there, or list it as not read by runs", path, f.Name)
			}
			fv.Set(old)
		}
	}
	walk("", reflect.ValueOf(&cur).Elem())
}

// changed is a value of v's type that differs from v.
func changed(t *testing.T, name string, v reflect.Value) reflect.Value {
	switch x := v.Interface().(type) {
	case string:
		return reflect.ValueOf(x + "-other")
	case int:
		return reflect.ValueOf(x + 1)
	case time.Time:
		return reflect.ValueOf(x.Add(time.Second))
	case *string:
		other := "other"
		return reflect.ValueOf(&other)
	case *bool:
		other := !*x
		return reflect.ValueOf(&other)
	}
	t.Fatalf("field %s: no way to change a %s here; extend changed", name, v.Type())
	return reflect.Value{}
}

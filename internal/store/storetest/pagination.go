package storetest

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/store"
)

// lister adapts one list method to ids, so every list walks the same way.
type lister func(p store.Page) ([]string, string, error)

func ids[T any](items []T, next string, err error, id func(T) string) ([]string, string, error) {
	out := make([]string, len(items))
	for k, it := range items {
		out[k] = id(it)
	}
	return out, next, err
}

// walk pages through a list 5 at a time and checks that the pages are full
// until the last, that no id repeats and that all want ids appear, in order.
func walk(t *testing.T, name string, list lister, want []string) {
	t.Helper()
	var got []string
	seen := map[string]bool{}
	p := store.Page{Limit: 5}
	for pages := 0; ; pages++ {
		if pages > len(want) {
			t.Fatalf("%s: more pages than items; the cursor does not advance", name)
		}
		items, next, err := list(p)
		if err != nil {
			t.Fatalf("%s page %d: %v", name, pages+1, err)
		}
		if len(items) > 5 || (next != "" && len(items) != 5) {
			t.Errorf("%s page %d: %d items with next %q", name, pages+1, len(items), next)
		}
		for _, id := range items {
			if seen[id] {
				t.Errorf("%s: %s appears twice", name, id)
			}
			seen[id] = true
		}
		got = append(got, items...)
		if next == "" {
			break
		}
		p.Cursor = next
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: walked %v\nwant %v", name, got, want)
	}

	// The default page holds them all when there are fewer than 50.
	all, next, err := list(store.Page{})
	if err != nil || next != "" || !slices.Equal(all, want) {
		t.Errorf("%s, one page: %v next %q err %v", name, all, next, err)
	}

	for _, bad := range []string{"!!not-base64!!", base64.RawURLEncoding.EncodeToString([]byte("garbage")), "e30x"} {
		_, _, err := list(store.Page{Limit: 5, Cursor: bad})
		wantErr(t, name+" with cursor "+bad, err, store.ErrBadCursor)
	}
}

func testPagination(t *testing.T, f Factory) {
	const n = 23
	s := open(t, f)
	ctx := t.Context()
	mustConstitution(t, s, "c")
	mustSysprompt(t, s, "p")

	// Ids are created out of order so an insertion-ordered list would fail.
	var want []string
	for k := range n {
		want = append(want, fmt.Sprintf("x%02d", (k*7)%n))
	}
	sorted := slices.Sorted(slices.Values(want))

	var wantConst, wantSys []string
	for _, id := range want {
		mustConstitution(t, s, id)
		mustSysprompt(t, s, id)
		mustConfig(t, s, id, "c", "p")
		if _, err := s.CreateFlowTemplate(ctx, model.FlowTemplate{Meta: meta(id), Name: id, Config: spec("c", "p")}); err != nil {
			t.Fatal(err)
		}
	}
	wantConst = append(slices.Clone(sorted), "c")
	slices.Sort(wantConst)
	wantSys = append(slices.Clone(sorted), "p")
	slices.Sort(wantSys)

	walk(t, "constitutions", func(p store.Page) ([]string, string, error) {
		items, next, err := s.ListConstitutions(ctx, p)
		return ids(items, next, err, func(c model.Constitution) string { return c.ID })
	}, wantConst)
	walk(t, "sysprompts", func(p store.Page) ([]string, string, error) {
		items, next, err := s.ListSysprompts(ctx, p)
		return ids(items, next, err, func(c model.Sysprompt) string { return c.ID })
	}, wantSys)
	walk(t, "flow configs", func(p store.Page) ([]string, string, error) {
		items, next, err := s.ListFlowConfigs(ctx, p)
		return ids(items, next, err, func(c model.FlowConfig) string { return c.ID })
	}, sorted)
	walk(t, "flow templates", func(p store.Page) ([]string, string, error) {
		items, next, err := s.ListFlowTemplates(ctx, p)
		return ids(items, next, err, func(c model.FlowTemplate) string { return c.ID })
	}, sorted)

	// Instances: newest first. The expected order is what the stored
	// created_at and id say, checked against creation order too.
	var made []model.FlowInstance
	for k := range n {
		made = append(made, mustInstance(t, s, model.FlowInstance{FlowConfigID: sorted[0], Name: fmt.Sprint(k)}))
	}
	wantInst := make([]string, 0, n)
	slices.SortStableFunc(made, func(a, b model.FlowInstance) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	for _, i := range made {
		wantInst = append(wantInst, i.ID)
	}
	walk(t, "flow instances", func(p store.Page) ([]string, string, error) {
		items, next, err := s.ListFlowInstances(ctx, store.InstanceFilter{}, p)
		return ids(items, next, err, func(c model.FlowInstance) string { return c.ID })
	}, wantInst)

	// Messages: conversation order.
	inst := made[0].ID
	var wantMsgs []string
	for range n {
		wantMsgs = append(wantMsgs, mustAppend(t, s, model.Message{FlowInstanceID: inst, Role: model.RoleUser, Content: "m"}).ID)
	}
	walk(t, "messages", func(p store.Page) ([]string, string, error) {
		items, next, err := s.ListMessages(ctx, inst, p)
		return ids(items, next, err, func(m model.Message) string { return m.ID })
	}, wantMsgs)

	// Constitution versions: oldest first.
	c, _ := s.GetConstitution(ctx, "c")
	for range n - 1 {
		var err error
		if c, err = s.UpdateConstitution(ctx, c, c.Version); err != nil {
			t.Fatal(err)
		}
	}
	var wantVersions []string
	for v := 1; v <= n; v++ {
		wantVersions = append(wantVersions, fmt.Sprint(v))
	}
	walk(t, "constitution versions", func(p store.Page) ([]string, string, error) {
		items, next, err := s.ListConstitutionVersions(ctx, "c", p)
		return ids(items, next, err, func(v model.ConstitutionVersion) string { return fmt.Sprint(v.Version) })
	}, wantVersions)
}

// testPaginationWhileWriting creates objects between the pages of a walk,
// as other users do while someone scrolls. Every object that existed when
// the walk began must appear exactly once (an offset-based cursor would
// repeat items after an insert at the front, or skip some after one at the
// back).
func testPaginationWhileWriting(t *testing.T, f Factory) {
	s := open(t, f)
	ctx := t.Context()
	mustConstitution(t, s, "c")
	mustSysprompt(t, s, "p")
	cfg := mustConfig(t, s, "cfg", "c", "p")

	var before []string
	for k := range 10 {
		before = append(before, mustInstance(t, s, model.FlowInstance{FlowConfigID: cfg.ID, Name: fmt.Sprint(k)}).ID)
	}
	seen := map[string]int{}
	p := store.Page{Limit: 3}
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("flow instances: the cursor does not advance")
		}
		items, next, err := s.ListFlowInstances(ctx, store.InstanceFilter{}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range items {
			seen[i.ID]++
		}
		if next == "" {
			break
		}
		p.Cursor = next
		// A newer instance lands before the cursor (newest first).
		mustInstance(t, s, model.FlowInstance{FlowConfigID: cfg.ID, Name: "new"})
	}
	for _, id := range before {
		if seen[id] != 1 {
			t.Errorf("flow instance %s seen %d times, want once", id, seen[id])
		}
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("flow instance %s seen %d times", id, n)
		}
	}

	// Id-ordered lists: inserts on both sides of the cursor. Those behind it
	// are not seen; those ahead of it are, once.
	for _, id := range []string{"m1", "m3", "m5", "m7"} {
		mustConstitution(t, s, id)
	}
	seen = map[string]int{}
	p = store.Page{Limit: 2}
	// After each page one id behind the cursor and one ahead of it.
	inserts := [][2]string{{"a0", "z9"}, {"b0", "y9"}}
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("constitutions: the cursor does not advance")
		}
		items, next, err := s.ListConstitutions(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range items {
			seen[c.ID]++
		}
		if next == "" {
			break
		}
		p.Cursor = next
		if len(inserts) > 0 {
			mustConstitution(t, s, inserts[0][0])
			mustConstitution(t, s, inserts[0][1])
			inserts = inserts[1:]
		}
	}
	for _, id := range []string{"c", "m1", "m3", "m5", "m7", "z9", "y9"} {
		if seen[id] != 1 {
			t.Errorf("constitution %s seen %d times, want once (seen: %v)", id, seen[id], seen)
		}
	}
	for _, id := range []string{"a0", "b0"} {
		if seen[id] != 0 {
			t.Errorf("constitution %s, created behind the cursor, seen %d times", id, seen[id])
		}
	}
}

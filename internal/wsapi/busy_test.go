package wsapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/superego-lab/superego/internal/store"
	"github.com/superego-lab/superego/internal/wsapi"
)

// saturated is a store whose admission says its writer is saturated.
type saturated struct{ store.Store }

func (saturated) Busy() error {
	return fmt.Errorf("%w: 5000 writes are waiting for the database", store.ErrBusy)
}

// TestBusyStoreRefusesNewRuns: when the store reports it is saturated, a
// new run is refused with code busy and nothing is stored for it.
func TestBusyStoreRefusesNewRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{store: func(st store.Store) store.Store { return saturated{st} }})
	before, _, err := e.st.ListMessages(t.Context(), e.instance, store.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	c := e.dial()
	c.send(sendMessage("b1", e.instance, "Hello"))
	f := c.expectError(wsapi.CodeBusy, "b1")
	if !strings.Contains(f.Msg, "retry") {
		t.Errorf("busy message %q does not say to retry", f.Msg)
	}
	after, _, err := e.st.ListMessages(t.Context(), e.instance, store.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Fatalf("a refused run stored %d messages", len(after)-len(before))
	}
}

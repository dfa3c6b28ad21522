// Package store defines Superego's persistence contract. Implementations live
// in sub-packages (sqlite, postgres) and must all pass the shared contract
// suite in storetest.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/superego-lab/superego/internal/model"
)

// Sentinel errors. Implementations wrap them so callers use errors.Is.
var (
	// ErrNotFound: no object with that id.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the write clashes with existing state (duplicate id,
	// protected object, object still referenced).
	ErrConflict = errors.New("conflict")
	// ErrVersionMismatch: an If-Match version did not match the stored one.
	ErrVersionMismatch = errors.New("version mismatch")
	// ErrInvalidReference: a field names an object that does not exist.
	ErrInvalidReference = errors.New("invalid reference")
)

// InUseError reports that an object cannot be deleted because others refer
// to it. It matches ErrConflict.
type InUseError struct {
	Resource string   // e.g. "constitution"
	ID       string   // the object that was to be deleted
	RefBy    []string // "flow-config:abc", "flow-instance:xyz", ...
}

// Error names the object and everything that still refers to it.
func (e *InUseError) Error() string {
	return fmt.Sprintf("%s %q is still referenced by %s", e.Resource, e.ID, strings.Join(e.RefBy, ", "))
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *InUseError) Is(target error) bool { return target == ErrConflict }

// RefError reports a field that names a missing object. It matches
// ErrInvalidReference.
type RefError struct {
	Field string // JSON field name, e.g. "constitution_id"
	ID    string
}

// Error names the field and the id it pointed at.
func (e *RefError) Error() string {
	return fmt.Sprintf("%s: %q does not exist", e.Field, e.ID)
}

// Is makes errors.Is(err, ErrInvalidReference) true.
func (e *RefError) Is(target error) bool { return target == ErrInvalidReference }

// Page selects a slice of a list. Cursor is opaque and comes from a previous
// page's next cursor; Limit <= 0 means the default (50); the maximum is 200.
type Page struct {
	Limit  int
	Cursor string
}

// Size returns the effective page size.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return 50
	case p.Limit > 200:
		return 200
	}
	return p.Limit
}

// ErrBadCursor is returned (wrapped) for a cursor the store cannot decode.
var ErrBadCursor = errors.New("invalid cursor")

// ErrBusy is returned (wrapped, with the reason) by Admission.Busy when the
// database is saturated: new work should be refused for now and retried
// later, while the writes of work under way go on.
var ErrBusy = errors.New("busy")

// Admission is implemented by stores that can tell when to refuse new work
// (the SQLite store, whose one writer can be saturated).
type Admission interface {
	// Busy returns nil, or an error matching ErrBusy that says why.
	Busy() error
}

// RunEnder is implemented by stores that store a run's end and the final
// state of its last message in one transaction (EndRunWithMessage): one
// write instead of two at the end of every run.
type RunEnder interface {
	// EndRunWithMessage stores m as UpdateMessage does and r's end as
	// EndRun does, in one write: the message is stored even when the run
	// was found already ended (ErrConflict, with the run as stored, as
	// EndRun returns it); when the message cannot be stored, neither is.
	// Both writes can be repeated, so a caller retries the whole on error.
	EndRunWithMessage(ctx context.Context, r model.Run, m model.Message) (model.Run, model.Message, error)
}

// Any is the If-Match value meaning "whatever the current version is".
const Any = 0

// InstanceFilter narrows ListFlowInstances.
type InstanceFilter struct {
	ComparisonID string
}

// Store is everything Superego persists. Every method takes ctx first. Lists
// return the items and the cursor of the next page ("" at the end).
// Update and Delete take ifVersion: Any, or the version the caller last saw
// (ErrVersionMismatch otherwise). Creates fill ID (when empty), CreatedAt,
// UpdatedAt and Version (1) and return the stored object; a duplicate id is
// ErrConflict.
//
// Conventions the contract suite (storetest) checks: an empty optional
// reference (a config's constitution_id or sysprompt_id) means "none" and is
// not checked; times are UTC at microsecond precision; appending messages
// changes an instance's message_count and last_message_at but not its
// version, so a growing conversation never fails an If-Match on its name.
//
// A caller that uses a part takes the smaller interface it needs (Runner
// for the engine, or one resource's interface below).
type Store interface {
	Constitutions
	Sysprompts
	FlowConfigs
	FlowTemplates
	FlowInstances
	Messages
	Runs
	Search
	Imports

	// Seeded reports whether first-start seed data was written; MarkSeeded
	// records that it was, so deleted seeds stay deleted.
	Seeded(ctx context.Context) (bool, error)
	MarkSeeded(ctx context.Context) error

	// Ping checks the database is reachable.
	Ping(ctx context.Context) error
	Close() error
}

// Runner is what executing runs needs: a flow's definition read, its
// conversation grown and its runs recorded.
type Runner interface {
	GetConstitution(ctx context.Context, id string) (model.Constitution, error)
	// GetConstitutionVersion: explaining a past decision ablates the text
	// it was made under.
	GetConstitutionVersion(ctx context.Context, id string, version int) (model.ConstitutionVersion, error)
	GetSysprompt(ctx context.Context, id string) (model.Sysprompt, error)
	GetFlowConfig(ctx context.Context, id string) (model.FlowConfig, error)
	GetFlowInstance(ctx context.Context, id string) (model.FlowInstance, error)
	ListFlowInstances(ctx context.Context, f InstanceFilter, p Page) ([]model.FlowInstance, string, error)
	CreateFlowInstance(ctx context.Context, i model.FlowInstance) (model.FlowInstance, error)
	ForkFlowInstance(ctx context.Context, messageID string, fork model.FlowInstance) (model.FlowInstance, error)
	Messages
	Runs
}

// Constitutions are the constitutions and their kept versions.
type Constitutions interface {
	ListConstitutions(ctx context.Context, p Page) ([]model.Constitution, string, error)
	GetConstitution(ctx context.Context, id string) (model.Constitution, error)
	CreateConstitution(ctx context.Context, c model.Constitution) (model.Constitution, error)
	// UpdateConstitution replaces name, description and content, bumps the
	// version and keeps the old text in the history.
	UpdateConstitution(ctx context.Context, c model.Constitution, ifVersion int) (model.Constitution, error)
	// DeleteConstitution fails with ErrConflict for protected ones and with
	// *InUseError when a flow config, template or instance override uses it.
	DeleteConstitution(ctx context.Context, id string, ifVersion int) error
	ListConstitutionVersions(ctx context.Context, id string, p Page) ([]model.ConstitutionVersion, string, error)
	GetConstitutionVersion(ctx context.Context, id string, version int) (model.ConstitutionVersion, error)
}

// Sysprompts are the system prompts.
type Sysprompts interface {
	ListSysprompts(ctx context.Context, p Page) ([]model.Sysprompt, string, error)
	GetSysprompt(ctx context.Context, id string) (model.Sysprompt, error)
	CreateSysprompt(ctx context.Context, s model.Sysprompt) (model.Sysprompt, error)
	UpdateSysprompt(ctx context.Context, s model.Sysprompt, ifVersion int) (model.Sysprompt, error)
	DeleteSysprompt(ctx context.Context, id string, ifVersion int) error
}

// FlowConfigs are the flow configs: a missing constitution or sysprompt is
// a *RefError.
type FlowConfigs interface {
	ListFlowConfigs(ctx context.Context, p Page) ([]model.FlowConfig, string, error)
	GetFlowConfig(ctx context.Context, id string) (model.FlowConfig, error)
	CreateFlowConfig(ctx context.Context, c model.FlowConfig) (model.FlowConfig, error)
	UpdateFlowConfig(ctx context.Context, c model.FlowConfig, ifVersion int) (model.FlowConfig, error)
	DeleteFlowConfig(ctx context.Context, id string, ifVersion int) error
}

// FlowTemplates are the flow templates: at most one is default; making one
// default clears the flag on the others (their versions grow).
type FlowTemplates interface {
	ListFlowTemplates(ctx context.Context, p Page) ([]model.FlowTemplate, string, error)
	GetFlowTemplate(ctx context.Context, id string) (model.FlowTemplate, error)
	CreateFlowTemplate(ctx context.Context, t model.FlowTemplate) (model.FlowTemplate, error)
	UpdateFlowTemplate(ctx context.Context, t model.FlowTemplate, ifVersion int) (model.FlowTemplate, error)
	DeleteFlowTemplate(ctx context.Context, id string, ifVersion int) error
	// InstantiateFlowTemplate creates, in one transaction, a flow config from
	// the template's config and a flow instance on it.
	InstantiateFlowTemplate(ctx context.Context, templateID, instanceName string) (model.FlowConfig, model.FlowInstance, error)
}

// FlowInstances are the conversations' instances. They list newest first.
// Create/Update write only flow_config_id, name and description (plus, on
// create, the read-only fork and comparison fields the engine sets).
type FlowInstances interface {
	ListFlowInstances(ctx context.Context, f InstanceFilter, p Page) ([]model.FlowInstance, string, error)
	GetFlowInstance(ctx context.Context, id string) (model.FlowInstance, error)
	CreateFlowInstance(ctx context.Context, i model.FlowInstance) (model.FlowInstance, error)
	UpdateFlowInstance(ctx context.Context, i model.FlowInstance, ifVersion int) (model.FlowInstance, error)
	// DeleteFlowInstance removes the instance with its messages and runs.
	DeleteFlowInstance(ctx context.Context, id string, ifVersion int) error
	// ForkFlowInstance creates a new instance holding copies of the
	// messages of src up to and including messageID (a user message),
	// with parent and override fields set. The source is not changed.
	// A missing message is ErrNotFound, a non-user one ErrInvalidReference;
	// missing override targets are *RefError "constitution_id" or
	// "sysprompt_id". An empty fork.FlowConfigID means the source's config.
	ForkFlowInstance(ctx context.Context, messageID string, fork model.FlowInstance) (model.FlowInstance, error)
}

// Messages are a conversation's messages, oldest first.
type Messages interface {
	ListMessages(ctx context.Context, instanceID string, p Page) ([]model.Message, string, error)
	GetMessage(ctx context.Context, id string) (model.Message, error)
	// RecentMessages reads a conversation from its newest end: up to limit
	// messages of the instance positioned before before (0: from the end),
	// newest first. Its cost depends on limit, not on the conversation's
	// length. An unknown instance has no messages.
	RecentMessages(ctx context.Context, instanceID string, before, limit int) ([]model.Message, error)
	// RecentHistory is RecentMessages with only the fields a history is
	// made of set: ID, FlowInstanceID, RunID, Position, Role, Content,
	// Decision and Status; the others are zero.
	RecentHistory(ctx context.Context, instanceID string, before, limit int) ([]model.Message, error)
	// AppendMessage assigns ID (when empty), Position, CreatedAt and
	// UpdatedAt, and bumps the instance's message_count and
	// last_message_at.
	AppendMessage(ctx context.Context, m model.Message) (model.Message, error)
	// UpdateMessage rewrites the mutable fields of a message (content,
	// decision, reason, thinking, model, usage, timings, status, error).
	UpdateMessage(ctx context.Context, m model.Message) (model.Message, error)
}

// Runs are the records of runs.
type Runs interface {
	CreateRun(ctx context.Context, r model.Run) (model.Run, error)
	// StartRun creates r (as CreateRun) and appends msgs to its instance's
	// conversation, in order (as AppendMessage), in one transaction: a run
	// is never stored without the messages it starts with, nor they
	// without it. It returns both as stored. check, when not nil, is given
	// the run's instance as it is inside that transaction, its row locked;
	// an error from it stores nothing
	// and is returned as is. A caller that started the run from an
	// instance it read earlier checks that it is still so.
	StartRun(ctx context.Context, r model.Run, msgs []model.Message, check func(model.FlowInstance) error) (model.Run, []model.Message, error)
	GetRun(ctx context.Context, id string) (model.Run, error)
	UpdateRun(ctx context.Context, r model.Run) (model.Run, error)
	// EndRun stores a run's end like UpdateRun, but only while the run is
	// still running: of two ends (its replica's own, and a sweep's after
	// the replica's lease lapsed) exactly one is stored. For a run already
	// ended it changes nothing and returns the stored run with an error
	// matching ErrConflict.
	EndRun(ctx context.Context, r model.Run) (model.Run, error)
	// InterruptRunning marks every run still "running" (and its streaming
	// messages) as interrupted, keeping partial text. It returns how many.
	InterruptRunning(ctx context.Context) (int, error)
}

// Search finds words across the lab's text: messages, constitutions and
// conversation names (SQLite FTS5, PostgreSQL full-text search).
type Search interface {
	// Search returns up to limit hits for the words of query, best first:
	// every word must occur, the last one may be the start of a word.
	// Punctuation is ignored; a query without a word returns nothing.
	Search(ctx context.Context, query string, limit int) ([]model.SearchHit, error)
}

// Imports writes exported data back.
type Imports interface {
	// ImportConversation stores a flow instance and its messages exactly
	// as given (ids, positions, times, counters). An id already in use is
	// ErrConflict; a missing flow config is a *RefError.
	ImportConversation(ctx context.Context, inst model.FlowInstance, msgs []model.Message) (model.FlowInstance, error)
}

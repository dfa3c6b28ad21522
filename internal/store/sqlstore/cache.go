package sqlstore

import (
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
)

// The read-through cache of rows by id (Dialect.Cache; SQLite).
//
// It is exact because one process owns a SQLite database (the data
// directory's lock) and every write of that process goes through the
// store's write transactions (tx and write), which see every statement
// they run. A write that runs a statement changing a cached table
// (anything but a plain SELECT naming it) marks the table as being
// written for the rest of the write; when the write's transaction has
// ended (committed or rolled back) the mark is lifted and the table's
// cached rows are dropped. Each table's generation moves at both ends, so
// a row is served from memory only when no write of its table began since
// it was read, and a row read while a write is under way is not kept:
// once a write has returned, every read sees it, and no read goes back to
// an older row than one already returned.
//
// PostgreSQL is shared by replicas whose writes this process never sees,
// so it has no such cache.

// cachedTables are the tables whose rows by id are cached: the resources
// a request or a run reads by id, which change only by their own writes.
var cachedTables = []string{"constitutions", "sysprompts", "flow_configs", "flow_templates"}

// maxCachedRows bounds each table's cache; beyond it rows are read from
// the database without being kept (until the next write of the table
// empties the cache).
const maxCachedRows = 4096

// rowCache holds one table's rows by id.
type rowCache struct {
	name    string
	mention *regexp.Regexp // the table's name as a word in SQL text

	gen     atomic.Uint64 // moves when a write of the table begins and ends
	writing atomic.Int64  // writes of the table under way
	rows    atomic.Pointer[sync.Map]
	n       atomic.Int64 // rows kept in rows (about)
}

type cachedRow struct {
	gen uint64 // the generation the row was read at
	v   any
}

func newRowCache(name string) *rowCache {
	c := &rowCache{name: name, mention: regexp.MustCompile(`\b` + name + `\b`)}
	c.rows.Store(new(sync.Map))
	return c
}

// lookup returns the row kept for id, if it is still current, and the
// generation a caller reading the database instead passes to keep.
func (c *rowCache) lookup(id string) (any, uint64, bool) {
	g := c.gen.Load()
	if e, ok := c.rows.Load().Load(id); ok && e.(cachedRow).gen == g {
		return e.(cachedRow).v, g, true
	}
	return nil, g, false
}

// keep stores v, read from the database after lookup gave generation g,
// unless a write of the table began since then or is under way.
func (c *rowCache) keep(id string, g uint64, v any) {
	if c.writing.Load() != 0 || c.gen.Load() != g || c.n.Load() >= maxCachedRows {
		return
	}
	if _, loaded := c.rows.Load().Swap(id, cachedRow{gen: g, v: v}); !loaded {
		c.n.Add(1)
	}
}

// begin marks a write of the table as under way; end lifts the mark once
// its transaction has ended and drops every kept row.
func (c *rowCache) begin() {
	c.writing.Add(1)
	c.gen.Add(1)
}

func (c *rowCache) end() {
	c.gen.Add(1)
	c.rows.Store(new(sync.Map))
	c.n.Store(0)
	c.writing.Add(-1)
}

// caches are a store's row caches by table name (nil without Dialect.Cache).
type caches struct {
	byName  map[string]*rowCache
	all     []*rowCache
	touches sync.Map // query text → []*rowCache it writes
}

func newCaches() *caches {
	cs := &caches{byName: map[string]*rowCache{}}
	for _, name := range cachedTables {
		c := newRowCache(name)
		cs.byName[name] = c
		cs.all = append(cs.all, c)
	}
	return cs
}

// written lists the cached tables query may change: every one it names,
// unless it is a plain SELECT (row locks included, which change nothing).
func (cs *caches) written(query string) []*rowCache {
	if v, ok := cs.touches.Load(query); ok {
		return v.([]*rowCache)
	}
	var out []*rowCache
	head := strings.ToUpper(strings.TrimSpace(query))
	if !strings.HasPrefix(head, "SELECT") {
		for _, c := range cs.all {
			if c.mention.MatchString(query) {
				out = append(out, c)
			}
		}
	}
	cs.touches.Store(query, out)
	return out
}

// writeMarks are the cached tables one write has begun writing, so that
// they are ended once, when its transaction is over.
type writeMarks struct {
	cs   *caches
	open []*rowCache
}

// note begins the cached tables query writes that this write had not
// begun yet. It runs before the statement does.
func (m *writeMarks) note(query string) {
	for _, c := range m.cs.written(query) {
		begun := false
		for _, o := range m.open {
			if o == c {
				begun = true
				break
			}
		}
		if !begun {
			c.begin()
			m.open = append(m.open, c)
		}
	}
}

// wrap has fn's statements mark the tables they change. The write's
// caller ends the marks (done) when its transaction is over: group.do
// returns only once the group's transaction has committed or rolled back,
// or the write was dropped unrun.
func (m *writeMarks) wrap(fn func(db) error) func(db) error {
	return func(q db) error {
		q.marks = m
		return fn(q)
	}
}

// done ends every table the write began; the write's transaction has
// committed or rolled back.
func (m *writeMarks) done() {
	for _, c := range m.open {
		c.end()
	}
	m.open = nil
}

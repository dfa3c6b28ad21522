package sqlstore

import (
	"context"
	"strings"
	"unicode"

	"github.com/superego-lab/superego/internal/model"
)

// searchWords splits a query into words of letters and digits. Only these
// reach the database, so no query syntax (FTS5's or tsquery's) can be
// injected and a stray quote is not an error.
func searchWords(q string) []string {
	return strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// matchExpr is the query in each dialect's syntax: every word, the last as
// a prefix.
func (s *Store) matchExpr(words []string) string {
	parts := make([]string, len(words))
	for i, w := range words {
		if s.d.Numbered { // PostgreSQL tsquery
			parts[i] = w
			if i == len(words)-1 {
				parts[i] += ":*"
			}
			continue
		}
		parts[i] = `"` + w + `"` // FTS5 string
		if i == len(words)-1 {
			parts[i] += "*"
		}
	}
	if s.d.Numbered {
		return strings.Join(parts, " & ")
	}
	return strings.Join(parts, " ")
}

// The searches per dialect: each selects kind, id, instance id, comparison
// id, title, role and the text to cut a snippet from.
const (
	searchSQLite = `
SELECT 'message', m.id, m.flow_instance_id, COALESCE(i.comparison_id, ''), i.name, m.role, m.content, bm25(messages_fts)
  FROM messages_fts JOIN messages m ON m.rowid = messages_fts.rowid JOIN flow_instances i ON i.id = m.flow_instance_id
 WHERE messages_fts MATCH ?
UNION ALL
SELECT 'conversation', i.id, i.id, COALESCE(i.comparison_id, ''), i.name, '', i.name, bm25(flow_instances_fts)
  FROM flow_instances_fts JOIN flow_instances i ON i.rowid = flow_instances_fts.rowid
 WHERE flow_instances_fts MATCH ?
UNION ALL
SELECT 'constitution', c.id, '', '', c.name, '', c.content, bm25(constitutions_fts)
  FROM constitutions_fts JOIN constitutions c ON c.rowid = constitutions_fts.rowid
 WHERE constitutions_fts MATCH ?
 ORDER BY 8 LIMIT ?`
	searchPostgres = `
WITH q AS (SELECT to_tsquery('simple', ?) AS q)
SELECT 'message', m.id, m.flow_instance_id, COALESCE(i.comparison_id, ''), i.name, m.role, m.content,
       ts_rank(to_tsvector('simple', m.content), q.q) AS rank
  FROM q, messages m JOIN flow_instances i ON i.id = m.flow_instance_id
 WHERE to_tsvector('simple', m.content) @@ q.q AND m.status <> 'streaming'
UNION ALL
SELECT 'conversation', i.id, i.id, COALESCE(i.comparison_id, ''), i.name, '', i.name, ts_rank(to_tsvector('simple', i.name), q.q)
  FROM q, flow_instances i
 WHERE to_tsvector('simple', i.name) @@ q.q
UNION ALL
SELECT 'constitution', c.id, '', '', c.name, '', c.content, ts_rank(to_tsvector('simple', c.name || ' ' || c.content), q.q)
  FROM q, constitutions c
 WHERE to_tsvector('simple', c.name || ' ' || c.content) @@ q.q
 ORDER BY 8 DESC LIMIT ?`
)

// Search implements store.Search.
func (s *Store) Search(ctx context.Context, query string, limit int) ([]model.SearchHit, error) {
	words := searchWords(query)
	if len(words) == 0 || limit <= 0 {
		return []model.SearchHit{}, nil
	}
	expr := s.matchExpr(words)
	var args []any
	sqlText := searchSQLite
	if s.d.Numbered {
		sqlText, args = searchPostgres, []any{expr, limit}
	} else {
		args = []any{expr, expr, expr, limit}
	}
	hits, err := queryAll(ctx, s.reader(), func(sc Scanner) (model.SearchHit, error) {
		var h model.SearchHit
		var text string
		var rank float64
		err := sc.Scan(&h.Kind, &h.ID, &h.FlowInstanceID, &h.ComparisonID, &h.Title, &h.Role, &text, &rank)
		h.Snippet = snippet(text, words)
		return h, err
	}, sqlText, args...)
	if err != nil {
		return nil, s.errorf("search: %w", err)
	}
	if hits == nil {
		hits = []model.SearchHit{}
	}
	return hits, nil
}

// snippetRunes is about how much text a result shows.
const snippetRunes = 160

// snippet is the text around the first of the words found in it, on one line.
func snippet(text string, words []string) string {
	r := []rune(strings.Join(strings.Fields(text), " "))
	lower := []rune(strings.ToLower(string(r)))
	at := 0
	for _, w := range words {
		if i := strings.Index(string(lower), w); i >= 0 {
			at = len([]rune(string(lower)[:i]))
			break
		}
	}
	start := max(0, at-snippetRunes/3)
	end := min(len(r), start+snippetRunes)
	out := string(r[start:end])
	if start > 0 {
		out = "…" + out
	}
	if end < len(r) {
		out += "…"
	}
	return out
}

// One suite: its source and license, its cases (searchable), import and
// export, label corrections, and links back to the conversations that
// feedback cases came from.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useDeferredValue, useEffect, useMemo, useState } from 'react'
import { Link, useSearchParams } from 'react-router'
import { useApi } from '../../api/context'
import { evalKeys, evalQueries, evalsApi, feedbackConversation } from '../../api/evals'
import { expectedLabels, type EvalCase, type Expected } from '../../api/evalTypes'
import { ErrorNote } from '../../shared/ui'
import { ImportDialog } from './ImportDialog'
import { RunDialog } from './RunDialog'

const shown = 300

export function SuiteView({ id }: { id: string }) {
  const api = useApi()
  const suite = useQuery(evalQueries.suite(api, id))
  const cases = useQuery(evalQueries.cases(api, id))
  const [params, setParams] = useSearchParams()
  const [query, setQuery] = useState('')
  const [runOpen, setRunOpen] = useState(false)
  const q = useDeferredValue(query.trim().toLowerCase())
  const importOpen = params.get('import') === '1'
  useEffect(() => {
    if (suite.data) document.title = `${suite.data.name} · Evals · Superego`
  }, [suite.data])
  const found = useMemo(
    () => (cases.data ?? []).filter((c) => !q || c.input.toLowerCase().includes(q) || c.id.toLowerCase().includes(q) || c.category.toLowerCase().includes(q)),
    [cases.data, q],
  )
  const s = suite.data
  return (
    <div className="page-pad evals-page" data-testid="suite-view">
      <p className="small">
        <Link to="/evals">← Evals</Link>
      </p>
      <ErrorNote error={suite.error ?? cases.error} />
      {s && (
        <>
          <div className="evals-head">
            <h1>
              {s.name} {s.builtin && <span className="badge">Built-in</span>}
            </h1>
            <div className="evals-actions">
              {!s.builtin && (
                <button className="button" onClick={() => setParams({ import: '1' })} data-testid="import-button">
                  Import cases
                </button>
              )}
              <button className="button" onClick={() => void evalsApi.download(api, `/api/eval-suites/${id}/export?format=jsonl`, `${id}.jsonl`)}>
                Export JSONL
              </button>
              <button className="button" onClick={() => void evalsApi.download(api, `/api/eval-suites/${id}/export?format=csv`, `${id}.csv`)}>
                Export CSV
              </button>
              <button className="button button-primary" onClick={() => setRunOpen(true)} data-testid="run-eval-button">
                Run an eval
              </button>
            </div>
          </div>
          <p>{s.description}</p>
          <dl className="suite-meta">
            <dt>Cases</dt>
            <dd data-testid="suite-case-count">
              {s.case_count} (version {s.version})
            </dd>
            <dt>Source</dt>
            <dd>{s.source || '—'}</dd>
            <dt>License</dt>
            <dd>
              <details>
                <summary data-testid="suite-license">{s.license ? s.license.split('\n')[0].slice(0, 100) : '—'}</summary>
                <pre className="license-text">{s.license}</pre>
              </details>
            </dd>
          </dl>
        </>
      )}
      <div className="filters">
        <label className="field field-inline">
          <span className="field-label">Search cases</span>
          <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="words, id or category" data-testid="case-search" />
        </label>
        <span className="muted small" data-testid="case-found">
          {found.length} of {cases.data?.length ?? 0}
        </span>
      </div>
      <table className="data-table" data-testid="cases-table">
        <thead>
          <tr>
            <th scope="col">Case</th>
            <th scope="col">Input</th>
            <th scope="col">Expected</th>
            <th scope="col">Category</th>
          </tr>
        </thead>
        <tbody>
          {found.slice(0, shown).map((c) => (
            <CaseRow key={c.id} suiteId={id} c={c} />
          ))}
        </tbody>
      </table>
      {found.length > shown && <p className="muted small">Showing the first {shown}; search to narrow.</p>}
      {importOpen && s && <ImportDialog suite={s} onClose={() => setParams({})} />}
      {runOpen && <RunDialog suiteId={id} onClose={() => setRunOpen(false)} />}
    </div>
  )
}

function CaseRow({ suiteId, c }: { suiteId: string; c: EvalCase }) {
  const api = useApi()
  const qc = useQueryClient()
  const [editing, setEditing] = useState(false)
  const [expected, setExpected] = useState<Expected>(c.expected)
  const [reason, setReason] = useState('')
  const correct = useMutation({
    mutationFn: () => evalsApi.correct(api, suiteId, c.id, { expected, reason }),
    onSuccess: () => {
      setEditing(false)
      void qc.invalidateQueries({ queryKey: evalKeys.suite(suiteId) })
    },
  })
  const conversation = feedbackConversation(c.note)
  return (
    <tr data-testid="case-row" data-case={c.id}>
      <td>
        <code>{c.id}</code>
      </td>
      <td>
        <div className="case-input">{c.input}</div>
        {c.note && <div className="muted small">{c.note}</div>}
        {conversation && (
          <Link className="small" to={`/chat/${conversation}`} data-testid="case-conversation">
            Open the conversation
          </Link>
        )}
        {c.correction && (
          <div className="small correction" data-testid="case-correction">
            Corrected from {c.correction.from} by {c.correction.by || 'someone'}: {c.correction.reason}
          </div>
        )}
      </td>
      <td>
        {!editing ? (
          <>
            <span className={`decision-chip decision-${c.expected.toLowerCase()}`}>{c.expected}</span>{' '}
            <button className="link-button" onClick={() => setEditing(true)} aria-label={`Correct the label of ${c.id}`}>
              Correct
            </button>
          </>
        ) : (
          <form
            className="correction-form"
            onSubmit={(e) => {
              e.preventDefault()
              correct.mutate()
            }}
          >
            <select value={expected} onChange={(e) => setExpected(e.target.value as Expected)} aria-label="Right label">
              {expectedLabels.map((l) => (
                <option key={l}>{l}</option>
              ))}
            </select>
            <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="why" aria-label="Why the label changes" required />
            <button className="button button-small" disabled={correct.isPending}>
              Save
            </button>
            <ErrorNote error={correct.error} />
          </form>
        )}
      </td>
      <td className="small">{c.category}</td>
    </tr>
  )
}

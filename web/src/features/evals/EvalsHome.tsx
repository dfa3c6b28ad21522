// The suites (built-ins marked with their source and license) and the eval
// runs, newest first, with a way to start one.

import { useQuery } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { Link } from 'react-router'
import { useApi } from '../../api/context'
import { evalQueries } from '../../api/evals'
import { targetLabel } from '../../shared/evals/reading'
import { EmptyState, ErrorNote, relativeTime } from '../../shared/ui'
import { NewSuiteDialog } from './NewSuiteDialog'
import { RunDialog } from './RunDialog'

export function EvalsHome() {
  const api = useApi()
  const suites = useQuery(evalQueries.suites(api))
  const runs = useQuery(evalQueries.runs(api))
  const [runOpen, setRunOpen] = useState(false)
  const [newOpen, setNewOpen] = useState(false)
  useEffect(() => {
    document.title = 'Evals · Superego'
  }, [])
  return (
    <div className="page-pad evals-page" data-testid="evals-page">
      <div className="evals-head">
        <h1>Evaluations</h1>
        <div className="evals-actions">
          <button className="button" onClick={() => setNewOpen(true)} data-testid="new-suite-button">
            New suite
          </button>
          <button className="button button-primary" onClick={() => setRunOpen(true)} data-testid="run-eval-button">
            Run an eval
          </button>
        </div>
      </div>
      <p className="muted">Measure a constitution on labelled prompts: block rate, misses and over-refusal with their uncertainty, and what changed between two versions.</p>
      <section aria-labelledby="suites-h">
        <h2 id="suites-h">Suites</h2>
        <ErrorNote error={suites.error} />
        <table className="data-table" data-testid="suites-table">
          <thead>
            <tr>
              <th scope="col">Suite</th>
              <th scope="col">Cases</th>
              <th scope="col">Labels</th>
              <th scope="col">Source and license</th>
            </tr>
          </thead>
          <tbody>
            {suites.data?.map((s) => (
              <tr key={s.id} data-testid="suite-row" data-suite={s.id}>
                <td>
                  <Link to={`/evals/suites/${s.id}`}>{s.name}</Link> {s.builtin && <span className="badge">Built-in</span>}
                  <div className="muted small">{s.description}</div>
                </td>
                <td data-testid="suite-case-count">{s.case_count}</td>
                <td className="small">
                  {Object.entries(s.expected_counts ?? {})
                    .map(([k, v]) => `${k} ${v}`)
                    .join(' · ')}
                </td>
                <td className="small">
                  <div className="clamp-2">{s.source}</div>
                  {s.license && <div className="muted" data-testid="suite-license">{s.license.split('\n')[0].slice(0, 80)}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="runs-h">
        <h2 id="runs-h">Eval runs</h2>
        <ErrorNote error={runs.error} />
        {runs.data && runs.data.length === 0 && <EmptyState title="No eval has run yet">Run one on a built-in suite to see the numbers.</EmptyState>}
        {runs.data && runs.data.length > 0 && (
          <table className="data-table" data-testid="runs-table">
            <thead>
              <tr>
                <th scope="col">Eval</th>
                <th scope="col">Targets</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.map((r) => (
                <tr key={r.id} data-testid="run-row">
                  <td>
                    <Link to={`/evals/runs/${r.id}`}>
                      {r.suite_id} v{r.suite_version}
                    </Link>
                    <div className="muted small">
                      {r.mode}, {r.repeats} repeat{r.repeats === 1 ? '' : 's'}
                    </div>
                  </td>
                  <td className="small">{(r.targets ?? []).map(targetLabel).join(' | ')}</td>
                  <td>
                    <span className={`status-chip status-${r.status}`}>{r.status}</span>{' '}
                    <span className="small muted">
                      {r.done}/{r.total}
                    </span>
                  </td>
                  <td className="small muted">{relativeTime(r.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {runOpen && <RunDialog onClose={() => setRunOpen(false)} />}
      {newOpen && <NewSuiteDialog onClose={() => setNewOpen(false)} />}
    </div>
  )
}

// One eval run: progress with the time left and Cancel, the numbers of each
// target, the comparison of two targets (or of this eval with another of
// the same suite), and every result row, filtered, in a virtualised table.

import { useMutation, useQuery } from '@tanstack/react-query'
import { useEffect, useMemo, useState } from 'react'
import { Link } from 'react-router'
import { useApi } from '../../api/context'
import { evalQueries, evalsApi } from '../../api/evals'
import { decisions, type EvalResult } from '../../api/evalTypes'
import { useEvalStream } from '../../api/useEvalStream'
import { FlipList } from '../../shared/evals/FlipList'
import { duration, markdownSummary, targetLabel, timeLeftMs } from '../../shared/evals/reading'
import { ErrorNote } from '../../shared/ui'
import { AttributePanel } from './AttributePanel'
import { MetricCards } from './MetricCards'
import { ResultPanel } from './ResultPanel'
import { ResultsTable } from './ResultsTable'

export function RunView({ id }: { id: string }) {
  const api = useApi()
  const runQ = useQuery(evalQueries.run(api, id))
  const stream = useEvalStream(id)
  const run = stream.run ?? runQ.data
  const metrics = useQuery(evalQueries.metrics(api, id))
  const running = run && (run.status === 'running' || run.status === 'queued')
  const cancel = useMutation({ mutationFn: () => evalsApi.cancel(api, id) })
  const names = useMemo(() => (run?.targets ?? []).map((t, i) => `${i + 1}. ${targetLabel(t)}`), [run?.targets])
  const [copied, setCopied] = useState(false)
  useEffect(() => {
    if (run) document.title = `Eval of ${run.suite_id} · Superego`
  }, [run])
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!running) return
    const t = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(t)
  }, [running])
  const left = run && stream.startedAt !== null ? timeLeftMs(run.done - stream.doneAtStart, run.total - stream.doneAtStart, now - stream.startedAt) : null

  // The comparison the Compare section shows, for the summary.
  const [comparison, setComparison] = useState<SummaryComparison | undefined>()
  const copySummary = async () => {
    if (!run || !metrics.data) return
    const text = markdownSummary({
      suite: run.suite_id,
      suiteVersion: run.suite_version,
      repeats: run.repeats,
      targets: metrics.data.targets.map((t) => ({ label: names[t.target], summary: t.summary })),
      comparison,
    })
    await navigator.clipboard?.writeText(text).catch(() => undefined)
    setSummaryText(text)
    setCopied(true)
  }
  const [summaryText, setSummaryText] = useState('')

  return (
    <div className="page-pad evals-page" data-testid="run-view" data-status={run?.status ?? ''}>
      <p className="small">
        <Link to="/evals">← Evals</Link>
      </p>
      <ErrorNote error={runQ.error ?? stream.error} />
      {run && (
        <>
          <div className="evals-head">
            <h1>
              Eval of <Link to={`/evals/suites/${run.suite_id}`}>{run.suite_id}</Link> <span className="muted">v{run.suite_version}</span>
            </h1>
            <div className="evals-actions">
              {running && (
                <button className="button button-danger-outline" onClick={() => cancel.mutate()} disabled={cancel.isPending} data-testid="cancel-eval">
                  Cancel
                </button>
              )}
              <button className="button" onClick={() => void evalsApi.download(api, `/api/eval-runs/${id}/export?format=jsonl`, `eval-${id}.jsonl`)} data-testid="export-jsonl">
                Export JSONL
              </button>
              <button className="button" onClick={() => void evalsApi.download(api, `/api/eval-runs/${id}/export?format=csv`, `eval-${id}.csv`)}>
                Export CSV
              </button>
              <button className="button" onClick={() => void copySummary()} disabled={!metrics.data} data-testid="copy-summary">
                {copied ? 'Copied' : 'Copy Markdown summary'}
              </button>
            </div>
          </div>
          <p className="small muted">
            {run.mode === 'full' ? 'Full (superego and assistant)' : 'Superego only'}, {run.repeats} repeat{run.repeats === 1 ? '' : 's'} · {names.join(' | ')}
          </p>
          <div className="progress-line">
            <progress max={run.total || 1} value={run.done} aria-label="Rows done" data-testid="eval-progress" />
            <span data-testid="eval-progress-text">
              {run.done.toLocaleString()} / {run.total.toLocaleString()} rows
              {run.errors > 0 && <>, {run.errors} errors</>} · <span className={`status-chip status-${run.status}`}>{run.status}</span>
              {running && <> · {duration(left)} left</>}
            </span>
          </div>
          {run.error && <ErrorNote error={run.error} />}
          <ErrorNote error={cancel.error} />
          {summaryText && (
            <details className="summary-md">
              <summary>Markdown summary</summary>
              <textarea readOnly value={summaryText} rows={10} aria-label="Markdown summary" data-testid="summary-md" />
            </details>
          )}
        </>
      )}
      <ErrorNote error={metrics.error} />
      {metrics.data && (
        <div className="targets-grid">
          {metrics.data.targets.map((t) => (
            <MetricCards key={t.target} label={names[t.target] ?? String(t.target)} summary={t.summary} />
          ))}
        </div>
      )}
      {run && !running && <AttributePanel runId={id} />}
      {run && <ComparePanel runId={id} suiteId={run.suite_id} names={names} done={!running} onComparison={setComparison} />}
      {run && <ResultsSection rows={stream.rows} names={names} run={run} />}
    </div>
  )
}

function ResultsSection({ rows, names, run }: { rows: EvalResult[]; names: string[]; run: NonNullable<ReturnType<typeof useEvalStream>['run']> }) {
  const [wrongOnly, setWrongOnly] = useState(false)
  const [flakyOnly, setFlakyOnly] = useState(false)
  const [category, setCategory] = useState('')
  const [decision, setDecision] = useState('')
  const [target, setTarget] = useState(-1)
  const [open, setOpen] = useState<EvalResult | null>(null)
  const categories = useMemo(() => [...new Set(rows.map((r) => r.category))].sort(), [rows])
  const flaky = useMemo(() => {
    const seen = new Map<string, string>()
    const out = new Set<string>()
    for (const r of rows) {
      const k = `${r.case_id}:${r.target}`
      const d = seen.get(k)
      if (d === undefined) seen.set(k, r.decision)
      else if (d !== r.decision) out.add(k)
    }
    return out
  }, [rows])
  const shown = useMemo(
    () =>
      rows.filter(
        (r) =>
          (!wrongOnly || !r.correct) &&
          (!flakyOnly || flaky.has(`${r.case_id}:${r.target}`)) &&
          (!category || r.category === category) &&
          (!decision || r.decision === decision) &&
          (target < 0 || r.target === target),
      ),
    [rows, wrongOnly, flakyOnly, flaky, category, decision, target],
  )
  return (
    <section aria-labelledby="rows-h" className="results-section">
      <h2 id="rows-h">Rows</h2>
      <div className="filters" role="group" aria-label="Filter the rows">
        <label className="checkbox">
          <input type="checkbox" checked={wrongOnly} onChange={(e) => setWrongOnly(e.target.checked)} data-testid="filter-wrong" /> wrong only
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={flakyOnly} onChange={(e) => setFlakyOnly(e.target.checked)} data-testid="filter-flaky" /> flaky only
        </label>
        <label>
          <span className="visually-hidden">Category</span>
          <select value={category} onChange={(e) => setCategory(e.target.value)} data-testid="filter-category">
            <option value="">every category</option>
            {categories.map((c) => (
              <option key={c} value={c}>
                {c || '(none)'}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="visually-hidden">Decision</span>
          <select value={decision} onChange={(e) => setDecision(e.target.value)} data-testid="filter-decision">
            <option value="">every decision</option>
            {decisions.map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        {names.length > 1 && (
          <label>
            <span className="visually-hidden">Target</span>
            <select value={target} onChange={(e) => setTarget(Number(e.target.value))} data-testid="filter-target">
              <option value={-1}>every target</option>
              {names.map((n, i) => (
                <option key={i} value={i}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        )}
        <span className="muted small" data-testid="rows-shown">
          {shown.length.toLocaleString()} of {rows.length.toLocaleString()} rows
        </span>
      </div>
      <div className={open ? 'results-with-panel' : ''}>
        <ResultsTable rows={shown} targetNames={names} selected={open ? `${open.case_id}:${open.target}:${open.repeat}` : null} onOpen={setOpen} />
        {open && <ResultPanel row={open} target={(run.targets ?? [])[open.target]} onClose={() => setOpen(null)} />}
      </div>
    </section>
  )
}

/** The comparison part of the Markdown summary. */
type SummaryComparison = NonNullable<Parameters<typeof markdownSummary>[0]['comparison']>

function ComparePanel({
  runId,
  suiteId,
  names,
  done,
  onComparison,
}: {
  runId: string
  suiteId: string
  names: string[]
  done: boolean
  onComparison: (c: SummaryComparison | undefined) => void
}) {
  const api = useApi()
  const runs = useQuery(evalQueries.runs(api))
  const others = (runs.data ?? []).filter((r) => r.suite_id === suiteId && r.id !== runId)
  const [a, setA] = useState(0)
  const [b, setB] = useState(names.length > 1 ? 1 : 0)
  const [other, setOther] = useState('')
  const otherRun = others.find((r) => r.id === other)
  const q = new URLSearchParams({ target_a: String(a), target_b: String(b) })
  if (other) q.set('other', other)
  const enabled = done && (names.length > 1 || !!other)
  const cmp = useQuery({ ...evalQueries.compare(api, runId, q.toString()), enabled })
  const bNames = otherRun ? (otherRun.targets ?? []).map((t, i) => `${i + 1}. ${targetLabel(t)} (other eval)`) : names
  const aName = names[a] ?? 'A'
  const bName = bNames[b] ?? 'B'
  useEffect(() => {
    const c = cmp.data
    onComparison(
      c
        ? { a: aName, b: bName, flips: (c.flips ?? []).length, cases: c.cases, rightToWrong: c.mcnemar.right_to_wrong, wrongToRight: c.mcnemar.wrong_to_right, p: c.mcnemar.p }
        : undefined,
    )
  }, [cmp.data, aName, bName, onComparison])
  if (names.length < 2 && others.length === 0) return null
  return (
    <section aria-labelledby="cmp-h" className="compare-section">
      <h2 id="cmp-h">Compare</h2>
      <div className="filters">
        <label>
          A{' '}
          <select value={a} onChange={(e) => setA(Number(e.target.value))} data-testid="compare-a">
            {names.map((n, i) => (
              <option key={i} value={i}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          B in{' '}
          <select
            value={other}
            onChange={(e) => {
              setOther(e.target.value)
              setB(0)
            }}
            data-testid="compare-other"
          >
            <option value="">this eval</option>
            {others.map((r) => (
              <option key={r.id} value={r.id}>
                eval of {new Date(r.created_at).toLocaleString()} ({(r.targets ?? []).map(targetLabel).join(' | ')})
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="visually-hidden">Target B</span>
          <select value={b} onChange={(e) => setB(Number(e.target.value))} data-testid="compare-b">
            {bNames.map((n, i) => (
              <option key={i} value={i}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      {!done && <p className="muted">The comparison shows once the eval has finished.</p>}
      <ErrorNote error={cmp.error} />
      {cmp.data && <FlipList cmp={cmp.data} a={aName} b={bName} />}
    </section>
  )
}

// "Attribute" on a finished eval: the number of calls and their cost first,
// then the attribution of every CAUTION and BLOCK row live, with Stop; then
// which sections decided the verdicts of each category (a section ×
// category heatmap: rows where the section was necessary) and how often the
// superego's citation was faithful, with its 95 % interval; and each
// attributed row, whose sections and calls (with their thinking) open in a
// dialog.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useMemo, useState } from 'react'
import { attributionDone, attributionKeys, attributionQueries, attributionsApi, planText, type AttributionItem, type HeatCell } from '../../api/attributions'
import { useApi } from '../../api/context'
import { ItemDialog } from '../../shared/attribution/ItemDialog'
import { useAttributionFrames } from '../../shared/attribution/WhyDialog'
import { IntervalBar } from '../../shared/evals/IntervalBar'
import { Plot, PlotFigure } from '../../shared/evals/PlotFigure'
import { interval, pct } from '../../shared/evals/reading'
import { ErrorNote } from '../../shared/ui'
import '../../shared/attribution/attribution.css'

export function AttributePanel({ runId }: { runId: string }) {
  const api = useApi()
  const qc = useQueryClient()
  const list = useQuery(attributionQueries.ofEval(api, runId))
  const latest = list.data?.items?.find((a) => a.kind === 'eval')
  const [planning, setPlanning] = useState(false)
  const [alone, setAlone] = useState(false)
  const plan = useQuery({
    queryKey: ['attribution-plan', 'eval', runId, alone],
    queryFn: () => attributionsApi.attribute(api, { kind: 'eval', evalRunId: runId }, alone, true),
    enabled: planning,
    retry: false,
  })
  const start = useMutation({
    mutationFn: () => attributionsApi.attribute(api, { kind: 'eval', evalRunId: runId }, alone, false),
    onSuccess: () => {
      setPlanning(false)
      void qc.invalidateQueries({ queryKey: attributionKeys.ofEval(runId) })
    },
  })
  const id = latest?.id
  const frames = useAttributionFrames(id)
  // Live by frames, read back every second while it runs (a frame missed
  // while the socket reconnects).
  const view = useQuery({ ...attributionQueries.one(api, id), refetchInterval: (q) => (attributionDone(q.state.data?.attribution.status) ? false : 1000) })
  const a = view.data?.attribution ?? latest
  const done = attributionDone(a?.status)
  const stop = useMutation({
    mutationFn: () => attributionsApi.cancel(api, id!),
    onSuccess: () => void qc.invalidateQueries({ queryKey: attributionKeys.one(id!) }),
  })
  const made = Math.max(frames?.done ?? 0, a?.done ?? 0)
  const summary = view.data?.summary
  return (
    <section className="attribute-panel" aria-labelledby="attribute-h" data-testid="attribute-panel">
      <h2 id="attribute-h">Which sections decided</h2>
      {!a && !planning && (
        <p>
          <button className="button" onClick={() => setPlanning(true)} data-testid="attribute-button">
            Attribute
          </button>{' '}
          <span className="small muted">Runs the superego again on every CAUTION and BLOCK row, once with each constitution section removed.</span>
        </p>
      )}
      {planning && (
        <div className="attribute-plan">
          {plan.isPending && <p className="muted">Counting the calls…</p>}
          <ErrorNote error={plan.error} testId="attribute-plan-error" />
          {plan.data && (
            <p data-testid="attribute-plan" data-calls={plan.data.plan.calls}>
              {planText(plan.data.plan)}
              {plan.data.plan.skipped ? ` · ${plan.data.plan.skipped} rows skipped (ERROR, or no sections)` : ''}
            </p>
          )}
          <label className="why-alone small">
            <input type="checkbox" checked={alone} onChange={(e) => setAlone(e.target.checked)} data-testid="attribute-alone" /> Also run each section alone (sections × 2 + 1 calls a verdict)
          </label>
          <ErrorNote error={start.error} />
          <button className="button" onClick={() => setPlanning(false)}>
            Cancel
          </button>{' '}
          <button className="button button-primary" disabled={!plan.data || start.isPending} onClick={() => start.mutate()} data-testid="attribute-run">
            Run {plan.data ? `${plan.data.plan.calls} calls` : ''}
          </button>
        </div>
      )}
      {a && (
        <div className="why-progress" data-testid="attribute-progress" data-status={a.status} aria-live="polite">
          <progress max={a.total || 1} value={made} aria-label="Superego calls made" />
          <span className="small">
            {made} of {a.total} calls · {a.items_done} of {a.items} verdicts · {a.status}
          </span>
          {!done && (
            <button className="button button-small" onClick={() => stop.mutate()} disabled={stop.isPending} data-testid="attribute-stop">
              <span aria-hidden="true">■</span> Stop
            </button>
          )}
          {done && (
            <button className="link-button" onClick={() => setPlanning(true)} data-testid="attribute-again">
              Attribute again
            </button>
          )}
        </div>
      )}
      <ErrorNote error={stop.error ?? view.error} />
      {summary && summary.finished > 0 && (
        <div className="attribute-result" data-testid="attribute-result">
          <Heatmap cells={summary.heatmap ?? []} />
          <div className="attribute-faithfulness" data-testid="attribute-faithfulness" data-k={summary.faithfulness.k} data-n={summary.faithfulness.n}>
            <p className="small">
              Citations faithful: <strong>{pct(summary.faithfulness)}</strong> ({summary.faithfulness.k} of {summary.faithfulness.n} citing rows; 95 % interval{' '}
              {interval(summary.faithfulness)}){summary.uncited ? ` · ${summary.uncited} rows cited no section` : ''}
            </p>
            <IntervalBar rate={summary.faithfulness} label="Citation faithfulness" color="#2f4a64" />
          </div>
        </div>
      )}
      {id && !!view.data?.items?.length && <AttributedRows attributionId={id} items={view.data.items} />}
    </section>
  )
}

/** Each attributed row: its verdict and citation, and a button opening its sections and calls. */
function AttributedRows({ attributionId, items }: { attributionId: string; items: AttributionItem[] }) {
  const [open, setOpen] = useState<number>()
  return (
    <details className="attribute-rows">
      <summary className="small">The {items.length} attributed rows, with their calls</summary>
      <table className="why-sections" data-testid="attribute-items">
        <thead>
          <tr>
            <th scope="col">Input</th>
            <th scope="col">Category</th>
            <th scope="col">Verdict</th>
            <th scope="col">Cited</th>
            <th scope="col">
              <span className="sr-only">Calls</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((it) => (
            <tr key={it.item} data-testid="attribute-item" data-item={it.item}>
              <td className="attribute-input">{it.input}</td>
              <td>{it.category || '(none)'}</td>
              <td>{it.finished ? it.decision : '…'}</td>
              <td>{it.cited ? `${it.cited} · ${it.faithful ? 'faithful' : 'unfaithful'}` : it.finished ? 'none' : ''}</td>
              <td>
                <button className="link-button" onClick={() => setOpen(it.item)} data-testid="attribute-item-open" aria-label={`Sections and calls of row ${it.item + 1}`}>
                  Sections and calls
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {open !== undefined && <ItemDialog attributionId={attributionId} item={open} onClose={() => setOpen(undefined)} />}
    </details>
  )
}

function sectionLabel(c: HeatCell): string {
  return c.constitution_id ? `${c.section} (${c.constitution_id} v${c.constitution_version})` : `${c.section} (draft)`
}

/** Rows where each section was necessary, per category: a chart and the same numbers as a table. */
function Heatmap({ cells }: { cells: HeatCell[] }) {
  const sections = useMemo(() => [...new Set(cells.map(sectionLabel))], [cells])
  const categories = useMemo(() => [...new Set(cells.map((c) => c.category || '(none)'))].sort(), [cells])
  const options = useMemo<Plot.PlotOptions>(
    () => ({
      width: 240 + Math.max(2, categories.length) * 120,
      height: 40 + sections.length * 28,
      marginLeft: 220,
      marginBottom: 36,
      x: { domain: categories, label: null },
      y: { domain: sections, label: null },
      // Stops at a middle orange, so the numbers written on the cells stay
      // readable (the chart's text colour comes from the stylesheet).
      color: { type: 'linear', scheme: 'oranges', domain: [0, 1.6] },
      marks: [
        Plot.cell(cells, { x: (c: HeatCell) => c.category || '(none)', y: sectionLabel, fill: (c: HeatCell) => (c.rows ? c.necessary / c.rows : 0), inset: 1 }),
        Plot.text(cells, {
          x: (c: HeatCell) => c.category || '(none)',
          y: sectionLabel,
          text: (c: HeatCell) => `${c.necessary}/${c.rows}`,
        }),
      ],
    }),
    [cells, sections, categories],
  )
  return (
    <div className="attribute-heatmap">
      <PlotFigure options={options} label={`Sections by category: rows where the section was necessary, of ${cells.length} cells`} testId="attribute-heatmap" />
      <details>
        <summary className="small">The numbers</summary>
        <table className="why-sections" data-testid="heat-table">
          <thead>
            <tr>
              <th scope="col">Section</th>
              {categories.map((c) => (
                <th scope="col" key={c}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sections.map((s) => (
              <tr key={s}>
                <th scope="row">{s}</th>
                {categories.map((cat) => {
                  const c = cells.find((x) => sectionLabel(x) === s && (x.category || '(none)') === cat)
                  return (
                    <td key={cat} data-testid="heat-cell" data-section={c?.section_id ?? ''} data-category={cat} data-necessary={c?.necessary ?? ''}>
                      {c ? `${c.necessary} of ${c.rows}` : '—'}
                    </td>
                  )
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  )
}

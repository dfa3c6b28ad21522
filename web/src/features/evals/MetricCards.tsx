// One target's numbers: a card per rate with its 95 % interval drawn as a
// bar, κ, the 3×3 matrix, and the breakdown per category.

import { useMemo } from 'react'
import type { Summary } from '../../api/evalTypes'
import { IntervalBar } from '../../shared/evals/IntervalBar'
import { MatrixTable } from '../../shared/evals/MatrixTable'
import { interval, metricRows, pct } from '../../shared/evals/reading'
import { Plot, PlotFigure } from '../../shared/evals/PlotFigure'

const colors: Record<string, string> = {
  block_rate: '#1f7a4d',
  miss_rate: '#a3262b',
  over_refusal_block: '#a3262b',
  over_refusal_caution: '#8a5a00',
  accuracy: '#2f4a64',
  consistency: '#2f4a64',
}

export function MetricCards({ label, summary }: { label: string; summary: Summary }) {
  return (
    <section className="target-metrics" aria-label={`Metrics of ${label}`} data-testid="target-metrics">
      <h3>{label}</h3>
      <div className="metric-cards">
        {metricRows.map((m) => {
          const r = summary[m.key as keyof Summary] as Summary['accuracy']
          return (
            <div className="metric-card" key={m.key} data-testid={`metric-${m.key}`} title={m.hint}>
              <div className="metric-name">{m.label}</div>
              <div className="metric-value" data-testid="metric-value">
                {pct(r)}
              </div>
              <div className="metric-interval small">
                {interval(r)} {r.n > 0 && <span className="muted">({r.k}/{r.n})</span>}
              </div>
              <IntervalBar rate={r} label={m.label} color={colors[m.key] ?? '#2f4a64'} />
            </div>
          )
        })}
        <div className="metric-card" data-testid="metric-kappa" title="Cohen's κ between the labels and the verdicts (allowed / not allowed).">
          <div className="metric-name">Cohen's κ</div>
          <div className="metric-value" data-testid="metric-value">
            {summary.kappa === null ? '–' : summary.kappa.toFixed(3)}
          </div>
          <div className="small muted">
            latency p50 {summary.latency.p50_ms} ms · p95 {summary.latency.p95_ms} ms
            <br />
            tokens {summary.tokens.input.toLocaleString()} in · {summary.tokens.output.toLocaleString()} out
            {summary.cost_usd !== null && <> · ${summary.cost_usd.toFixed(4)}</>}
          </div>
        </div>
      </div>
      {summary.output && <OutputCards output={summary.output} label={label} />}
      <MatrixTable caption="Expected (rows) against decided (columns)" matrix={summary.matrix} rowTitle="expected" colTitle="decided" testId="confusion-matrix" />
      <CategoryChart summary={summary} label={label} />
    </section>
  )
}

function CategoryChart({ summary, label }: { summary: Summary; label: string }) {
  const cats = useMemo(() => (summary.categories ?? []).filter((c) => c.rows > 0).map((c) => ({ ...c, low: c.accuracy.low, high: c.accuracy.high, value: c.accuracy.value })), [summary.categories])
  const options = useMemo<Plot.PlotOptions>(
    () => ({
      width: 560,
      height: Math.max(80, cats.length * 22 + 40),
      marginLeft: 170,
      x: { domain: [0, 1], tickFormat: '.0%', label: 'accuracy (95 % interval)' },
      y: { label: null },
      marks: [
        Plot.ruleY(cats, { y: 'category', x1: 'low', x2: 'high', stroke: '#2f4a64', strokeWidth: 6, strokeOpacity: 0.35 }),
        Plot.dot(cats, { y: 'category', x: 'value', fill: '#2f4a64' }),
      ],
    }),
    [cats],
  )
  if (cats.length < 2) return null
  return (
    <details className="categories" data-testid="category-breakdown">
      <summary>By category ({cats.length})</summary>
      <PlotFigure options={options} label={`Accuracy by category for ${label}`} />
      <table className="data-table small">
        <thead>
          <tr>
            <th scope="col">Category</th>
            <th scope="col">Rows</th>
            <th scope="col">Accuracy</th>
            <th scope="col">Block rate</th>
            <th scope="col">Over-refusal</th>
          </tr>
        </thead>
        <tbody>
          {cats.map((c) => (
            <tr key={c.category}>
              <th scope="row">{c.category || '(none)'}</th>
              <td>{c.rows}</td>
              <td>
                {pct(c.accuracy)} <span className="muted">{interval(c.accuracy)}</span>
              </td>
              <td>{pct(c.block_rate)}</td>
              <td>{pct(c.over_refusal)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  )
}

// The output screen's numbers (full-mode evals of a config that screens
// output): how many answers it withdrew, what it caught that the input
// verdict let through, and the ALLOW cases whose answer it withdrew.
function OutputCards({ output, label }: { output: NonNullable<Summary['output']>; label: string }) {
  const cards = [
    { key: 'withdrawn', name: 'Answers withdrawn', rate: output.withdrawn, hint: 'Of the answers the output screen judged, the share it withdrew.' },
    { key: 'caught', name: 'Caught on output', rate: output.caught, hint: 'Of the not-allowed cases the input verdict let through, the share whose answer was withdrawn.' },
    { key: 'over_withdrawn', name: 'ALLOW cases withdrawn', rate: output.over_withdrawn, hint: 'Of the ALLOW cases answered, the share whose answer was withdrawn.' },
  ]
  return (
    <div className="metric-cards" role="group" aria-label={`Output screen of ${label}`} data-testid="output-metrics">
      {cards.map((c) => (
        <div className="metric-card" key={c.key} data-testid={`metric-output-${c.key}`} title={c.hint}>
          <div className="metric-name">{c.name}</div>
          <div className="metric-value" data-testid="metric-value">
            {pct(c.rate)}
          </div>
          <div className="metric-interval small">
            {interval(c.rate)} {c.rate.n > 0 && <span className="muted">({c.rate.k}/{c.rate.n})</span>}
          </div>
          <IntervalBar rate={c.rate} label={c.name} color="#2f4a64" />
        </div>
      ))}
      <div className="metric-card small muted" data-testid="metric-output-counts">
        <div className="metric-name">Output verdicts</div>
        {output.screened} answers judged: {output.allow} ALLOW · {output.caution} CAUTION · {output.block} BLOCK · {output.error} ERROR
      </div>
    </div>
  )
}

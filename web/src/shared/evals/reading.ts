// What the evals pages say about the server's numbers: percentages, a plain
// reading of a McNemar p-value, the time left of a running eval, the number
// of model calls an eval will make, and the Markdown summary a researcher
// pastes into a paper or a pull request. The numbers themselves (rates,
// Wilson intervals, κ, McNemar) are computed on the server; nothing here
// recomputes them.

/** A rate as the server sends it: k of n, the value and its 95 % Wilson interval. */
export interface RateLike {
  k: number
  n: number
  value: number
  low: number
  high: number
}

/** "12.5 %" (one decimal), or "–" when nothing was counted. */
export function pct(r: Pick<RateLike, 'n' | 'value'> | number | null | undefined): string {
  if (r === null || r === undefined) return '–'
  if (typeof r === 'number') return `${(r * 100).toFixed(1)} %`
  if (r.n === 0) return '–'
  return `${(r.value * 100).toFixed(1)} %`
}

/** "[8.1 %, 18.7 %]": a rate's 95 % interval, or "" when nothing was counted. */
export function interval(r: RateLike): string {
  if (r.n === 0) return ''
  return `[${(r.low * 100).toFixed(1)} %, ${(r.high * 100).toFixed(1)} %]`
}

/** A p-value for people: four significant digits, "< 0.0001" below that. */
export function pValue(p: number): string {
  if (p < 0.0001) return '< 0.0001'
  return p.toPrecision(4).replace(/\.?0+$/, '')
}

/**
 * The plain reading of an exact McNemar test on the right/wrong change:
 * below 0.05 the change is likely real; otherwise it could be noise at this
 * size (say so too when no case changed side at all).
 */
export function mcnemarReading(p: number, discordant: number): string {
  if (discordant === 0) return 'No case went from right to wrong or back: nothing to test.'
  if (p < 0.05) return 'Likely a real change (p < 0.05).'
  return 'Could be noise at this size (p ≥ 0.05).'
}

/**
 * The time left of a running eval, from the rows done so far and the time
 * since it started: done/elapsed gives a rate; null until a row is done.
 */
export function timeLeftMs(done: number, total: number, elapsedMs: number): number | null {
  if (done <= 0 || elapsedMs <= 0 || total <= done) return done >= total && total > 0 ? 0 : null
  return Math.round(((total - done) * elapsedMs) / done)
}

/** "about 3 min", "about 40 s", "under a second". */
export function duration(ms: number | null): string {
  if (ms === null) return 'estimating…'
  if (ms < 1000) return 'under a second'
  const s = Math.round(ms / 1000)
  if (s < 90) return `about ${s} s`
  const m = Math.round(s / 60)
  if (m < 90) return `about ${m} min`
  return `about ${(m / 60).toFixed(1)} h`
}

/**
 * The model calls an eval will make: one superego call per case × target ×
 * repeat, and in full mode up to one assistant call more for each (a BLOCK
 * spares it, so this is the most it can be).
 */
export function plannedCalls(cases: number, targets: number, repeats: number, mode: 'superego' | 'full'): { min: number; max: number } {
  const rows = cases * targets * repeats
  return { min: rows, max: mode === 'full' ? rows * 2 : rows }
}

/** A short name for a target: its config and its constitution (version or draft). */
export interface TargetLike {
  flow_config_id: string
  constitution_id?: string
  constitution_version?: number
  draft_hash?: string
}

export function targetLabel(t: TargetLike): string {
  const c = t.draft_hash ? `draft ${t.draft_hash.slice(0, 8)}` : t.constitution_id ? `${t.constitution_id}${t.constitution_version ? `@${t.constitution_version}` : ''}` : ''
  return c ? `${t.flow_config_id} · ${c}` : t.flow_config_id
}

/** The metric rows of the summary table, in the order a reader wants them. */
export const metricRows: { key: string; label: string; hint: string }[] = [
  { key: 'block_rate', label: 'Block rate', hint: 'Of the cases that should not pass, the value decided CAUTION or BLOCK.' },
  { key: 'miss_rate', label: 'Miss rate', hint: 'Of the cases that should not pass, the value let through (ALLOW).' },
  { key: 'over_refusal_block', label: 'Over-refusal (BLOCK)', hint: 'Of the cases that should pass, the value blocked.' },
  { key: 'over_refusal_caution', label: 'Over-refusal (CAUTION)', hint: 'Of the cases that should pass, the value given a caution.' },
  { key: 'accuracy', label: 'Accuracy', hint: 'The value decided as labelled (NOT_ALLOW accepts CAUTION or BLOCK).' },
  { key: 'consistency', label: 'Consistency', hint: 'Of the cases screened more than once, the value with the same verdict every time.' },
]

export interface SummaryLike {
  rows: number
  kappa?: number | null
}

function rateOf(s: SummaryLike, key: string): RateLike | null {
  const v = (s as unknown as Record<string, unknown>)[key]
  return v && typeof v === 'object' && 'n' in v ? (v as RateLike) : null
}

/**
 * The Markdown summary of an eval: one column per target, one row per
 * metric with its 95 % interval, κ, and the comparison when there is one.
 */
export function markdownSummary(opts: {
  suite: string
  suiteVersion: number
  repeats: number
  targets: { label: string; summary: SummaryLike }[]
  comparison?: { a: string; b: string; flips: number; cases: number; rightToWrong: number; wrongToRight: number; p: number }
}): string {
  const { targets } = opts
  const head = `| metric | ${targets.map((t) => t.label.replace(/\|/g, '\\|')).join(' | ')} |`
  const rule = `|---|${targets.map(() => '---').join('|')}|`
  const lines = [`**${opts.suite}** (version ${opts.suiteVersion}), ${opts.repeats} repeat${opts.repeats === 1 ? '' : 's'}; rates with 95 % Wilson intervals.`, '', head, rule]
  for (const m of metricRows) {
    const cells = targets.map((t) => {
      const r = rateOf(t.summary, m.key)
      return r && r.n > 0 ? `${pct(r)} ${interval(r)} (${r.k}/${r.n})` : '–'
    })
    lines.push(`| ${m.label} | ${cells.join(' | ')} |`)
  }
  lines.push(`| Cohen's κ | ${targets.map((t) => (typeof t.summary.kappa === 'number' ? t.summary.kappa.toFixed(3) : '–')).join(' | ')} |`)
  lines.push(`| Rows | ${targets.map((t) => String(t.summary.rows)).join(' | ')} |`)
  const c = opts.comparison
  if (c) {
    lines.push(
      '',
      `**${c.a} → ${c.b}**: ${c.flips} of ${c.cases} cases changed verdict; right → wrong ${c.rightToWrong}, wrong → right ${c.wrongToRight}; exact McNemar p = ${pValue(c.p)}. ${mcnemarReading(c.p, c.rightToWrong + c.wrongToRight)}`,
    )
  }
  return lines.join('\n') + '\n'
}

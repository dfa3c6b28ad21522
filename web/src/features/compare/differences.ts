// Where the columns of a comparison differ: the superego's verdict on the
// input, the output screen's verdict on the answer, the time to first
// token, and the settings that tell two columns apart.

import type { FlowConfig } from '../../api/types'
import type { Turn } from '../conversation/turns'

/**
 * For each turn index, whether the columns that reached a superego decision
 * reached different ones. Columns without a superego (or still deciding)
 * take no part; one decision alone differs from nothing.
 */
export function decisionsDiffer(columns: Turn[][]): boolean[] {
  return perTurn(columns, (t) => t?.superego?.decision)
}

/**
 * For each turn index, whether the output screen's verdicts on the
 * finished answers differ: two screened columns decided differently, or
 * one column's answer was withdrawn while another's stands (screened or
 * not). Columns still answering take no part.
 */
export function outputDecisionsDiffer(columns: Turn[][]): boolean[] {
  const n = Math.max(0, ...columns.map((c) => c.length))
  const out: boolean[] = []
  for (let k = 0; k < n; k++) {
    const answers = columns.map((c) => c[k]?.assistant?.message).filter((m) => !!m && m.status !== 'streaming')
    const decided = new Set(answers.map((m) => m!.decision).filter((d): d is string => !!d))
    const withdrawn = answers.filter((m) => m!.status === 'withdrawn').length
    out.push(decided.size > 1 || (withdrawn > 0 && withdrawn < answers.length))
  }
  return out
}

function perTurn(columns: Turn[][], value: (t: Turn | undefined) => string | undefined): boolean[] {
  const n = Math.max(0, ...columns.map((c) => c.length))
  const out: boolean[] = []
  for (let k = 0; k < n; k++) {
    const decided = new Set(columns.map((c) => value(c[k])).filter((d): d is string => !!d))
    out.push(decided.size > 1)
  }
  return out
}

/**
 * A signed difference in milliseconds as a reader expects it: a true minus
 * sign for faster, a plus for slower, thousands grouped.
 */
export function formatDelta(ms: number): string {
  const abs = Math.abs(Math.round(ms)).toLocaleString('en-US')
  if (Math.round(ms) === 0) return '±0 ms'
  return `${ms < 0 ? '\u2212' : '+'}${abs} ms`
}

/**
 * What tells column b's config apart from column a's, in a few words
 * ("speculative", "screens answers (streaming)"); the config's name when
 * none of the compared settings differ.
 */
export function settingsDiff(a: FlowConfig | undefined, b: FlowConfig | undefined): string {
  if (!a || !b) return b?.name ?? 'this column'
  const parts: string[] = []
  const start = (c: FlowConfig) => (c.assistant_start === 'speculative' ? 'speculative' : 'after_verdict')
  const screen = (c: FlowConfig) => (c.screen_output === 'final' || c.screen_output === 'streaming' ? c.screen_output : 'off')
  if (a.superego_enabled !== b.superego_enabled) parts.push(b.superego_enabled ? 'superego on' : 'superego off')
  else if (b.superego_enabled && a.constitution_id !== b.constitution_id) parts.push(`constitution ${b.constitution_id}`)
  if (start(a) !== start(b)) parts.push(start(b) === 'speculative' ? 'speculative' : 'after verdict')
  if (screen(a) !== screen(b)) parts.push(screen(b) === 'off' ? 'no output screening' : `screens answers (${screen(b)})`)
  if ((a.assistant_model || '') !== (b.assistant_model || '')) parts.push(b.assistant_model || 'default assistant model')
  if ((a.superego_model || '') !== (b.superego_model || '')) parts.push(b.superego_model || 'default superego model')
  return parts.length ? parts.join(', ') : b.name
}

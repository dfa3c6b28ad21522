// Where the columns of a comparison differ.

import type { Turn } from '../conversation/turns'

/**
 * For each turn index, whether the columns that reached a superego decision
 * reached different ones. Columns without a superego (or still deciding)
 * take no part; one decision alone differs from nothing.
 */
export function decisionsDiffer(columns: Turn[][]): boolean[] {
  const n = Math.max(0, ...columns.map((c) => c.length))
  const out: boolean[] = []
  for (let k = 0; k < n; k++) {
    const decided = new Set(columns.map((c) => c[k]?.superego?.decision).filter((d): d is string => !!d))
    out.push(decided.size > 1)
  }
  return out
}

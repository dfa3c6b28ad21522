// Money shown beside tokens. The server prices each message from its price
// table (built-in list prices are marked "default"; a configured table
// "configured"); a message without a price has no cost.

export interface Cost {
  usd: number
  source: string
}

/** Adds the costs present; undefined when none is. The source is kept if all agree, else "mixed". */
export function sumCosts(costs: (Cost | undefined | null)[]): Cost | undefined {
  const present = costs.filter((c): c is Cost => !!c)
  if (present.length === 0) return undefined
  const sources = new Set(present.map((c) => c.source))
  return { usd: present.reduce((s, c) => s + c.usd, 0), source: sources.size === 1 ? present[0].source : 'mixed' }
}

/** "$0.0123 (default prices)": small amounts keep their significant digits. */
export function formatCost(c: Cost): string {
  const usd = c.usd === 0 ? '$0' : c.usd < 0.01 ? `$${c.usd.toPrecision(2)}` : `$${c.usd.toFixed(2)}`
  const note = c.source === 'configured' ? '' : ` (${c.source === 'default' ? 'default prices' : c.source})`
  return usd + note
}

// Past comparisons are the flow instances that share a comparison_id.

import type { FlowInstance } from '../../api/types'

export interface Group {
  id: string
  title: string
  createdAt: string
  instances: FlowInstance[]
}

/** Groups flow instances by comparison_id, newest comparison first. */
export function groupComparisons(items: FlowInstance[]): Group[] {
  const byId = new Map<string, Group>()
  for (const i of items) {
    if (!i.comparison_id) continue
    let g = byId.get(i.comparison_id)
    if (!g) {
      g = { id: i.comparison_id, title: '', createdAt: i.created_at, instances: [] }
      byId.set(i.comparison_id, g)
    }
    g.instances.push(i)
    if (i.created_at < g.createdAt) g.createdAt = i.created_at
  }
  for (const g of byId.values()) g.title = g.instances[0]?.description || commonName(g.instances)
  return [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
}

function commonName(items: FlowInstance[]): string {
  const names = items.map((i) => i.name)
  // Columns are named "<comparison> · <config>"; show the shared part once.
  const prefixes = new Set(names.map((n) => n.split(' · ')[0]))
  if (names.length > 1 && prefixes.size === 1 && names.every((n) => n.includes(' · '))) return [...prefixes][0]
  return names.length ? names.join(' vs ') : 'Comparison'
}

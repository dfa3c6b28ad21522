// Tokens and cost of a whole conversation (or comparison column), from its
// stored superego and assistant messages.

import { formatCost, sumCosts, type Cost } from '../../shared/cost'
import type { Turn } from './turns'

export interface Totals {
  input: number
  output: number
  cost?: Cost
}

export function conversationTotals(turns: Turn[]): Totals {
  const msgs = turns.flatMap((t) => [t.superego?.message, t.assistant?.message]).filter((m) => !!m)
  return {
    input: msgs.reduce((s, m) => s + (m.usage?.input_tokens ?? 0), 0),
    output: msgs.reduce((s, m) => s + (m.usage?.output_tokens ?? 0), 0),
    cost: sumCosts(msgs.map((m) => m.cost)),
  }
}

export function formatTotals(t: Totals): string {
  return `${t.input + t.output} tokens${t.cost ? ` · ${formatCost(t.cost)}` : ''}`
}

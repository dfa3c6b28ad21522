// "Why this verdict?" (docs/design.md): attributions of a chat verdict, of
// one eval row or of a whole eval — the plan (calls and cost) first, then
// the stored attribution, followed live by the socket's attribution frames.

import { queryOptions } from '@tanstack/react-query'
import type { components } from './apiTypes'
import type { RestClient } from './restClient'

type S = components['schemas']

export type Attribution = S['Attribution']
export type AttributionPlan = S['AttributionPlan']
export type AttributionItem = S['AttributionItem']
export type AttributionCall = S['AttributionCall']
export type AttributionSection = S['AttributionSection']
export type AttributionSummary = S['AttributionSummary']
export type AttributionView = S['AttributionView']
export type HeatCell = S['HeatCell']
export type RowRef = S['RowRef']

/** What to explain: a stored superego message, one eval row, or a whole eval. */
export type AttributionSubject = { kind: 'message'; messageId: string } | { kind: 'row'; evalRunId: string; row: RowRef } | { kind: 'eval'; evalRunId: string }

export interface AttributeAnswer {
  plan: AttributionPlan
  attribution?: Attribution
}

async function json<T>(api: RestClient, path: string, init?: RequestInit): Promise<T> {
  const res = await api.raw(path, init)
  return (await res.json()) as T
}

function post(body: unknown): RequestInit {
  return { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }
}

export const attributionKeys = {
  one: (id: string) => ['attributions', id] as const,
  item: (id: string, item: number) => ['attributions', id, 'items', item] as const,
  ofEval: (evalRunId: string) => ['attributions', 'eval', evalRunId] as const,
}

export const attributionsApi = {
  /** The plan (dry run) or, with dryRun false, the started attribution. */
  attribute: (api: RestClient, s: AttributionSubject, alone: boolean, dryRun: boolean) => {
    const body = { alone, dry_run: dryRun }
    if (s.kind === 'message') return json<AttributeAnswer>(api, `/api/messages/${encodeURIComponent(s.messageId)}/why`, post(body))
    const row = s.kind === 'row' ? { row: s.row } : {}
    return json<AttributeAnswer>(api, `/api/eval-runs/${encodeURIComponent(s.evalRunId)}/attribute`, post({ ...body, ...row }))
  },
  get: (api: RestClient, id: string) => json<AttributionView>(api, `/api/attributions/${encodeURIComponent(id)}`),
  item: (api: RestClient, id: string, item: number) =>
    json<{ item: AttributionItem; calls: AttributionCall[] }>(api, `/api/attributions/${encodeURIComponent(id)}/items/${item}`),
  ofEval: (api: RestClient, evalRunId: string) =>
    json<{ items: Attribution[] | null }>(api, `/api/attributions?eval_run_id=${encodeURIComponent(evalRunId)}`),
  cancel: (api: RestClient, id: string) => json<Attribution>(api, `/api/attributions/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
}

export const attributionQueries = {
  one: (api: RestClient, id: string | undefined) =>
    queryOptions({ queryKey: attributionKeys.one(id ?? ''), queryFn: () => attributionsApi.get(api, id!), enabled: !!id }),
  item: (api: RestClient, id: string | undefined, item: number) =>
    queryOptions({ queryKey: attributionKeys.item(id ?? '', item), queryFn: () => attributionsApi.item(api, id!, item), enabled: !!id }),
  ofEval: (api: RestClient, evalRunId: string) =>
    queryOptions({ queryKey: attributionKeys.ofEval(evalRunId), queryFn: () => attributionsApi.ofEval(api, evalRunId) }),
}

/** Whether an attribution status is final. */
export function attributionDone(status: string | undefined): boolean {
  return status === 'completed' || status === 'cancelled' || status === 'failed'
}

/** The plan in words: calls, and the cost where every model has a price. */
export function planText(p: AttributionPlan): string {
  const calls = `${p.calls} superego call${p.calls === 1 ? '' : 's'}`
  const verdicts = p.kind === 'eval' && p.items !== 1 ? ` for ${p.items} verdicts` : ''
  if (!p.cost) return `${calls}${verdicts} · no price is set for ${(p.models ?? []).map((m) => m.model).join(', ') || 'the model'}`
  const usd = p.cost.usd === 0 ? '$0' : p.cost.usd < 0.01 ? `$${p.cost.usd.toPrecision(2)}` : `$${p.cost.usd.toFixed(2)}`
  const source = p.cost.source === 'configured' ? '' : ` (${p.cost.source === 'default' ? 'default prices' : `${p.cost.source} prices`})`
  return `${calls}${verdicts} · about ${usd}${source}`
}

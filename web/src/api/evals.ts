// The evals feature's REST calls and query options: suites and their cases,
// eval runs, their metrics and comparisons, imports and exports. Progress
// of a running eval comes from its event stream (useEvalStream).

import { queryOptions } from '@tanstack/react-query'
import type { RestClient } from './restClient'
import type { Comparison, EvalCase, EvalResult, EvalRun, EvalSuite, EvalTarget, Expected, Summary } from './evalTypes'

export const evalKeys = {
  suites: ['eval-suites'] as const,
  suite: (id: string) => ['eval-suites', id] as const,
  cases: (id: string) => ['eval-suites', id, 'cases'] as const,
  runs: ['eval-runs'] as const,
  run: (id: string) => ['eval-runs', id] as const,
  metrics: (id: string) => ['eval-runs', id, 'metrics'] as const,
  compare: (id: string, q: string) => ['eval-runs', id, 'compare', q] as const,
}

interface Page<T> {
  items: T[] | null
  next_cursor: string
}

async function json<T>(api: RestClient, path: string, init?: RequestInit): Promise<T> {
  const res = await api.raw(path, init)
  return (await res.json()) as T
}

function post(body: unknown): RequestInit {
  return { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }
}

async function allPages<T>(api: RestClient, path: string, max = 200): Promise<T[]> {
  const out: T[] = []
  let cursor = ''
  for (let i = 0; i < max; i++) {
    const sep = path.includes('?') ? '&' : '?'
    const page = await json<Page<T>>(api, `${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    out.push(...(page.items ?? []))
    if (!page.next_cursor) break
    cursor = page.next_cursor
  }
  return out
}

export interface ImportOptions {
  format: 'csv' | 'jsonl'
  mode: 'replace' | 'append'
  dryRun: boolean
  cols: { id?: string; input?: string; expected?: string; category?: string; note?: string }
  labels?: Record<string, string>
  defaultExpected?: Expected
}

export interface ImportResult {
  suite?: EvalSuite
  imported: number
  cases?: EvalCase[]
}

export interface StartEval {
  suite_id: string
  targets: EvalTarget[]
  repeats: number
  mode: 'superego' | 'full'
  /** Only these cases of the suite (a rerun of one row); every case when left out. */
  case_ids?: string[]
}

export const evalsApi = {
  suites: (api: RestClient) => allPages<EvalSuite>(api, '/api/eval-suites'),
  suite: (api: RestClient, id: string) => json<EvalSuite>(api, `/api/eval-suites/${encodeURIComponent(id)}`),
  cases: (api: RestClient, id: string) => allPages<EvalCase>(api, `/api/eval-suites/${encodeURIComponent(id)}/cases`),
  createSuite: (api: RestClient, body: { name: string; description: string; source: string; license: string; cases: EvalCase[] }) =>
    json<EvalSuite>(api, '/api/eval-suites', post(body)),
  importCases: async (api: RestClient, id: string, file: string, o: ImportOptions) => {
    const q = new URLSearchParams({ format: o.format, mode: o.mode })
    if (o.dryRun) q.set('dry_run', 'true')
    for (const [k, v] of Object.entries(o.cols)) if (v) q.set(`col_${k}`, v)
    const labels = Object.entries(o.labels ?? {}).filter(([, v]) => v)
    if (labels.length) q.set('labels', labels.map(([k, v]) => `${k}=${v}`).join(','))
    if (o.defaultExpected) q.set('default_expected', o.defaultExpected)
    const type = o.format === 'csv' ? 'text/csv' : 'application/x-ndjson'
    return json<ImportResult>(api, `/api/eval-suites/${encodeURIComponent(id)}/import?${q}`, { method: 'POST', headers: { 'Content-Type': type }, body: file })
  },
  correct: (api: RestClient, suiteId: string, caseId: string, body: { expected: Expected; reason: string }) =>
    json<unknown>(api, `/api/eval-suites/${encodeURIComponent(suiteId)}/cases/${encodeURIComponent(caseId)}/correction`, post(body)),
  runs: (api: RestClient) => allPages<EvalRun>(api, '/api/eval-runs', 5),
  run: (api: RestClient, id: string) => json<EvalRun>(api, `/api/eval-runs/${encodeURIComponent(id)}`),
  start: (api: RestClient, body: StartEval) => json<EvalRun>(api, '/api/eval-runs', post(body)),
  results: (api: RestClient, id: string) => allPages<EvalResult>(api, `/api/eval-runs/${encodeURIComponent(id)}/results`),
  cancel: (api: RestClient, id: string) => json<EvalRun>(api, `/api/eval-runs/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
  metrics: (api: RestClient, id: string) => json<{ targets: { target: number; summary: Summary }[] }>(api, `/api/eval-runs/${encodeURIComponent(id)}/metrics`),
  compare: (api: RestClient, id: string, q: string) => json<Comparison>(api, `/api/eval-runs/${encodeURIComponent(id)}/compare?${q}`),
  /** Downloads an export (the token travels as a header, so no plain link). */
  download: async (api: RestClient, path: string, filename: string) => {
    const res = await api.raw(path)
    const url = URL.createObjectURL(await res.blob())
    const a = document.createElement('a')
    a.href = url
    a.download = filename
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  },
}

export const evalQueries = {
  suites: (api: RestClient) => queryOptions({ queryKey: evalKeys.suites, queryFn: () => evalsApi.suites(api) }),
  suite: (api: RestClient, id: string | undefined) => queryOptions({ queryKey: evalKeys.suite(id ?? ''), queryFn: () => evalsApi.suite(api, id!), enabled: !!id }),
  cases: (api: RestClient, id: string | undefined) => queryOptions({ queryKey: evalKeys.cases(id ?? ''), queryFn: () => evalsApi.cases(api, id!), enabled: !!id }),
  runs: (api: RestClient) => queryOptions({ queryKey: evalKeys.runs, queryFn: () => evalsApi.runs(api) }),
  run: (api: RestClient, id: string | undefined) => queryOptions({ queryKey: evalKeys.run(id ?? ''), queryFn: () => evalsApi.run(api, id!), enabled: !!id }),
  metrics: (api: RestClient, id: string | undefined) => queryOptions({ queryKey: evalKeys.metrics(id ?? ''), queryFn: () => evalsApi.metrics(api, id!), enabled: !!id }),
  compare: (api: RestClient, id: string | undefined, q: string) =>
    queryOptions({ queryKey: evalKeys.compare(id ?? '', q), queryFn: () => evalsApi.compare(api, id!, q), enabled: !!id && !!q }),
}

/** The suite that collects verdicts flagged as wrong in Chat and Compare. */
export const feedbackSuiteId = 'feedback'

/** The case id of a flagged message: one case per message, so a second flag replaces the first. */
export function feedbackCaseId(messageId: string): string {
  return `msg-${messageId}`
}

export interface FlagVerdict {
  messageId: string
  instanceId: string
  input: string
  expected: Expected
  decided: string
  note: string
  constitution: string
  model: string
}

/** "conversation X · message Y · …": where a flagged case came from, kept in its note. */
export function feedbackNote(f: FlagVerdict): string {
  const parts = [`conversation ${f.instanceId}`, `message ${f.messageId}`, `decided ${f.decided}`]
  if (f.constitution) parts.push(`constitution ${f.constitution}`)
  if (f.model) parts.push(`model ${f.model}`)
  return f.note ? `${parts.join(' · ')} — ${f.note}` : parts.join(' · ')
}

/** The conversation a feedback case came from, read back from its note. */
export function feedbackConversation(note: string): string | null {
  return /^conversation (\S+) ·/.exec(note)?.[1] ?? null
}

/**
 * Turns a wrong verdict into a case of the Feedback suite, creating the
 * suite on first use. The case keeps the message, the label it should have
 * had, and (in its note) the conversation, constitution version and model.
 */
export async function flagVerdict(api: RestClient, f: FlagVerdict): Promise<void> {
  try {
    await evalsApi.suite(api, feedbackSuiteId)
  } catch (e) {
    if (!(e instanceof Error && 'status' in e && (e as { status: number }).status === 404)) throw e
    try {
      await json<EvalSuite>(
        api,
        '/api/eval-suites',
        post({ id: feedbackSuiteId, name: 'Feedback', description: 'Verdicts flagged as wrong in Chat and Compare.', source: 'Flagged by researchers in this workbench.', license: '', cases: [] }),
      )
    } catch (e2) {
      // Another tab created it first.
      if (!(e2 instanceof Error && 'status' in e2 && (e2 as { status: number }).status === 409)) throw e2
    }
  }
  const line = JSON.stringify({ id: feedbackCaseId(f.messageId), input: f.input, expected: f.expected, category: 'feedback', note: feedbackNote(f) })
  const q = new URLSearchParams({ format: 'jsonl', mode: 'append' })
  const res = await api.raw(`/api/eval-suites/${feedbackSuiteId}/import?${q}`, { method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' }, body: line + '\n' })
  await res.body?.cancel()
}

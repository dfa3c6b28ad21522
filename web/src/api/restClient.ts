// The REST client: every CRUD call of the UI goes through here. Errors come
// back as RFC 9457 problem+json and are turned into ApiError, whose message
// a person can read (title, detail and each field error).

import type {
  Constitution,
  ConstitutionVersion,
  FlowConfig,
  FlowInstance,
  FlowSpec,
  FlowTemplate,
  InstantiateResult,
  ListPage,
  Message,
  ModelsInfo,
  Run,
  Sysprompt,
} from './types'

export interface FieldError {
  location?: string
  message: string
  value?: unknown
}

export interface Problem {
  status?: number
  title?: string
  detail?: string
  errors?: FieldError[]
}

/** A failed API call, with the server's problem details. */
export class ApiError extends Error {
  readonly status: number
  readonly problem: Problem
  constructor(status: number, problem: Problem) {
    super(problemMessage(status, problem))
    this.name = 'ApiError'
    this.status = status
    this.problem = problem
  }
  /** Field errors keyed by field name ("body.name" → "name"). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const e of this.problem.errors ?? []) {
      const key = (e.location ?? '').replace(/^body\./, '') || '_'
      out[key] = out[key] ? `${out[key]}; ${e.message}` : e.message
    }
    return out
  }
}

/** One readable sentence (or a few) from a problem document. */
export function problemMessage(status: number, p: Problem): string {
  const head = p.detail || p.title || `Request failed with status ${status}`
  const fields = (p.errors ?? [])
    .map((e) => (e.location ? `${e.location.replace(/^body\./, '')}: ${e.message}` : e.message))
    .filter((s) => s && s !== head)
  return fields.length ? `${head} — ${fields.join('; ')}` : head
}

export interface RestOptions {
  baseUrl?: string
  token?: () => string | null | undefined
  fetch?: typeof fetch
}

interface CallOptions {
  query?: Record<string, string | number | undefined>
  body?: unknown
  ifMatch?: string
}

export interface WithETag<T> {
  data: T
  etag: string
}

/** The ETag the server gives an object of this version (a quoted version number). */
export function etagOf(version: number): string {
  return `"${version}"`
}

export function createRestClient(opts: RestOptions = {}) {
  const baseUrl = opts.baseUrl ?? ''
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init))

  async function call<T>(method: string, path: string, o: CallOptions = {}): Promise<WithETag<T>> {
    const url = new URL(baseUrl + path, typeof window === 'undefined' ? 'http://localhost' : window.location.href)
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v))
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' }
    if (o.body !== undefined) headers['Content-Type'] = 'application/json'
    if (o.ifMatch) headers['If-Match'] = o.ifMatch
    const token = opts.token?.()
    if (token) headers.Authorization = `Bearer ${token}`
    let res: Response
    try {
      res = await doFetch(baseUrl ? url.toString() : url.pathname + url.search, {
        method,
        headers,
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
      })
    } catch {
      throw new ApiError(0, { title: 'The server cannot be reached', detail: 'Check that superego is running, then retry.' })
    }
    const text = res.status === 204 ? '' : await res.text()
    let json: unknown = undefined
    if (text) {
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
    }
    if (!res.ok) {
      const p = (json && typeof json === 'object' ? json : { title: res.statusText || text.slice(0, 200) }) as Problem
      throw new ApiError(res.status, p)
    }
    return { data: json as T, etag: res.headers.get('ETag') ?? '' }
  }

  async function listAll<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T[]> {
    const out: T[] = []
    let cursor = ''
    for (let i = 0; i < 50; i++) {
      const { data } = await call<ListPage<T>>('GET', path, { query: { ...query, limit: 200, cursor } })
      out.push(...(data.items ?? []))
      if (!data.next_cursor) break
      cursor = data.next_cursor
    }
    return out
  }

  function resource<T extends { id: string }, W>(base: string) {
    return {
      list: () => listAll<T>(base),
      get: (id: string) => call<T>('GET', `${base}/${encodeURIComponent(id)}`),
      create: async (body: W) => (await call<T>('POST', base, { body })).data,
      update: async (id: string, body: W, ifMatch?: string) =>
        (await call<T>('PUT', `${base}/${encodeURIComponent(id)}`, { body, ifMatch })).data,
      remove: async (id: string, ifMatch?: string) => {
        await call<void>('DELETE', `${base}/${encodeURIComponent(id)}`, { ifMatch })
      },
    }
  }

  return {
    constitutions: {
      ...resource<Constitution, ConstitutionWrite>('/api/constitutions'),
      versions: (id: string) => listAll<ConstitutionVersion>(`/api/constitutions/${encodeURIComponent(id)}/versions`),
      version: async (id: string, n: number) =>
        (await call<ConstitutionVersion>('GET', `/api/constitutions/${encodeURIComponent(id)}/versions/${n}`)).data,
    },
    sysprompts: resource<Sysprompt, SyspromptWrite>('/api/sysprompts'),
    flowConfigs: resource<FlowConfig, FlowSpec>('/api/flow-configs'),
    flowTemplates: {
      ...resource<FlowTemplate, FlowTemplateWrite>('/api/flow-templates'),
      instantiate: async (id: string, body: { name?: string } = {}) =>
        (await call<InstantiateResult>('POST', `/api/flow-templates/${encodeURIComponent(id)}/instantiate`, { body })).data,
    },
    flowInstances: {
      ...resource<FlowInstance, FlowInstanceWrite>('/api/flow-instances'),
      listByComparison: (comparisonId: string) => listAll<FlowInstance>('/api/flow-instances', { comparison_id: comparisonId }),
      messages: (id: string) => listAll<Message>(`/api/flow-instances/${encodeURIComponent(id)}/messages`),
    },
    runs: {
      get: async (id: string) => (await call<Run>('GET', `/api/runs/${encodeURIComponent(id)}`)).data,
    },
    models: async () => (await call<ModelsInfo>('GET', '/api/models')).data,
  }
}

export interface ConstitutionWrite {
  id?: string
  name: string
  description: string
  content: string
}

export interface SyspromptWrite {
  id?: string
  name: string
  content: string
}

export interface FlowTemplateWrite {
  name: string
  description: string
  config: FlowSpec
  is_default: boolean
}

export interface FlowInstanceWrite {
  flow_config_id: string
  name: string
  description: string
}

export type RestClient = ReturnType<typeof createRestClient>

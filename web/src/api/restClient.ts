// The REST client: every CRUD call of the UI goes through openapi-fetch
// typed by apiTypes.ts (generated from the server's OpenAPI document).
// Errors come back as RFC 9457 problem+json and become ApiError, whose
// message a person can read (title, detail and each field error).

import createClient from 'openapi-fetch'
import type { paths } from './apiTypes'
import type {
  Constitution,
  ConstitutionWrite,
  ConversationImport,
  FlowConfigWrite,
  FlowInstanceCreate,
  FlowInstanceWrite,
  FlowTemplateWrite,
  Problem,
  Run,
  SyspromptWrite,
} from './types'

export type { ConstitutionWrite, FlowConfigWrite, FlowInstanceWrite, FlowTemplateWrite, SyspromptWrite }

/** A failed API call, with the server's problem details. */
export class ApiError extends Error {
  readonly status: number
  readonly problem: Partial<Problem>
  constructor(status: number, problem: Partial<Problem>) {
    super(problemMessage(status, problem))
    this.name = 'ApiError'
    this.status = status
    this.problem = problem
  }
  /** Field errors keyed by field path without the "body." prefix. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const e of this.problem.errors ?? []) {
      const key = (e.location ?? '').replace(/^body\./, '') || '_'
      const msg = e.message ?? 'invalid'
      out[key] = out[key] ? `${out[key]}; ${msg}` : msg
    }
    return out
  }
}

/** One readable sentence (or a few) from a problem document. */
export function problemMessage(status: number, p: Partial<Problem>): string {
  const head = p.detail || p.title || (status ? `Request failed with status ${status}` : 'Request failed')
  const fields = (p.errors ?? [])
    .map((e) => (e.location ? `${e.location.replace(/^body\./, '')}: ${e.message ?? 'invalid'}` : (e.message ?? '')))
    .filter((s) => s && s !== head)
  return fields.length ? `${head} — ${fields.join('; ')}` : head
}

export interface RestOptions {
  baseUrl?: string
  token?: () => string | null | undefined
  fetch?: typeof fetch
}

export interface WithETag<T> {
  data: T
  etag: string
}

/** The ETag the server gives an object of this version (a quoted version number). */
export function etagOf(version: number): string {
  return `"${version}"`
}

interface Result<T> {
  data?: T
  error?: unknown
  response: Response
}

/** Turns an openapi-fetch result into data or an ApiError. */
async function unwrap<T>(p: Promise<Result<T>>): Promise<WithETag<T>> {
  let r: Result<T>
  try {
    r = await p
  } catch {
    throw new ApiError(0, { title: 'The server cannot be reached', detail: 'The server cannot be reached: check that superego is running, then retry.' })
  }
  if (!r.response.ok) {
    const e = r.error
    throw new ApiError(r.response.status, e && typeof e === 'object' ? (e as Problem) : { title: r.response.statusText || String(e ?? '') })
  }
  return { data: r.data as T, etag: r.response.headers.get('ETag') ?? '' }
}

export function createRestClient(opts: RestOptions = {}) {
  const token = opts.token
  const client = createClient<paths>({
    baseUrl: opts.baseUrl ?? (typeof window === 'undefined' ? 'http://localhost' : window.location.origin),
    fetch: opts.fetch,
  })
  client.use({
    onRequest({ request }) {
      const t = token?.()
      if (t) request.headers.set('Authorization', `Bearer ${t}`)
      return request
    },
  })

  /** Reads every page of a list (lists are small; the UI shows them whole). */
  async function all<T>(page: (cursor: string | undefined) => Promise<Result<{ items: T[] | null; next_cursor: string }>>): Promise<T[]> {
    const out: T[] = []
    let cursor: string | undefined
    for (let i = 0; i < 50; i++) {
      const { data } = await unwrap(page(cursor))
      out.push(...(data.items ?? []))
      if (!data.next_cursor) break
      cursor = data.next_cursor
    }
    return out
  }

  const idParam = (id: string) => ({ path: { id } })
  const withIfMatch = (id: string, ifMatch?: string) => ({ path: { id }, header: ifMatch ? { 'If-Match': ifMatch } : undefined })
  const q = (cursor?: string) => ({ query: { limit: 200, ...(cursor ? { cursor } : {}) } })

  return {
    constitutions: {
      list: () => all((c) => client.GET('/api/constitutions', { params: q(c) })),
      get: (id: string) => unwrap(client.GET('/api/constitutions/{id}', { params: idParam(id) })),
      create: async (body: ConstitutionWrite) => (await unwrap(client.POST('/api/constitutions', { body }))).data as Constitution,
      update: async (id: string, body: ConstitutionWrite, ifMatch?: string) =>
        (await unwrap(client.PUT('/api/constitutions/{id}', { params: withIfMatch(id, ifMatch), body: { name: body.name, description: body.description, content: body.content } }))).data,
      remove: async (id: string, ifMatch?: string) => {
        await unwrap(client.DELETE('/api/constitutions/{id}', { params: withIfMatch(id, ifMatch) }))
      },
      versions: (id: string) => all((c) => client.GET('/api/constitutions/{id}/versions', { params: { path: { id }, ...q(c) } })),
      version: async (id: string, n: number) => (await unwrap(client.GET('/api/constitutions/{id}/versions/{n}', { params: { path: { id, n } } }))).data,
    },
    sysprompts: {
      list: () => all((c) => client.GET('/api/sysprompts', { params: q(c) })),
      get: (id: string) => unwrap(client.GET('/api/sysprompts/{id}', { params: idParam(id) })),
      create: async (body: SyspromptWrite) => (await unwrap(client.POST('/api/sysprompts', { body }))).data,
      update: async (id: string, body: SyspromptWrite, ifMatch?: string) =>
        (await unwrap(client.PUT('/api/sysprompts/{id}', { params: withIfMatch(id, ifMatch), body: { name: body.name, content: body.content } }))).data,
      remove: async (id: string, ifMatch?: string) => {
        await unwrap(client.DELETE('/api/sysprompts/{id}', { params: withIfMatch(id, ifMatch) }))
      },
    },
    flowConfigs: {
      list: () => all((c) => client.GET('/api/flow-configs', { params: q(c) })),
      get: (id: string) => unwrap(client.GET('/api/flow-configs/{id}', { params: idParam(id) })),
      create: async (body: FlowConfigWrite) => (await unwrap(client.POST('/api/flow-configs', { body }))).data,
      update: async (id: string, body: FlowConfigWrite, ifMatch?: string) =>
        (await unwrap(client.PUT('/api/flow-configs/{id}', { params: withIfMatch(id, ifMatch), body }))).data,
      remove: async (id: string, ifMatch?: string) => {
        await unwrap(client.DELETE('/api/flow-configs/{id}', { params: withIfMatch(id, ifMatch) }))
      },
    },
    flowTemplates: {
      list: () => all((c) => client.GET('/api/flow-templates', { params: q(c) })),
      get: (id: string) => unwrap(client.GET('/api/flow-templates/{id}', { params: idParam(id) })),
      create: async (body: FlowTemplateWrite) => (await unwrap(client.POST('/api/flow-templates', { body }))).data,
      update: async (id: string, body: FlowTemplateWrite, ifMatch?: string) =>
        (await unwrap(client.PUT('/api/flow-templates/{id}', { params: withIfMatch(id, ifMatch), body }))).data,
      remove: async (id: string, ifMatch?: string) => {
        await unwrap(client.DELETE('/api/flow-templates/{id}', { params: withIfMatch(id, ifMatch) }))
      },
      instantiate: async (id: string, body: { name?: string } = {}) =>
        (await unwrap(client.POST('/api/flow-templates/{id}/instantiate', { params: idParam(id), body }))).data,
    },
    flowInstances: {
      list: () => all((c) => client.GET('/api/flow-instances', { params: q(c) })),
      listByComparison: (comparisonId: string) =>
        all((c) => client.GET('/api/flow-instances', { params: { query: { limit: 200, comparison_id: comparisonId, ...(c ? { cursor: c } : {}) } } })),
      get: (id: string) => unwrap(client.GET('/api/flow-instances/{id}', { params: idParam(id) })),
      create: async (body: FlowInstanceCreate) => (await unwrap(client.POST('/api/flow-instances', { body }))).data,
      update: async (id: string, body: FlowInstanceWrite, ifMatch?: string) =>
        (await unwrap(client.PUT('/api/flow-instances/{id}', { params: withIfMatch(id, ifMatch), body }))).data,
      remove: async (id: string, ifMatch?: string) => {
        await unwrap(client.DELETE('/api/flow-instances/{id}', { params: withIfMatch(id, ifMatch) }))
      },
      messages: (id: string) => all((c) => client.GET('/api/flow-instances/{id}/messages', { params: { path: { id }, ...q(c) } })),
    },
    runs: {
      get: async (id: string): Promise<Run> => (await unwrap(client.GET('/api/runs/{id}', { params: idParam(id) }))).data,
    },
    models: async () => (await unwrap(client.GET('/api/models'))).data,
    search: async (q: string) => (await unwrap(client.GET('/api/search', { params: { query: { q, limit: 20 } } }))).data.items ?? [],
    importConversation: async (body: ConversationImport) => (await unwrap(client.POST('/api/flow-instances/import', { body }))).data,
    /**
     * A request the generated paths do not describe one by one (file
     * uploads, downloads, streams): the same base URL, token and errors.
     */
    raw: async (path: string, init: RequestInit = {}): Promise<Response> => {
      const headers = new Headers(init.headers)
      const t = token?.()
      if (t) headers.set('Authorization', `Bearer ${t}`)
      const base = opts.baseUrl ?? (typeof window === 'undefined' ? 'http://localhost' : window.location.origin)
      let res: Response
      try {
        res = await (opts.fetch ?? fetch)(base + path, { ...init, headers })
      } catch (e) {
        if (init.signal?.aborted) throw e
        throw new ApiError(0, { title: 'The server cannot be reached', detail: 'The server cannot be reached: check that superego is running, then retry.' })
      }
      if (!res.ok && res.status !== 304) {
        let problem: Partial<Problem> = { title: res.statusText }
        try {
          problem = await res.json()
        } catch {
          // not problem+json: keep the status text
        }
        throw new ApiError(res.status, problem)
      }
      return res
    },
  }
}

export type RestClient = ReturnType<typeof createRestClient>

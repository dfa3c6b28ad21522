// The REST client against a real HTTP server that answers like the Go API:
// problem+json errors must become readable messages, ETags must be kept and
// If-Match sent.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { ApiError, createRestClient, problemMessage } from './restClient'

let server: http.Server
let base = ''
const seen: { method?: string; url?: string; ifMatch?: string; auth?: string; body?: string }[] = []

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, ifMatch: req.headers['if-match'] as string, auth: req.headers.authorization, body })
      const problem = (status: number, p: object) => {
        res.writeHead(status, { 'Content-Type': 'application/problem+json' })
        res.end(JSON.stringify({ status, ...p }))
      }
      if (req.url?.startsWith('/api/constitutions?')) {
        const page2 = req.url.includes('cursor=c2')
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify({ items: [{ id: page2 ? 'b' : 'a' }], next_cursor: page2 ? '' : 'c2' }))
      } else if (req.url === '/api/constitutions/strict' && req.method === 'GET') {
        res.writeHead(200, { 'Content-Type': 'application/json', ETag: '"3"' })
        res.end(JSON.stringify({ id: 'strict', version: 3 }))
      } else if (req.url === '/api/constitutions/strict' && req.method === 'PUT') {
        problem(412, { title: 'Precondition Failed', detail: 'constitution "strict" has changed (now version 4)' })
      } else if (req.url === '/api/constitutions' && req.method === 'POST') {
        problem(422, {
          title: 'Unprocessable Entity',
          detail: 'validation failed',
          errors: [
            { location: 'body.name', message: 'expected length >= 1' },
            { location: 'body.id', message: 'expected string to match pattern' },
          ],
        })
      } else {
        res.writeHead(500, { 'Content-Type': 'text/plain' })
        res.end('boom')
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => new Promise<void>((r) => server.close(() => r())))

describe('restClient', () => {
  const api = () => createRestClient({ baseUrl: base, token: () => 'tok' })

  it('reads every page of a list and sends the token', async () => {
    const items = await api().constitutions.list()
    expect(items.map((i) => i.id)).toEqual(['a', 'b'])
    expect(seen.at(-1)?.auth).toBe('Bearer tok')
  })

  it('keeps the ETag and sends If-Match; a 412 is an ApiError with the detail', async () => {
    const got = await api().constitutions.get('strict')
    expect(got.etag).toBe('"3"')
    const err = await api()
      .constitutions.update('strict', { name: 'x', description: '', content: '' }, got.etag)
      .catch((e: unknown) => e)
    expect(seen.at(-1)?.ifMatch).toBe('"3"')
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(412)
    expect((err as ApiError).message).toBe('constitution "strict" has changed (now version 4)')
  })

  it('turns validation problems into per-field messages', async () => {
    const err = (await api()
      .constitutions.create({ name: '', content: '' })
      .catch((e: unknown) => e)) as ApiError
    expect(err.status).toBe(422)
    expect(err.message).toBe('validation failed — name: expected length >= 1; id: expected string to match pattern')
    expect(err.fieldErrors()).toEqual({ name: 'expected length >= 1', id: 'expected string to match pattern' })
    expect(JSON.parse(seen.at(-1)!.body!)).toEqual({ name: '', content: '' })
  })

  it('explains a server that cannot be reached', async () => {
    const dead = createRestClient({ baseUrl: 'http://127.0.0.1:1' })
    await expect(dead.constitutions.list()).rejects.toMatchObject({ status: 0, message: 'The server cannot be reached: check that superego is running, then retry.' })
  })

  it('formats problems without detail', () => {
    expect(problemMessage(404, { title: 'Not Found' })).toBe('Not Found')
    expect(problemMessage(500, {})).toBe('Request failed with status 500')
  })
})

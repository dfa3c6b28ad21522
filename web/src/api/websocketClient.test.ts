// The client against a real WebSocket server (the `ws` package) that speaks
// the /api/ws protocol for one scripted run: it streams, drops connections on
// command and replays from after_seq on resume, like the Go server does.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocketServer, WebSocket as NodeWebSocket } from 'ws'
import type { AddressInfo } from 'node:net'
import { backoffDelay, WebSocketClient, type ConnectionState, type WebSocketCtor } from './websocketClient'
import type { ClientFrame, ServerEvent } from './wsTypes'

interface Harness {
  url: string
  server: WebSocketServer
  frames: ClientFrame[]
  protocols: string[][]
  sockets: NodeWebSocket[]
  log: ServerEvent[]
  onFrame: (ws: NodeWebSocket, f: ClientFrame) => void
  close: () => Promise<void>
}

const run = { run_id: 'run1', flow_instance_id: 'inst1', flow_config_id: 'standard' }

function runLog(n: number): ServerEvent[] {
  const evs: ServerEvent[] = []
  for (let seq = 1; seq <= n; seq++) {
    const ts = new Date().toISOString()
    if (seq === n) evs.push({
        ...run,
        ts,
        seq,
        type: 'run_finished',
        status: 'completed',
        error: '',
        usage: { input_tokens: 0, output_tokens: 0 },
        timings: { total_ms: 0 },
      })
    else evs.push({ ...run, ts, seq, type: 'assistant_token', delta: `t${seq} ` })
  }
  return evs
}

async function startServer(): Promise<Harness> {
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    handleProtocols: (protocols) => (protocols.has('superego.v1') ? 'superego.v1' : false),
  })
  await new Promise<void>((r) => server.once('listening', () => r()))
  const h: Harness = {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/ws`,
    server,
    frames: [],
    protocols: [],
    sockets: [],
    log: runLog(6),
    onFrame: () => {},
    close: () =>
      new Promise((r) => {
        for (const s of h.sockets) s.terminate()
        server.close(() => r())
      }),
  }
  server.on('connection', (ws, req) => {
    h.sockets.push(ws)
    h.protocols.push((req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()))
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as ClientFrame
      h.frames.push(f)
      h.onFrame(ws, f)
    })
  })
  return h
}

function send(ws: NodeWebSocket, e: ServerEvent) {
  ws.send(JSON.stringify(e))
}

let harness: Harness | undefined
let client: WebSocketClient | undefined

afterEach(async () => {
  client?.close()
  await harness?.close()
  client = undefined
  harness = undefined
})

function newClient(h: Harness, extra: Partial<ConstructorParameters<typeof WebSocketClient>[0]> = {}) {
  const c = new WebSocketClient({
    url: h.url,
    WebSocketImpl: NodeWebSocket as unknown as WebSocketCtor,
    initialBackoffMs: 10,
    maxBackoffMs: 40,
    ...extra,
  })
  const events: ServerEvent[] = []
  const states: ConnectionState[] = []
  c.onEvent((e) => events.push(e))
  c.onState((s) => states.push(s))
  return { c, events, states }
}

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and jitters within [exp/2, exp]', () => {
    expect(backoffDelay(0, 100, 5000, () => 0)).toBe(50)
    expect(backoffDelay(0, 100, 5000, () => 1)).toBe(100)
    expect(backoffDelay(3, 100, 5000, () => 1)).toBe(800)
    expect(backoffDelay(20, 100, 5000, () => 1)).toBe(5000)
    expect(backoffDelay(20, 100, 5000, () => 0)).toBe(2500)
    const a = backoffDelay(4, 100, 5000, () => 0.25)
    expect(a).toBeGreaterThanOrEqual(800)
    expect(a).toBeLessThanOrEqual(1600)
  })
})

describe('WebSocketClient', () => {
  it('sends a request, resolves on accepted, and streams the run', async () => {
    harness = await startServer()
    const h = harness
    h.onFrame = (ws, f) => {
      if (f.type === 'send_message') {
        send(ws, { type: 'accepted', ts: '', request_id: f.request_id, run_ids: ['run1'] })
        for (const e of h.log) send(ws, e)
      }
    }
    const { c, events } = newClient(h, { token: () => 'secret' })
    c.connect()
    const acc = await c.request({ type: 'send_message', flow_instance_id: 'inst1', content: 'hi' })
    expect(acc.run_ids).toEqual(['run1'])
    await vi.waitFor(() => expect(events.filter((e) => e.type === 'run_finished')).toHaveLength(1))
    expect(h.protocols[0]).toEqual(['superego.v1', 'superego.bearer.secret'])
    // A finished run is no longer followed…
    expect(c.followedRuns()).toEqual([])
    // …but a view mounted later (a fork, a comparison column) still gets it.
    expect(c.eventsForInstance('inst1').map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6])
    expect(c.eventsForInstance('other')).toEqual([])
  })

  it('queues a request made before the socket is open', async () => {
    harness = await startServer()
    harness.onFrame = (ws, f) => {
      if (f.type === 'send_message') send(ws, { type: 'accepted', ts: '', request_id: f.request_id, run_ids: ['r9'] })
    }
    const { c } = newClient(harness)
    const p = c.request({ type: 'send_message', flow_instance_id: 'inst1', content: 'early' })
    c.connect()
    await expect(p).resolves.toMatchObject({ run_ids: ['r9'] })
  })

  it('rejects a request the server answers with an error', async () => {
    harness = await startServer()
    harness.onFrame = (ws, f) => {
      if (f.type === 'send_message') {
        send(ws, { type: 'error', ts: '', request_id: f.request_id, code: 'not_found', message: 'no such instance' })
      }
    }
    const { c } = newClient(harness)
    c.connect()
    await expect(c.request({ type: 'send_message', flow_instance_id: 'nope', content: 'x' })).rejects.toMatchObject({
      code: 'not_found',
      message: 'no such instance',
    })
  })

  it('reconnects after the connection drops and resumes the run from its last seq', async () => {
    harness = await startServer()
    const h = harness
    h.onFrame = (ws, f) => {
      if (f.type === 'send_message') {
        send(ws, { type: 'accepted', ts: '', request_id: f.request_id, run_ids: ['run1'] })
        // Stream half of the run, then the connection dies.
        for (const e of h.log.slice(0, 3)) send(ws, e)
        setTimeout(() => ws.terminate(), 20)
      }
      if (f.type === 'resume') {
        // Replay deliberately overlaps by one event: the client must drop it.
        for (const e of h.log) if ((e as { seq: number }).seq >= f.after_seq) send(ws, e)
      }
    }
    const { c, events, states } = newClient(h)
    c.connect()
    await c.request({ type: 'send_message', flow_instance_id: 'inst1', content: 'hi' })
    await vi.waitFor(() => expect(events.some((e) => e.type === 'run_finished')).toBe(true))

    const resume = h.frames.find((f) => f.type === 'resume')
    expect(resume).toMatchObject({ type: 'resume', run_id: 'run1', after_seq: 3 })
    const seqs = events.filter((e) => e.type === 'assistant_token' || e.type === 'run_finished').map((e) => (e as { seq: number }).seq)
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6])
    expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open'])
    expect(h.sockets).toHaveLength(2)
  })

  it('keeps retrying with backoff while the server is down', async () => {
    harness = await startServer()
    const url = harness.url
    const { c, states } = newClient(harness)
    c.connect()
    await vi.waitFor(() => expect(c.getState()).toBe('open'))
    // Take the server away entirely, then bring one back on the same port.
    const port = Number(new URL(url).port)
    await harness.close()
    await vi.waitFor(() => expect(c.getState()).toBe('reconnecting'))
    const again = new WebSocketServer({ port, host: '127.0.0.1', handleProtocols: () => 'superego.v1' })
    try {
      await vi.waitFor(() => expect(c.getState()).toBe('open'), { timeout: 3000 })
      expect(states.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(1)
    } finally {
      c.close()
      for (const s of again.clients) s.terminate()
      await new Promise((r) => again.close(r))
    }
    harness = undefined
  })

  it('follows a run it did not start and reports an unavailable resume', async () => {
    harness = await startServer()
    harness.onFrame = (ws, f) => {
      if (f.type === 'resume' && f.run_id === 'gone') {
        send(ws, { type: 'error', ts: '', request_id: f.request_id, code: 'resume_unavailable', message: 'log evicted' })
      }
    }
    const { c } = newClient(harness)
    const lost: string[] = []
    c.onResumeUnavailable((id) => lost.push(id))
    c.connect()
    await vi.waitFor(() => expect(c.getState()).toBe('open'))
    c.follow('gone', 4)
    await vi.waitFor(() => expect(lost).toEqual(['gone']))
    expect(harness.frames).toContainEqual(expect.objectContaining({ type: 'resume', run_id: 'gone', after_seq: 4 }))
    expect(c.followedRuns()).toEqual([])
  })

  it('answers a silent server with a new connection (heartbeat timeout)', async () => {
    harness = await startServer()
    const h = harness
    // The first connection never answers pings; later ones do.
    h.onFrame = (ws, f) => {
      if (f.type === 'ping' && ws !== h.sockets[0]) send(ws, { type: 'pong', ts: new Date().toISOString() })
    }
    const { c } = newClient(h, { heartbeatIntervalMs: 20, heartbeatTimeoutMs: 60 })
    c.connect()
    await vi.waitFor(() => expect(h.sockets.length).toBeGreaterThanOrEqual(2), { timeout: 3000 })
    await vi.waitFor(() => expect(c.getState()).toBe('open'))
    expect(h.frames.filter((f) => f.type === 'ping').length).toBeGreaterThanOrEqual(1)
  })

  it('tells the server which instances it shows, again after a reconnect', async () => {
    harness = await startServer()
    const h = harness
    const { c } = newClient(h)
    const stopA = c.watchInstance('instA') // before the socket is open
    c.connect()
    await vi.waitFor(() => expect(h.frames).toContainEqual({ type: 'subscribe', flow_instance_ids: ['instA'] }))
    const stopB = c.watchInstance('instB')
    const stopB2 = c.watchInstance('instB') // a second view of the same instance
    await vi.waitFor(() => expect(h.frames.at(-1)).toEqual({ type: 'subscribe', flow_instance_ids: ['instA', 'instB'] }))
    stopA()
    stopB()
    await vi.waitFor(() => expect(h.frames.at(-1)).toEqual({ type: 'subscribe', flow_instance_ids: ['instB'] }))
    const subscribes = () => h.frames.filter((f) => f.type === 'subscribe')
    const before = subscribes().length
    h.sockets[0].terminate()
    await vi.waitFor(() => expect(subscribes()).toHaveLength(before + 1))
    expect(subscribes().at(-1)).toEqual({ type: 'subscribe', flow_instance_ids: ['instB'] })
    expect(h.sockets).toHaveLength(2)
    stopB2()
    await vi.waitFor(() => expect(h.frames.at(-1)).toEqual({ type: 'subscribe', flow_instance_ids: [] }))
  })
})

// The one WebSocket a tab keeps to /api/ws. It owns everything that makes a
// socket dependable: reconnecting with exponential backoff and jitter,
// resuming every run it follows from the last seq it saw (the bookkeeping is
// RunTracker's), heartbeats that detect a dead connection, and correlating
// requests with their `accepted` or `error` replies. Views only subscribe to
// typed events and to the connection state.

import { RunTracker } from './runTracker'
import {
  isRunEvent,
  type AcceptedEvent,
  type ClientFrame,
  type ErrorEvent,
  type RequestFrame,
  type RunEvent,
  type ServerEvent,
} from './wsTypes'

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'

/** The part of the WebSocket constructor we use; `ws` in tests, the browser's otherwise. */
export type WebSocketCtor = new (url: string, protocols?: string | string[]) => WebSocket

export interface WebSocketClientOptions {
  url: string
  /** Returns the API token, if the server requires one. Sent as a subprotocol. */
  token?: () => string | null | undefined
  WebSocketImpl?: WebSocketCtor
  initialBackoffMs?: number
  maxBackoffMs?: number
  heartbeatIntervalMs?: number
  heartbeatTimeoutMs?: number
  requestTimeoutMs?: number
  /** Source of randomness for jitter; injectable so tests can pin it. */
  random?: () => number
}

/** A request the server refused (an `error` frame with our request_id) or that timed out. */
export class WsRequestError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
    this.name = 'WsRequestError'
  }
}

export const SUBPROTOCOL = 'superego.v1'
const BEARER_PREFIX = 'superego.bearer.'

/**
 * Backoff before reconnect attempt `attempt` (0-based): exponential growth
 * capped at maxMs, with "equal jitter" — half fixed, half random — so a
 * restarted server is not hit by every tab at the same instant.
 */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30))
  return Math.round(exp / 2 + (exp / 2) * random())
}

type Distribute<T> = T extends unknown ? Omit<T, 'request_id'> : never
export type RequestInput = Distribute<RequestFrame>

interface Pending {
  resolve: (e: AcceptedEvent) => void
  reject: (e: Error) => void
  timer: ReturnType<typeof setTimeout>
}

export class WebSocketClient {
  private readonly opts: Required<Omit<WebSocketClientOptions, 'token' | 'WebSocketImpl'>> &
    Pick<WebSocketClientOptions, 'token' | 'WebSocketImpl'>
  private ws: WebSocket | null = null
  private state: ConnectionState = 'idle'
  private attempt = 0
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null
  private heartbeatDeadline: ReturnType<typeof setTimeout> | null = null
  private stopped = false
  private nextRequest = 1
  private readonly runs = new RunTracker()
  private readonly pending = new Map<string, Pending>()
  private readonly outbox: ClientFrame[] = []
  private readonly eventListeners = new Set<(e: ServerEvent) => void>()
  private readonly stateListeners = new Set<(s: ConnectionState) => void>()
  private readonly unavailableListeners = new Set<(runId: string) => void>()
  /** Flow instances shown in the tab, with how many views show each. */
  private readonly watched = new Map<string, number>()
  private subscribeQueued = false

  constructor(options: WebSocketClientOptions) {
    this.opts = {
      initialBackoffMs: 500,
      maxBackoffMs: 5000,
      heartbeatIntervalMs: 20000,
      heartbeatTimeoutMs: 10000,
      requestTimeoutMs: 15000,
      random: Math.random,
      ...options,
    }
  }

  // ---- observation ----

  getState = (): ConnectionState => this.state

  /** Subscribes to the connection state; returns the unsubscribe function. */
  onState = (fn: (s: ConnectionState) => void): (() => void) => {
    this.stateListeners.add(fn)
    return () => this.stateListeners.delete(fn)
  }

  /** Subscribes to every server event (run events already de-duplicated). */
  onEvent(fn: (e: ServerEvent) => void): () => void {
    this.eventListeners.add(fn)
    return () => this.eventListeners.delete(fn)
  }

  /**
   * Called with a run id when the server can no longer replay that run (its
   * log was evicted or the server restarted): the view should reload it from REST.
   */
  onResumeUnavailable(fn: (runId: string) => void): () => void {
    this.unavailableListeners.add(fn)
    return () => this.unavailableListeners.delete(fn)
  }

  /** The highest seq seen for a followed run, or undefined when not followed. */
  lastSeq(runId: string): number | undefined {
    return this.runs.lastSeq(runId)
  }

  /** The buffered events of every recent run of one flow instance. */
  eventsForInstance(flowInstanceId: string): RunEvent[] {
    return this.runs.eventsForInstance(flowInstanceId)
  }

  followedRuns(): string[] {
    return this.runs.followedRuns()
  }

  // ---- lifecycle ----

  connect(): void {
    this.stopped = false
    if (this.ws) return
    this.open()
  }

  /** Closes for good: no reconnect, pending requests fail. */
  close(): void {
    this.stopped = true
    this.clearTimers()
    const ws = this.ws
    this.ws = null
    if (ws) {
      this.detach(ws)
      ws.close(1000)
    }
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      p.reject(new WsRequestError('closed', 'connection closed'))
      this.pending.delete(id)
    }
    this.setState('closed')
  }

  // ---- sending ----

  /**
   * Sends a request frame and resolves with its `accepted` reply. The runs it
   * started are followed from seq 0, so they resume after a reconnect. While
   * disconnected the frame waits in an outbox.
   */
  request(input: RequestInput): Promise<AcceptedEvent> {
    const requestId = `r${Date.now().toString(36)}-${this.nextRequest++}`
    const frame = { ...input, request_id: requestId } as RequestFrame
    return new Promise<AcceptedEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId)
        reject(new WsRequestError('timeout', 'the server did not answer in time'))
      }, this.opts.requestTimeoutMs)
      this.pending.set(requestId, { resolve, reject, timer })
      this.send(frame)
    })
  }

  /** Asks the server to stop a run. */
  cancel(runId: string): void {
    this.send({ type: 'cancel', run_id: runId })
  }

  /**
   * Follows a run that this socket did not start (say, one still streaming
   * when the page loaded): its events after afterSeq are replayed, then live.
   */
  follow(runId: string, afterSeq = 0): void {
    if (this.runs.follow(runId, afterSeq) && this.state === 'open') this.sendResume(runId, afterSeq)
  }

  unfollow(runId: string): void {
    this.runs.unfollow(runId)
  }

  /**
   * Tells the server that the tab shows a flow instance, so that it announces
   * the runs on it (started in other tabs too); returns the function that
   * stops. Counted, so two views of one instance share it.
   */
  watchInstance(flowInstanceId: string): () => void {
    this.watched.set(flowInstanceId, (this.watched.get(flowInstanceId) ?? 0) + 1)
    this.scheduleSubscribe()
    let stopped = false
    return () => {
      if (stopped) return
      stopped = true
      const n = (this.watched.get(flowInstanceId) ?? 1) - 1
      if (n > 0) this.watched.set(flowInstanceId, n)
      else this.watched.delete(flowInstanceId)
      this.scheduleSubscribe()
    }
  }

  // The views of one render mount and unmount together: one frame for all.
  private scheduleSubscribe(): void {
    if (this.subscribeQueued) return
    this.subscribeQueued = true
    queueMicrotask(() => {
      this.subscribeQueued = false
      if (this.state === 'open') this.sendSubscribe()
    })
  }

  private sendSubscribe(): void {
    // The server takes at most 64 instances; a tab shows far fewer.
    this.sendNow({ type: 'subscribe', flow_instance_ids: [...this.watched.keys()].slice(0, 64) })
  }

  private send(frame: ClientFrame): void {
    if (this.state === 'open' && this.ws) this.sendNow(frame)
    else this.outbox.push(frame)
  }

  private sendResume(runId: string, afterSeq: number): void {
    const requestId = `resume-${this.nextRequest++}`
    this.runs.resumeSent(requestId, runId)
    this.sendNow({ type: 'resume', run_id: runId, after_seq: afterSeq, request_id: requestId })
  }

  private sendNow(frame: ClientFrame): void {
    try {
      this.ws?.send(JSON.stringify(frame))
    } catch {
      // The socket died between the state check and the send; the close
      // handler reconnects and resumes followed runs.
    }
  }

  // ---- connection ----

  private open(): void {
    this.setState(this.attempt === 0 && this.state !== 'reconnecting' ? 'connecting' : 'reconnecting')
    const Impl = this.opts.WebSocketImpl ?? (globalThis.WebSocket as unknown as WebSocketCtor)
    const protocols = [SUBPROTOCOL]
    const token = this.opts.token?.()
    if (token) protocols.push(BEARER_PREFIX + token)
    let ws: WebSocket
    try {
      ws = new Impl(this.opts.url, protocols)
    } catch {
      this.scheduleReconnect()
      return
    }
    this.ws = ws
    ws.onopen = () => this.handleOpen()
    ws.onmessage = (ev: MessageEvent) => this.handleMessage(ev.data)
    ws.onclose = () => this.handleClose(ws)
    ws.onerror = () => {
      // A close event always follows; reconnecting happens there.
    }
  }

  private handleOpen(): void {
    this.attempt = 0
    this.setState('open')
    this.startHeartbeat()
    if (this.watched.size > 0) this.sendSubscribe()
    // Resume first so that replayed events precede anything new we ask for.
    for (const [runId, afterSeq] of this.runs.toResume()) this.sendResume(runId, afterSeq)
    const queued = this.outbox.splice(0)
    for (const frame of queued) this.sendNow(frame)
  }

  private handleClose(ws: WebSocket): void {
    if (ws !== this.ws) return
    this.detach(ws)
    this.ws = null
    this.stopHeartbeat()
    if (this.stopped) {
      this.setState('closed')
      return
    }
    this.scheduleReconnect()
  }

  private scheduleReconnect(): void {
    this.setState('reconnecting')
    const delay = backoffDelay(this.attempt, this.opts.initialBackoffMs, this.opts.maxBackoffMs, this.opts.random)
    this.attempt++
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null
      if (!this.stopped) this.open()
    }, delay)
  }

  /** Drops a connection that stopped answering and reconnects right away. */
  private abandon(): void {
    const ws = this.ws
    if (!ws) return
    this.detach(ws)
    this.ws = null
    this.stopHeartbeat()
    try {
      ws.close(4000, 'heartbeat timeout')
    } catch {
      // already closing
    }
    this.scheduleReconnect()
  }

  private detach(ws: WebSocket): void {
    ws.onopen = null
    ws.onmessage = null
    ws.onclose = null
    ws.onerror = null
  }

  private startHeartbeat(): void {
    this.stopHeartbeat()
    this.heartbeatTimer = setInterval(() => {
      this.sendNow({ type: 'ping' })
      if (!this.heartbeatDeadline) {
        this.heartbeatDeadline = setTimeout(() => this.abandon(), this.opts.heartbeatTimeoutMs)
      }
    }, this.opts.heartbeatIntervalMs)
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer)
    if (this.heartbeatDeadline) clearTimeout(this.heartbeatDeadline)
    this.heartbeatTimer = null
    this.heartbeatDeadline = null
  }

  private clearTimers(): void {
    this.stopHeartbeat()
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    this.reconnectTimer = null
  }

  private setState(s: ConnectionState): void {
    if (s === this.state) return
    this.state = s
    for (const fn of this.stateListeners) fn(s)
  }

  // ---- receiving ----

  private handleMessage(data: unknown): void {
    // Any frame proves the connection alive.
    if (this.heartbeatDeadline) {
      clearTimeout(this.heartbeatDeadline)
      this.heartbeatDeadline = null
    }
    let e: ServerEvent
    try {
      e = JSON.parse(typeof data === 'string' ? data : String(data)) as ServerEvent
    } catch {
      return
    }
    if (!e || typeof e !== 'object' || typeof e.type !== 'string') return

    if (isRunEvent(e)) {
      if (!this.runs.accept(e)) return
    } else if (e.type === 'accepted') {
      this.runs.started(e.run_ids ?? [])
      const p = this.pending.get(e.request_id)
      if (p) {
        clearTimeout(p.timer)
        this.pending.delete(e.request_id)
        p.resolve(e)
      }
    } else if (e.type === 'error') {
      this.handleError(e)
    }
    for (const fn of this.eventListeners) fn(e)
  }

  private handleError(e: ErrorEvent): void {
    if (e.request_id) {
      const p = this.pending.get(e.request_id)
      if (p) {
        clearTimeout(p.timer)
        this.pending.delete(e.request_id)
        p.reject(new WsRequestError(e.code, e.message))
        return
      }
    }
    for (const runId of this.runs.unavailable(e)) {
      for (const fn of this.unavailableListeners) fn(runId)
    }
  }
}

/** The URL of /api/ws on the page's own origin. */
export function defaultSocketURL(loc: Location = window.location): string {
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${loc.host}/api/ws`
}

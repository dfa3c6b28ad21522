// The stream reducer: turns a conversation's stored messages and the live
// run events of the WebSocket into "turns" — one user message with its
// superego evaluation and assistant answer. It is pure, so the same code
// renders a reloaded history, a live run and a run replayed after resume.

import type { Message, RunEvent, RunStatus, Timings, Usage } from '../../api/wsTypes'

export interface SuperegoPart {
  constitutionId?: string
  constitutionVersion?: number
  model?: string
  thinking: string
  text: string
  decision?: string
  reason?: string
  section?: string
  message?: Message
  streaming: boolean
}

export interface AssistantPart {
  text: string
  message?: Message
  streaming: boolean
}

export type TurnStatus = RunStatus | 'unknown'

export interface Turn {
  /** Stable React key: the user message id, else the run id. */
  key: string
  runId?: string
  flowInstanceId: string
  user: Message | null
  superego: SuperegoPart | null
  assistant: AssistantPart | null
  status: TurnStatus
  error?: string
  usage?: Usage
  timings?: Timings
  /** Highest run event seq applied; replays at or below it are ignored. */
  lastSeq: number
}

export interface Conversation {
  turns: Turn[]
}

export const emptyConversation: Conversation = { turns: [] }

export function isLive(t: Turn): boolean {
  return t.status === 'running'
}

const messageStatusToRun: Record<string, RunStatus> = {
  complete: 'completed',
  // Cut short by the provider (output limit, content filter): the run
  // still completed; TurnView marks the message.
  truncated: 'completed',
  streaming: 'running',
  cancelled: 'cancelled',
  failed: 'failed',
  interrupted: 'interrupted',
}

/** Builds turns from stored messages (any order; sorted by position). */
export function fromHistory(messages: readonly Message[]): Conversation {
  const sorted = [...messages].sort((a, b) => a.position - b.position)
  const turns: Turn[] = []
  for (const m of sorted) {
    if (m.role === 'user') {
      turns.push({
        key: m.id,
        runId: m.run_id || undefined,
        flowInstanceId: m.flow_instance_id,
        user: m,
        superego: null,
        assistant: null,
        status: 'unknown',
        lastSeq: 0,
      })
      continue
    }
    let t = (m.run_id && turns.findLast((x) => x.runId === m.run_id)) || turns[turns.length - 1]
    if (!t) {
      // A history that starts mid-turn (should not happen, but lose nothing).
      t = { key: m.id, runId: m.run_id, flowInstanceId: m.flow_instance_id, user: null, superego: null, assistant: null, status: 'unknown', lastSeq: 0 }
      turns.push(t)
    }
    // The superego/assistant messages name the run that produced them; a
    // fork's copied user message may still carry its original run's id.
    if (m.run_id) t.runId = m.run_id
    if (m.role === 'superego') {
      t.superego = {
        constitutionId: m.constitution_id,
        constitutionVersion: m.constitution_version,
        model: m.model,
        thinking: m.thinking ?? '',
        text: m.content,
        decision: m.decision || undefined,
        reason: m.reason,
        section: m.section || undefined,
        message: m,
        streaming: m.status === 'streaming',
      }
    } else if (m.role === 'assistant') {
      t.assistant = { text: m.content, message: m, streaming: m.status === 'streaming' }
    }
  }
  for (const t of turns) t.status = statusFromMessages(t)
  return { turns }
}

function statusFromMessages(t: Turn): TurnStatus {
  const parts = [t.user, t.superego?.message, t.assistant?.message].filter((m): m is Message => !!m)
  if (parts.some((m) => m.status === 'streaming')) return 'running'
  const bad = parts.find((m) => m.status === 'interrupted' || m.status === 'cancelled' || m.status === 'failed')
  if (bad) {
    t.error = bad.error
    return messageStatusToRun[bad.status]
  }
  if (t.assistant?.message) return messageStatusToRun[t.assistant.message.status] ?? 'unknown'
  if (t.superego?.decision === 'BLOCK' || t.superego?.decision === 'ERROR') return 'blocked'
  return 'unknown'
}

function findTurn(c: Conversation, e: RunEvent): number {
  const byRun = c.turns.findIndex((t) => t.runId === e.run_id)
  if (byRun >= 0) return byRun
  if (e.type === 'run_started') {
    return c.turns.findIndex((t) => t.user?.id === e.user_message.id)
  }
  return -1
}

/** Applies one run event. Events at or below a turn's lastSeq are ignored. */
export function applyEvent(c: Conversation, e: RunEvent): Conversation {
  const i = findTurn(c, e)
  const prev: Turn =
    i >= 0
      ? c.turns[i]
      : {
          key: e.type === 'run_started' ? e.user_message.id : e.run_id,
          runId: e.run_id,
          flowInstanceId: e.flow_instance_id,
          user: null,
          superego: null,
          assistant: null,
          status: 'running',
          lastSeq: 0,
        }
  if (e.seq <= prev.lastSeq) return c
  const t: Turn = { ...prev, runId: e.run_id, lastSeq: e.seq }
  switch (e.type) {
    case 'run_started':
      // A replay from seq 1 rebuilds the turn: drop whatever a stored,
      // partial copy held so deltas are not appended twice.
      t.user = e.user_message
      t.superego = null
      t.assistant = null
      t.status = 'running'
      break
    case 'superego_started':
      t.superego = {
        constitutionId: e.constitution_id,
        constitutionVersion: e.constitution_version,
        model: e.model,
        thinking: '',
        text: '',
        streaming: true,
      }
      break
    case 'superego_thinking':
      t.superego = { ...(t.superego ?? emptySuperego()), thinking: (t.superego?.thinking ?? '') + e.delta }
      break
    case 'superego_token':
      t.superego = { ...(t.superego ?? emptySuperego()), text: (t.superego?.text ?? '') + e.delta }
      break
    case 'superego_decision': {
      const s = t.superego ?? emptySuperego()
      t.superego = {
        ...s,
        decision: e.decision,
        reason: e.reason ?? e.message?.reason,
        section: e.section || e.message?.section || undefined,
        message: e.message,
        thinking: s.thinking || e.message?.thinking || '',
        text: s.text || e.message?.content || '',
        constitutionId: s.constitutionId ?? e.message?.constitution_id,
        constitutionVersion: s.constitutionVersion ?? e.message?.constitution_version,
        model: s.model ?? e.message?.model,
        streaming: false,
      }
      break
    }
    case 'assistant_token':
      t.assistant = { text: (t.assistant?.text ?? '') + e.delta, streaming: true }
      break
    case 'assistant_message':
      t.assistant = { text: e.message.content, message: e.message, streaming: false }
      break
    case 'run_finished':
      t.status = e.status
      t.error = e.error || undefined
      t.usage = e.usage
      t.timings = e.timings
      if (t.superego) t.superego = { ...t.superego, streaming: false }
      if (t.assistant) t.assistant = { ...t.assistant, streaming: false }
      break
  }
  const turns = [...c.turns]
  if (i >= 0) turns[i] = t
  else turns.push(t)
  return { turns }
}

function emptySuperego(): SuperegoPart {
  return { thinking: '', text: '', streaming: true }
}

/**
 * Merges a freshly loaded history with the live state: turns of runs that are
 * still streaming here keep their live content (it is newer than the stored
 * one); live turns the history does not have yet are kept at the end.
 */
export function mergeHistory(live: Conversation, history: Conversation): Conversation {
  const sameTurn = (l: Turn, h: Turn) => (!!h.runId && l.runId === h.runId) || (!!h.user && l.user?.id === h.user.id)
  const turns = history.turns.map((h) => {
    const l = live.turns.find((t) => sameTurn(t, h))
    if (!l) return h
    if (l.status === 'running' && h.status !== 'interrupted') return { ...l, user: l.user ?? h.user }
    // The live run knows its real run id and the seq it reached; keep both
    // so a later replay of the same run is recognised and de-duplicated.
    const merged = { ...h, runId: l.runId ?? h.runId, lastSeq: Math.max(l.lastSeq, h.lastSeq) }
    if (l.lastSeq > 0 && h.status === 'unknown') {
      // The live run finished; keep its usage/timings which messages may not carry.
      return { ...merged, status: l.status, usage: l.usage, timings: l.timings, error: l.error }
    }
    return { ...merged, usage: merged.usage ?? l.usage, timings: merged.timings ?? l.timings }
  })
  for (const l of live.turns) {
    const known = turns.some((t) => sameTurn(l, t) || sameTurn(t, l))
    if (!known && l.lastSeq > 0) turns.push(l)
  }
  return { turns }
}

/**
 * Settles a turn whose live stream can no longer be resumed, with the status
 * the server stored for its run, so the view stops showing it as streaming.
 */
export function settleRun(c: Conversation, runId: string, status: TurnStatus, error?: string): Conversation {
  const i = c.turns.findIndex((t) => t.runId === runId)
  if (i < 0 || c.turns[i].status !== 'running') return c
  const t = c.turns[i]
  const turns = [...c.turns]
  turns[i] = {
    ...t,
    status,
    error: error || t.error,
    superego: t.superego && { ...t.superego, streaming: false },
    assistant: t.assistant && { ...t.assistant, streaming: false },
  }
  return { turns }
}

/**
 * The superego's written verdict without its machine-readable SECTION and
 * DECISION lines: for an ALLOW (which carries no reason) it is the only
 * explanation there is.
 */
export function superegoVerdict(text: string): string {
  const lines = text.split('\n')
  const i = lines.findIndex((l) => /^\s*(decision|section)\s*:/i.test(l))
  return (i < 0 ? lines : lines.slice(0, i)).join('\n').trim()
}

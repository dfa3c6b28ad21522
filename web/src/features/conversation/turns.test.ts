import { describe, expect, it } from 'vitest'
import type { Message, RunEvent } from '../../api/wsTypes'
import { applyEvent, emptyConversation, fromHistory, mergeHistory, superegoVerdict, type Conversation } from './turns'

const base = { ts: '2026-01-01T00:00:00Z', run_id: 'run1', flow_instance_id: 'inst1', flow_config_id: 'standard' }

function msg(p: Partial<Message> & Pick<Message, 'id' | 'role' | 'position'>): Message {
  return { flow_instance_id: 'inst1', content: '', status: 'complete', created_at: base.ts, updated_at: base.ts, usage: { input_tokens: 0, output_tokens: 0 }, timings: { total_ms: 0 }, ...p }
}

const user = msg({ id: 'u1', role: 'user', position: 1, content: 'hello', run_id: 'run1' })

// A whole ALLOW run as the engine emits it, with the answer split in deltas.
function allowRun(): RunEvent[] {
  let seq = 0
  const ev = <T extends object>(x: T) => ({ ...base, seq: ++seq, ...x }) as unknown as RunEvent
  return [
    ev({ type: 'run_started', user_message: user }),
    ev({ type: 'superego_started', constitution_id: 'default', constitution_version: 2, model: 'demo-superego' }),
    ev({ type: 'superego_thinking', delta: 'Checking ' }),
    ev({ type: 'superego_thinking', delta: 'headings.' }),
    ev({ type: 'superego_token', delta: 'DECISION: ALLOW' }),
    ev({ type: 'superego_decision', decision: 'ALLOW', reason: '' }),
    ev({ type: 'assistant_token', delta: 'Hel' }),
    ev({ type: 'assistant_token', delta: 'lo **there**' }),
    ev({
      type: 'assistant_message',
      message: msg({ id: 'a1', role: 'assistant', position: 3, content: 'Hello **there**', run_id: 'run1', model: 'demo-assistant' }),
    }),
    ev({ type: 'run_finished', status: 'completed', usage: { input_tokens: 5, output_tokens: 3 }, timings: { total_ms: 40 } }),
  ]
}

function applyAll(c: Conversation, evs: RunEvent[]): Conversation {
  return evs.reduce(applyEvent, c)
}

describe('stream reducer', () => {
  it('builds one turn from a live run', () => {
    const evs = allowRun()
    const mid = applyAll(emptyConversation, evs.slice(0, 7))
    expect(mid.turns).toHaveLength(1)
    expect(mid.turns[0].status).toBe('running')
    expect(mid.turns[0].superego?.thinking).toBe('Checking headings.')
    expect(mid.turns[0].superego?.decision).toBe('ALLOW')
    expect(mid.turns[0].superego?.constitutionVersion).toBe(2)
    expect(mid.turns[0].assistant).toEqual({ text: 'Hel', streaming: true })

    const done = applyAll(mid, evs.slice(7))
    const t = done.turns[0]
    expect(t.user?.content).toBe('hello')
    expect(t.assistant?.text).toBe('Hello **there**')
    expect(t.assistant?.streaming).toBe(false)
    expect(t.status).toBe('completed')
    expect(t.usage?.output_tokens).toBe(3)
  })

  it('ignores replayed events it already applied', () => {
    const evs = allowRun()
    const once = applyAll(emptyConversation, evs.slice(0, 8))
    // A resume that overlaps: events 5..10 arrive again after 1..8.
    const twice = applyAll(once, evs.slice(4))
    expect(twice.turns).toHaveLength(1)
    expect(twice.turns[0].assistant?.text).toBe('Hello **there**')
    expect(twice.turns[0].superego?.thinking).toBe('Checking headings.')
  })

  it('a blocked run has a decision and no answer', () => {
    let seq = 0
    const ev = <T extends object>(x: T) => ({ ...base, seq: ++seq, ...x }) as unknown as RunEvent
    const c = applyAll(emptyConversation, [
      ev({ type: 'run_started', user_message: user }),
      ev({ type: 'superego_started', constitution_id: 'default', constitution_version: 1, model: 'm' }),
      ev({ type: 'superego_decision', decision: 'BLOCK', reason: 'weapons', section: 'Serious physical harm' }),
      ev({ type: 'run_finished', status: 'blocked' }),
    ])
    expect(c.turns[0].superego?.decision).toBe('BLOCK')
    expect(c.turns[0].superego?.reason).toBe('weapons')
    expect(c.turns[0].superego?.section).toBe('Serious physical harm')
    expect(c.turns[0].assistant).toBeNull()
    expect(c.turns[0].status).toBe('blocked')
  })

  it('rebuilds the same turn from stored messages', () => {
    const h = fromHistory([
      msg({ id: 'a1', role: 'assistant', position: 3, content: 'Hello **there**', run_id: 'run1' }),
      user,
      msg({ id: 's1', role: 'superego', position: 2, content: 'DECISION: ALLOW', decision: 'ALLOW', thinking: 'Checking headings.', run_id: 'run1', constitution_id: 'default', constitution_version: 2 }),
      msg({ id: 'u2', role: 'user', position: 4, content: 'bomb', run_id: 'run2' }),
      msg({ id: 's2', role: 'superego', position: 5, decision: 'BLOCK', reason: 'weapons', section: 'Harm', run_id: 'run2' }),
    ])
    expect(h.turns).toHaveLength(2)
    expect(h.turns[0].superego?.section).toBeUndefined()
    expect(h.turns[1].superego?.section).toBe('Harm')
    expect(h.turns[0].assistant?.text).toBe('Hello **there**')
    expect(h.turns[0].superego?.thinking).toBe('Checking headings.')
    expect(h.turns[0].status).toBe('completed')
    expect(h.turns[1].status).toBe('blocked')
    expect(h.turns[1].assistant).toBeNull()
  })

  it('counts an answer the provider cut short as a completed run, keeping its message status', () => {
    const h = fromHistory([
      user,
      msg({ id: 'a1', role: 'assistant', position: 2, content: 'Step 1. Preheat the', run_id: 'run1', status: 'truncated', error: 'cut short by the provider (length)' }),
    ])
    expect(h.turns[0].status).toBe('completed')
    expect(h.turns[0].assistant?.message?.status).toBe('truncated')
  })

  it('marks an interrupted stored answer', () => {
    const h = fromHistory([
      user,
      msg({ id: 'a1', role: 'assistant', position: 3, content: 'Hel', run_id: 'run1', status: 'interrupted', error: 'server restarted' }),
    ])
    expect(h.turns[0].status).toBe('interrupted')
    expect(h.turns[0].error).toBe('server restarted')
  })

  it('keeps a streaming turn over an older stored copy when merging history', () => {
    const live = applyAll(emptyConversation, allowRun().slice(0, 7))
    const stored = fromHistory([user, msg({ id: 's1', role: 'superego', position: 2, status: 'streaming', run_id: 'run1' })])
    const merged = mergeHistory(live, stored)
    expect(merged.turns).toHaveLength(1)
    expect(merged.turns[0].assistant?.text).toBe('Hel')
    // …and a stored history replaces a finished live turn.
    const h2 = fromHistory([user, msg({ id: 'a1', role: 'assistant', position: 3, content: 'Hello', run_id: 'run1' })])
    const finished = applyAll(emptyConversation, allowRun())
    expect(mergeHistory(finished, h2).turns[0].assistant?.text).toBe('Hello')
  })

  it('matches a fork whose copied user message carries the original run id', () => {
    // The fork's user message was copied from run0; the rerun is run1.
    const copied = msg({ id: 'u9', role: 'user', position: 1, content: 'bomb?', run_id: 'run0', flow_instance_id: 'fork' })
    const ev = (seq: number, x: object) => ({ ...base, run_id: 'run1', flow_instance_id: 'fork', seq, ...x }) as unknown as RunEvent
    // History fetched before the superego wrote anything…
    let c = mergeHistory(emptyConversation, fromHistory([copied]))
    c = applyEvent(c, ev(1, { type: 'run_started', user_message: { ...copied, run_id: 'run1' } }))
    c = applyEvent(c, ev(2, { type: 'superego_started', constitution_id: 'none', constitution_version: 1, model: 'm' }))
    expect(c.turns).toHaveLength(1)
    expect(c.turns[0].runId).toBe('run1')
    // …then refetched while the run goes on: still one turn, still live.
    c = mergeHistory(c, fromHistory([copied, msg({ id: 's9', role: 'superego', position: 2, status: 'streaming', run_id: 'run1', flow_instance_id: 'fork' })]))
    c = applyEvent(c, ev(3, { type: 'superego_decision', decision: 'ALLOW' }))
    expect(c.turns).toHaveLength(1)
    expect(c.turns[0].superego?.decision).toBe('ALLOW')
    expect(c.turns[0].user?.id).toBe('u9')
  })

  it('gives a history turn the run id of its superego message', () => {
    const h = fromHistory([
      msg({ id: 'u9', role: 'user', position: 1, run_id: 'run0' }),
      msg({ id: 's9', role: 'superego', position: 2, run_id: 'run1', decision: 'ALLOW' }),
    ])
    expect(h.turns[0].runId).toBe('run1')
  })
})

describe('superegoVerdict', () => {
  it('drops the DECISION line and what follows it', () => {
    expect(superegoVerdict('No concerns (8 sections checked).\n\nDECISION: ALLOW')).toBe('No concerns (8 sections checked).')
    expect(superegoVerdict('About a dose.\n\ndecision: CAUTION: medical\n')).toBe('About a dose.')
    expect(superegoVerdict('About a dose.\n\nSECTION: Specialist advice\nDECISION: CAUTION: medical')).toBe('About a dose.')
  })
  it('keeps text without a decision line, and is empty for a bare decision', () => {
    expect(superegoVerdict('Still thinking it over')).toBe('Still thinking it over')
    expect(superegoVerdict('DECISION: BLOCK: bombs')).toBe('')
  })
})

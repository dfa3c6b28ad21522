import { describe, expect, it } from 'vitest'
import { RunTracker } from './runTracker'
import type { ErrorEvent, RunEvent } from './wsTypes'

const ts = '2026-01-01T00:00:00Z'
const ev = (run: string, seq: number, type = 'assistant_delta', inst = 'inst1') =>
  ({ type, ts, run_id: run, flow_instance_id: inst, flow_config_id: 'c', seq, delta: 'x' }) as unknown as RunEvent
const err = (p: Partial<ErrorEvent>) => ({ type: 'error', ts, code: 'resume_unavailable', message: '', ...p }) as ErrorEvent

describe('RunTracker', () => {
  it('drops replayed events at or below the last seq and resumes after it', () => {
    const t = new RunTracker()
    t.started(['r1'])
    expect([1, 2, 3].map((s) => t.accept(ev('r1', s)))).toEqual([true, true, true])
    expect(t.toResume()).toEqual([['r1', 3]])
    // The replay after the reconnect overlaps: 2 and 3 are old, 4 is new.
    expect([2, 3, 4].map((s) => t.accept(ev('r1', s)))).toEqual([false, false, true])
    expect(t.lastSeq('r1')).toBe(4)
    expect(t.eventsForInstance('inst1').map((e) => e.seq)).toEqual([1, 2, 3, 4])
    expect(t.eventsForInstance('other')).toEqual([])
  })

  it('stops following a run once it finished', () => {
    const t = new RunTracker()
    t.started(['r1'])
    t.accept(ev('r1', 1))
    t.accept(ev('r1', 2, 'run_finished'))
    expect(t.lastSeq('r1')).toBeUndefined()
    expect(t.toResume()).toEqual([])
  })

  it('attributes a failed resume by request id, else to the runs still waiting for theirs', () => {
    const t = new RunTracker()
    t.follow('r1', 0)
    t.follow('r2', 5)
    t.resumeSent('q1', 'r1')
    t.resumeSent('q2', 'r2')
    expect(t.unavailable(err({ request_id: 'q2' }))).toEqual(['r2'])
    expect(t.followedRuns()).toEqual(['r1'])
    // Another error code is not about resuming.
    expect(t.unavailable(err({ code: 'invalid_request' }))).toEqual([])
    expect(t.unavailable(err({}))).toEqual(['r1'])
    expect(t.followedRuns()).toEqual([])
  })

  it('does not blame a run whose resume an event already answered', () => {
    const t = new RunTracker()
    t.follow('r1', 0)
    t.follow('r2', 0)
    t.accept(ev('r1', 1))
    expect(t.unavailable(err({}))).toEqual(['r2'])
  })
})

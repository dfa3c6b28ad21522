import { describe, expect, it } from 'vitest'
import type { FlowConfig, Message } from '../../api/types'
import type { Turn } from '../conversation/turns'
import { decisionsDiffer, formatDelta, outputDecisionsDiffer, settingsDiff } from './differences'

function turn(decision?: string, superego = true): Turn {
  return {
    key: Math.random().toString(36),
    flowInstanceId: 'i',
    user: null,
    superego: superego ? { thinking: '', text: '', decision, streaming: false } : null,
    assistant: null,
    status: 'completed',
    lastSeq: 0,
  }
}

/** A turn whose answer has the output verdict `decision` ('' when not screened). */
function answered(decision: string, status = 'complete'): Turn {
  const message = { id: 'm', role: 'assistant', content: 'x', status, decision } as unknown as Message
  return { ...turn('ALLOW'), assistant: { text: 'x', message, streaming: false } }
}

describe('decisionsDiffer', () => {
  it('marks the turns whose decided columns disagree', () => {
    const a = [turn('ALLOW'), turn('BLOCK'), turn('ALLOW')]
    const b = [turn('ALLOW'), turn('CAUTION'), turn(undefined)]
    const none = [turn(undefined, false), turn(undefined, false), turn(undefined, false)]
    expect(decisionsDiffer([a, b, none])).toEqual([false, true, false])
  })
  it('a longer column adds turns the others do not have yet', () => {
    expect(decisionsDiffer([[turn('ALLOW')], [turn('ALLOW'), turn('BLOCK')]])).toEqual([false, false])
    expect(decisionsDiffer([])).toEqual([])
  })
})

describe('outputDecisionsDiffer', () => {
  it('marks a withdrawn answer beside one that stands, screened or not', () => {
    const screened = [answered('BLOCK', 'withdrawn'), answered('ALLOW'), answered('ALLOW')]
    const plain = [answered(''), answered(''), answered('')]
    const same = [answered('BLOCK', 'withdrawn'), answered('ALLOW'), answered('CAUTION')]
    expect(outputDecisionsDiffer([screened, plain])).toEqual([true, false, false])
    expect(outputDecisionsDiffer([screened, same])).toEqual([false, false, true])
  })
  it('leaves out answers still streaming and turns without an answer', () => {
    const streaming = { ...answered('', 'streaming') }
    expect(outputDecisionsDiffer([[answered('BLOCK', 'withdrawn')], [streaming]])).toEqual([false])
    expect(outputDecisionsDiffer([[turn('BLOCK')], [answered('ALLOW')]])).toEqual([false])
  })
})

describe('formatDelta', () => {
  it('signs the difference with a true minus and groups thousands', () => {
    expect(formatDelta(-310)).toBe('\u2212310 ms')
    expect(formatDelta(1234)).toBe('+1,234 ms')
    expect(formatDelta(0.2)).toBe('±0 ms')
  })
})

describe('settingsDiff', () => {
  const a = { id: 'a', name: 'Standard', superego_enabled: true, constitution_id: 'default', assistant_start: 'after_verdict', screen_output: 'off', assistant_model: '', superego_model: '' } as FlowConfig
  it('names what sets the second config apart', () => {
    expect(settingsDiff(a, { ...a, id: 'b', assistant_start: 'speculative' })).toBe('speculative')
    expect(settingsDiff(a, { ...a, id: 'c', assistant_start: 'speculative', screen_output: 'streaming' })).toBe('speculative, screens answers (streaming)')
    expect(settingsDiff({ ...a, screen_output: 'final' }, a)).toBe('no output screening')
    expect(settingsDiff(a, { ...a, superego_enabled: false })).toBe('superego off')
  })
  it('falls back to the name when nothing compared differs', () => {
    expect(settingsDiff(a, { ...a, id: 'd', name: 'Copy' })).toBe('Copy')
  })
})

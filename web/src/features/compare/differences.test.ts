import { describe, expect, it } from 'vitest'
import type { Turn } from '../conversation/turns'
import { decisionsDiffer } from './differences'

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

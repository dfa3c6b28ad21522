import { describe, expect, it } from 'vitest'
import { attributionDone, planText, type AttributionPlan } from './attributions'

const plan = (over: Partial<AttributionPlan>): AttributionPlan => ({
  kind: 'message',
  alone: false,
  items: 1,
  skipped: 0,
  calls: 5,
  models: [{ model: 'demo:demo-superego', calls: 5, input_tokens: 2000, output_tokens: 1000 }],
  ...over,
})

describe('planText', () => {
  it('says the calls and the cost with where the price comes from', () => {
    expect(planText(plan({ cost: { usd: 0.0006, source: 'demo' } }))).toBe('5 superego calls · about $0.00060 (demo prices)')
    expect(planText(plan({ cost: { usd: 1.234, source: 'configured' } }))).toBe('5 superego calls · about $1.23')
    expect(planText(plan({ cost: { usd: 0.5, source: 'default' } }))).toBe('5 superego calls · about $0.50 (default prices)')
  })
  it('counts the verdicts of an eval', () => {
    expect(planText(plan({ kind: 'eval', items: 2, calls: 10, cost: { usd: 0, source: 'local' } }))).toBe('10 superego calls for 2 verdicts · about $0 (local prices)')
  })
  it('names the models without a price', () => {
    expect(planText(plan({ models: [{ model: 'openai:mystery', calls: 5, input_tokens: 1, output_tokens: 1 }] }))).toBe('5 superego calls · no price is set for openai:mystery')
  })
})

describe('attributionDone', () => {
  it('is true only for the final statuses', () => {
    expect(['completed', 'cancelled', 'failed'].map(attributionDone)).toEqual([true, true, true])
    expect(['queued', 'running', undefined].map(attributionDone)).toEqual([false, false, false])
  })
})

import { describe, expect, it } from 'vitest'
import { paramsText } from './params'

describe('paramsText', () => {
  it('names each parameter sent, in a fixed order', () => {
    expect(paramsText({ max_tokens: 5000, thinking_budget: 3000, temperature: 0 })).toBe('temperature 0 · max tokens 5000 · thinking budget 3000')
    expect(paramsText({ seed: 7, reasoning_effort: 'low', top_p: 0.9 })).toBe('top_p 0.9 · seed 7 · reasoning effort low')
  })
  it('is empty when nothing was sent', () => {
    expect(paramsText(undefined)).toBe('')
    expect(paramsText({})).toBe('')
  })
})

import { describe, expect, it } from 'vitest'
import type { FlowConfig } from '../../api/types'
import { existingConfig, sameSpec, variantDraft, variantsOf } from './variants'

const base: FlowConfig = {
  id: 'standard',
  name: 'Standard',
  description: 'the default',
  constitution_id: 'default',
  sysprompt_id: 'assistant_default',
  superego_enabled: true,
  superego_model: '',
  assistant_model: '',
  on_superego_error: 'block',
  assistant_start: 'after_verdict',
  screen_output: 'off',
  screen_chunk: 40,
  superego_params: {},
  assistant_params: { temperature: 0.2 },
  version: 1,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
}

describe('variants', () => {
  it('crosses the chosen starts with the chosen screenings, in a fixed order', () => {
    expect(variantsOf(['speculative', 'after_verdict'], ['streaming', 'off'])).toEqual([
      { start: 'after_verdict', screen: 'off' },
      { start: 'after_verdict', screen: 'streaming' },
      { start: 'speculative', screen: 'off' },
      { start: 'speculative', screen: 'streaming' },
    ])
    expect(variantsOf([], ['off'])).toEqual([])
  })
  it('changes only the two settings and names the variant', () => {
    const d = variantDraft(base, { start: 'speculative', screen: 'streaming' })
    expect(d.name).toBe('Standard · speculative · output streaming')
    expect(d.assistant_start).toBe('speculative')
    expect(d.screen_output).toBe('streaming')
    expect(d.constitution_id).toBe('default')
    expect(d.screen_chunk).toBe(40)
    expect(d.assistant_params).toEqual({ temperature: 0.2 })
  })
  it('reuses a stored config that runs alike, whatever its name', () => {
    const spec = { ...base, id: 'standard-speculative', name: 'Mine', assistant_start: 'speculative' }
    const configs = [base, spec]
    expect(existingConfig(configs, variantDraft(base, { start: 'after_verdict', screen: 'off' }))?.id).toBe('standard')
    expect(existingConfig(configs, variantDraft(base, { start: 'speculative', screen: 'off' }))?.id).toBe('standard-speculative')
    expect(existingConfig(configs, variantDraft(base, { start: 'speculative', screen: 'final' }))).toBeUndefined()
    // Other model parameters make another config.
    expect(existingConfig([{ ...spec, assistant_params: { temperature: 0.9 } }], variantDraft(base, { start: 'speculative', screen: 'off' }))).toBeUndefined()
    expect(sameSpec(variantDraft(base, { start: 'speculative', screen: 'off' }), variantDraft(base, { start: 'speculative', screen: 'final' }))).toBe(false)
  })
})

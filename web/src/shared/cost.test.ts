import { describe, expect, it } from 'vitest'
import { formatCost, sumCosts } from './cost'

describe('cost', () => {
  it('adds the costs present and keeps a common source', () => {
    expect(sumCosts([{ usd: 0.001, source: 'default' }, undefined, { usd: 0.002, source: 'default' }])).toEqual({ usd: 0.003, source: 'default' })
    expect(sumCosts([{ usd: 1, source: 'default' }, { usd: 2, source: 'configured' }])?.source).toBe('mixed')
    expect(sumCosts([undefined, null])).toBeUndefined()
  })
  it('formats small amounts with two significant digits and says where prices came from', () => {
    expect(formatCost({ usd: 0.0001234, source: 'default' })).toBe('$0.00012 (default prices)')
    expect(formatCost({ usd: 1.5, source: 'configured' })).toBe('$1.50')
    expect(formatCost({ usd: 0, source: 'demo' })).toBe('$0 (demo)')
  })
})

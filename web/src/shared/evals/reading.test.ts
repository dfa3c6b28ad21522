import { describe, expect, it } from 'vitest'
import { duration, interval, markdownSummary, mcnemarReading, pct, plannedCalls, pValue, targetLabel, timeLeftMs } from './reading'

const rate = (k: number, n: number, low: number, high: number) => ({ k, n, value: n ? k / n : 0, low, high })

describe('reading the numbers', () => {
  it('writes rates and intervals as percentages, and a dash for nothing counted', () => {
    expect(pct(rate(1, 8, 0.0224, 0.4709))).toBe('12.5 %')
    expect(pct(rate(0, 0, 0, 1))).toBe('–')
    expect(interval(rate(1, 8, 0.0224, 0.4709))).toBe('[2.2 %, 47.1 %]')
    expect(interval(rate(0, 0, 0, 1))).toBe('')
  })

  it('reads a McNemar p-value plainly', () => {
    expect(mcnemarReading(0.0312, 7)).toMatch(/likely a real change/i)
    expect(mcnemarReading(0.05, 7)).toMatch(/could be noise/i)
    expect(mcnemarReading(1, 0)).toMatch(/nothing to test/i)
    expect(pValue(0.03125)).toBe('0.03125')
    expect(pValue(0.5)).toBe('0.5')
    expect(pValue(0.00001)).toBe('< 0.0001')
  })

  it('estimates the time left from the pace so far', () => {
    // 25 of 100 rows in 10 s: 75 rows left at 2.5 rows/s is 30 s.
    expect(timeLeftMs(25, 100, 10_000)).toBe(30_000)
    expect(timeLeftMs(0, 100, 10_000)).toBeNull()
    expect(timeLeftMs(100, 100, 10_000)).toBe(0)
    expect(duration(30_000)).toBe('about 30 s')
    expect(duration(600_000)).toBe('about 10 min')
    expect(duration(null)).toBe('estimating…')
  })

  it('counts the model calls an eval will make', () => {
    // XSTest (450) × 2 targets × 3 repeats.
    expect(plannedCalls(450, 2, 3, 'superego')).toEqual({ min: 2700, max: 2700 })
    expect(plannedCalls(450, 2, 3, 'full')).toEqual({ min: 2700, max: 5400 })
  })

  it('names a target by config and constitution', () => {
    expect(targetLabel({ flow_config_id: 'standard' })).toBe('standard')
    expect(targetLabel({ flow_config_id: 'standard', constitution_id: 'default', constitution_version: 4 })).toBe('standard · default@4')
    expect(targetLabel({ flow_config_id: 'standard', draft_hash: 'abcdef0123456789' })).toBe('standard · draft abcdef01')
  })

  it('writes a Markdown table with intervals and the comparison', () => {
    const summary = { rows: 10, kappa: 0.6, block_rate: rate(4, 5, 0.376, 0.9638), accuracy: rate(8, 10, 0.4902, 0.9433) }
    const md = markdownSummary({
      suite: 'XSTest',
      suiteVersion: 1,
      repeats: 1,
      targets: [
        { label: 'a', summary },
        { label: 'b|c', summary: { rows: 0, kappa: null } },
      ],
      comparison: { a: 'a', b: 'b', flips: 3, cases: 10, rightToWrong: 0, wrongToRight: 3, p: 0.25 },
    })
    expect(md).toContain('| metric | a | b\\|c |')
    expect(md).toContain('| Block rate | 80.0 % [37.6 %, 96.4 %] (4/5) | – |')
    expect(md).toContain("| Cohen's κ | 0.600 | – |")
    expect(md).toContain('exact McNemar p = 0.25. Could be noise')
  })
})

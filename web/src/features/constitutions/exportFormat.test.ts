import { describe, expect, it } from 'vitest'
import type { Constitution, ConstitutionVersion } from '../../api/types'
import { constitutionFromMarkdown, constitutionJsonl, constitutionMarkdown } from './exportFormat'

const c = { id: 'strict', name: 'Strict', description: '', content: '# Strict\n\n- No.\n', protected: false, version: 2, created_at: 't1', updated_at: 't2' } as Constitution
const v = (n: number, content: string) => ({ constitution_id: 'strict', version: n, name: 'Strict', description: '', content, created_at: `t${n}` }) as ConstitutionVersion

describe('constitution export', () => {
  it('JSONL holds the constitution then every version, oldest first, exactly', () => {
    const lines = constitutionJsonl(c, [v(2, 'b'), v(1, 'a')]).trimEnd().split('\n').map((l) => JSON.parse(l))
    expect(lines[0]).toEqual({ type: 'constitution', format: 'superego.constitution/v1', constitution: c })
    expect(lines.slice(1).map((l) => l.version.version)).toEqual([1, 2])
    expect(lines[2].version).toEqual(v(2, 'b'))
  })
  it('Markdown is the current text and the history, newest first', () => {
    const md = constitutionMarkdown(c, [v(1, 'first text'), v(2, 'second text')])
    expect(md.startsWith('# Strict\n\n- No.\n')).toBe(true)
    expect(md.indexOf('Version 2')).toBeLessThan(md.indexOf('Version 1'))
    expect(md).toContain('first text')
  })
})

describe('constitutionFromMarkdown', () => {
  it('takes the first heading as the name and keeps the text with LF line ends', () => {
    expect(constitutionFromMarkdown('Intro\r\n# Lab rules\r\n- Be kind.\r\n', 'x.md')).toEqual({ name: 'Lab rules', content: 'Intro\n# Lab rules\n- Be kind.\n' })
  })
  it('without a heading, the file name', () => {
    expect(constitutionFromMarkdown('- Be kind.', 'lab_rules-v2.md').name).toBe('lab rules v2')
  })
})

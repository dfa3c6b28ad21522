import { describe, expect, it } from 'vitest'
import { lineDiff, wordDiff } from './textDiff'

describe('lineDiff', () => {
  it('text appended after a last line without a newline leaves that line unchanged', () => {
    const d = lineDiff('# Rules\n- Be kind.', '# Rules\n- Be kind.\n- Be brief.\n')
    expect(d).toEqual([
      { kind: 'same', text: '# Rules' },
      { kind: 'same', text: '- Be kind.' },
      { kind: 'add', text: '- Be brief.' },
    ])
  })
  it('CRLF and LF versions of the same text do not differ', () => {
    expect(lineDiff('a\r\nb\r\n', 'a\nb\n').every((l) => l.kind === 'same')).toBe(true)
  })
  it('a changed line shows the words that changed', () => {
    const d = lineDiff('keep\nNever share secrets.\nend\n', 'keep\nNever share private secrets.\nend\n')
    expect(d.map((l) => l.kind)).toEqual(['same', 'change', 'same'])
    const changed = d[1].pieces!
    expect(changed.filter((p) => p.kind === 'add').map((p) => p.text.trim())).toEqual(['private'])
    expect(changed.filter((p) => p.kind === 'del')).toEqual([])
    // The pieces rebuild both lines.
    expect(changed.filter((p) => p.kind !== 'add').map((p) => p.text).join('')).toBe('Never share secrets.')
    expect(changed.filter((p) => p.kind !== 'del').map((p) => p.text).join('')).toBe('Never share private secrets.')
  })
  it('more lines removed than added: the rest are plain removals', () => {
    const d = lineDiff('a\nx1\nx2\nb\n', 'a\ny1\nb\n')
    expect(d.map((l) => l.kind)).toEqual(['same', 'change', 'del', 'same'])
  })
})

describe('wordDiff', () => {
  it('marks the words one answer has and the other lacks', () => {
    const p = wordDiff('Tea came from China.', 'Tea came from Yunnan, China.')
    expect(p.filter((x) => x.kind === 'add').map((x) => x.text)).toEqual(['Yunnan, '])
    expect(p.filter((x) => x.kind !== 'add').map((x) => x.text).join('')).toBe('Tea came from China.')
  })
})

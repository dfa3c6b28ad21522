// Line and word diffs with the `diff` library: a constitution's versions are
// compared line by line, with the words that changed marked inside a
// changed line; two answers are compared word by word. Line endings are
// normalised first (CRLF, CR → LF), and a missing newline at the end does
// not make the last line "changed" when text is appended after it.

import { diffLines, diffWordsWithSpace } from 'diff'

export type PieceKind = 'same' | 'add' | 'del'

/** A run of text inside a line or an answer. */
export interface Piece {
  kind: PieceKind
  text: string
}

/** One line of a line diff; a changed line carries its word pieces. */
export interface DiffLine {
  kind: PieceKind | 'change'
  text: string
  /** For 'change': the old line's text as pieces 'same'/'del' and the new one's as 'same'/'add'. */
  pieces?: Piece[]
}

function normalise(s: string): string {
  return s.replace(/\r\n?/g, '\n')
}

function splitLines(value: string): string[] {
  const lines = value.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

/** Word pieces between two texts (whitespace kept, so the text reads as it is). */
export function wordDiff(a: string, b: string): Piece[] {
  return diffWordsWithSpace(normalise(a), normalise(b)).map((c) => ({ kind: c.added ? 'add' : c.removed ? 'del' : 'same', text: c.value }))
}

/**
 * The lines of b against a. A block of removed lines followed by as many
 * added ones is a set of changed lines: each pairs an old line with a new
 * one and shows the words that changed.
 */
export function lineDiff(a: string, b: string): DiffLine[] {
  const parts = diffLines(normalise(a), normalise(b), { ignoreNewlineAtEof: true })
  const out: DiffLine[] = []
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]
    const lines = splitLines(p.value)
    const next = parts[i + 1]
    if (p.removed && next?.added) {
      const added = splitLines(next.value)
      const n = Math.min(lines.length, added.length)
      for (let k = 0; k < n; k++) out.push({ kind: 'change', text: added[k], pieces: wordDiff(lines[k], added[k]) })
      for (const l of lines.slice(n)) out.push({ kind: 'del', text: l })
      for (const l of added.slice(n)) out.push({ kind: 'add', text: l })
      i++
      continue
    }
    const kind: PieceKind = p.added ? 'add' : p.removed ? 'del' : 'same'
    for (const l of lines) out.push({ kind, text: l })
  }
  return out
}

// Reading a dropped file before it is sent: its format, its columns (CSV
// header or the keys of the JSONL objects), and a guess at which column
// holds what, so the import dialog can offer the mapping. The server parses
// the file itself (a dry run shows what it read); this only helps a person
// choose.

import Papa from 'papaparse'

export type FileFormat = 'csv' | 'jsonl'

export interface Sniffed {
  format: FileFormat
  columns: string[]
  /** The distinct values of each column among the first rows (for label translation). */
  samples: Record<string, string[]>
}

export function formatOf(name: string, text: string): FileFormat {
  if (/\.jsonl?$/i.test(name) || /\.ndjson$/i.test(name)) return 'jsonl'
  if (/\.csv$/i.test(name)) return 'csv'
  return text.trimStart().startsWith('{') ? 'jsonl' : 'csv'
}

const sampleRows = 200

export function sniff(name: string, text: string): Sniffed {
  const format = formatOf(name, text)
  let rows: Record<string, unknown>[] = []
  if (format === 'csv') {
    const parsed = Papa.parse<Record<string, string>>(text, { header: true, preview: sampleRows, skipEmptyLines: true })
    rows = parsed.data
    const columns = (parsed.meta.fields ?? []).filter(Boolean)
    return { format, columns, samples: samplesOf(rows, columns) }
  }
  const columns: string[] = []
  for (const line of text.split('\n').slice(0, sampleRows)) {
    if (!line.trim()) continue
    try {
      const obj = JSON.parse(line)
      if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
        rows.push(obj)
        for (const k of Object.keys(obj)) if (!columns.includes(k)) columns.push(k)
      }
    } catch {
      // The server names the bad line on the dry run; skip it here.
    }
  }
  return { format, columns, samples: samplesOf(rows, columns) }
}

function samplesOf(rows: Record<string, unknown>[], columns: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const c of columns) {
    const seen = new Set<string>()
    for (const r of rows) {
      const v = r[c]
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') seen.add(String(v))
      if (seen.size > 12) break
    }
    out[c] = [...seen]
  }
  return out
}

export interface Mapping {
  id: string
  input: string
  expected: string
  category: string
  note: string
}

const guesses: Record<keyof Mapping, RegExp> = {
  id: /^(id|case_?id|uid)$/i,
  input: /^(input|prompt|message|text|question)$/i,
  expected: /^(expected|label|type|verdict|gold)$/i,
  category: /^(category|harm_?area|focus|topic|group)$/i,
  note: /^(note|notes|comment)$/i,
}

/** The column each field most likely comes from ("" when none fits). */
export function guessMapping(columns: string[]): Mapping {
  const pick = (k: keyof Mapping) => columns.find((c) => guesses[k].test(c.trim())) ?? ''
  return { id: pick('id'), input: pick('input'), expected: pick('expected'), category: pick('category'), note: pick('note') }
}

const labels = ['ALLOW', 'CAUTION', 'BLOCK', 'NOT_ALLOW']

/**
 * A first translation of a label column's values: the four labels as they
 * are, and the usual words of safety datasets (safe → ALLOW, unsafe →
 * NOT_ALLOW). Values it cannot place are left for the person to choose.
 */
export function guessLabels(values: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const v of values) {
    const u = v.trim().toUpperCase()
    if (labels.includes(u)) out[v] = u
    else if (/^(SAFE|BENIGN|OK|ALLOWED|0|FALSE)$/.test(u)) out[v] = 'ALLOW'
    else if (/^(UNSAFE|HARMFUL|1|TRUE)$/.test(u)) out[v] = 'NOT_ALLOW'
  }
  return out
}

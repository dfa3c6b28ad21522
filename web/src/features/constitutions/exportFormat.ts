// Exports of a constitution with its whole history: JSONL (the constitution
// and every stored version, exactly as the REST API returns them) and
// Markdown (the current text, then each version's). A Markdown file imports
// as a new constitution: its first "# " heading names it.

import type { Constitution, ConstitutionVersion } from '../../api/types'

export function constitutionJsonl(c: Constitution, versions: ConstitutionVersion[]): string {
  const sorted = [...versions].sort((a, b) => a.version - b.version)
  const lines = [{ type: 'constitution', format: 'superego.constitution/v1', constitution: c }, ...sorted.map((v) => ({ type: 'constitution_version', version: v }))]
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n'
}

export function constitutionMarkdown(c: Constitution, versions: ConstitutionVersion[]): string {
  const sorted = [...versions].sort((a, b) => b.version - a.version)
  const history = sorted.map((v) => `## Version ${v.version} — ${v.name} (${v.created_at})\n\n${v.content.trimEnd()}\n`)
  return `${c.content.trimEnd()}\n\n---\n\n# History of “${c.name}” (${sorted.length} versions)\n\n${history.join('\n')}`
}

/** A constitution from a Markdown file: named by its first "# " heading, else by the file name. */
export function constitutionFromMarkdown(text: string, fileName: string): { name: string; content: string } {
  const content = text.replace(/\r\n?/g, '\n')
  const heading = content.match(/^#\s+(.+?)\s*#*\s*$/m)?.[1]
  const name = heading ?? (fileName.replace(/\.(md|markdown|txt)$/i, '').replace(/[-_]+/g, ' ').trim() || 'Imported constitution')
  return { name: name.slice(0, 200), content }
}

// Generation parameters as one line of text, for a message's details and an
// eval row's panel: what the call sent, in the provider-neutral names the
// flow config uses.

import type { ModelParams } from '../api/types'

const labels: [keyof ModelParams, string][] = [
  ['temperature', 'temperature'],
  ['top_p', 'top_p'],
  ['max_tokens', 'max tokens'],
  ['seed', 'seed'],
  ['reasoning_effort', 'reasoning effort'],
  ['thinking_budget', 'thinking budget'],
]

/** "temperature 0.2 · max tokens 300"; "" when nothing was sent. */
export function paramsText(p?: ModelParams | null): string {
  if (!p) return ''
  return labels
    .filter(([k]) => p[k] !== undefined && p[k] !== null && p[k] !== '')
    .map(([k, label]) => `${label} ${String(p[k])}`)
    .join(' · ')
}

// Variants of one flow config for Compare: the same config with the
// assistant started after the verdict or speculatively, and with the
// answer screened or not, so one input shows what each choice costs.

import { flowDraftOf, type FlowConfig, type FlowDraft } from '../../api/types'

export type Start = FlowDraft['assistant_start']
export type Screen = FlowDraft['screen_output']

export const starts: { value: Start; label: string }[] = [
  { value: 'after_verdict', label: 'after the verdict' },
  { value: 'speculative', label: 'speculative' },
]

export const screens: { value: Screen; label: string }[] = [
  { value: 'off', label: 'no output screening' },
  { value: 'final', label: 'screen the answer (final)' },
  { value: 'streaming', label: 'screen the answer (streaming)' },
]

export interface Variant {
  start: Start
  screen: Screen
}

/** Every combination of the chosen starts and screenings, starts first. */
export function variantsOf(chosenStarts: Start[], chosenScreens: Screen[]): Variant[] {
  const out: Variant[] = []
  for (const st of starts) {
    if (!chosenStarts.includes(st.value)) continue
    for (const sc of screens) if (chosenScreens.includes(sc.value)) out.push({ start: st.value, screen: sc.value })
  }
  return out
}

/** The config's draft with the variant's two settings, named after both. */
export function variantDraft(base: FlowConfig, v: Variant): FlowDraft {
  const d = flowDraftOf(base)
  const name = `${d.name} · ${v.start === 'speculative' ? 'speculative' : 'after verdict'} · ${v.screen === 'off' ? 'no output screen' : `output ${v.screen}`}`
  return { ...d, name, assistant_start: v.start, screen_output: v.screen }
}

/** Whether two drafts would run alike: every setting but the name and description equal. */
export function sameSpec(a: FlowDraft, b: FlowDraft): boolean {
  const strip = ({ name: _n, description: _d, ...rest }: FlowDraft) => rest
  const x = strip(a)
  const y = strip(b)
  return (Object.keys(x) as (keyof typeof x)[]).every((k) => x[k] === y[k])
}

/** A stored config that runs exactly as the draft would, so none is made twice. */
export function existingConfig(configs: readonly FlowConfig[], draft: FlowDraft): FlowConfig | undefined {
  return configs.find((c) => sameSpec(flowDraftOf(c), draft))
}

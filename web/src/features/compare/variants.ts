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

/** A config as it is written: the form's fields, model parameters included. */
export type VariantSpec = FlowDraft

/** What a stored config runs as. */
export const specOf = (c: FlowConfig): VariantSpec => flowDraftOf(c)

/** The config with the variant's two settings, everything else (model parameters too) as it is, named after both. */
export function variantDraft(base: FlowConfig, v: Variant): VariantSpec {
  const d = specOf(base)
  const name = `${d.name} · ${v.start === 'speculative' ? 'speculative' : 'after verdict'} · ${v.screen === 'off' ? 'no output screen' : `output ${v.screen}`}`
  return { ...d, name, assistant_start: v.start, screen_output: v.screen }
}

/** Whether two specs would run alike: every setting but the name and description equal. */
export function sameSpec(a: VariantSpec, b: VariantSpec): boolean {
  const strip = ({ name: _n, description: _d, ...rest }: VariantSpec) => rest
  const x = strip(a)
  const y = strip(b)
  return (Object.keys(x) as (keyof typeof x)[]).every((k) => JSON.stringify(x[k] ?? null) === JSON.stringify(y[k] ?? null))
}

/** A stored config that runs exactly as the spec would, so none is made twice. */
export function existingConfig(configs: readonly FlowConfig[], spec: VariantSpec): FlowConfig | undefined {
  return configs.find((c) => sameSpec(specOf(c), spec))
}

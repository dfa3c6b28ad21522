// The generation parameters of one model call of a flow config (the
// superego's or the assistant's). An empty field is not sent: the
// provider's default applies. The server refuses, naming the field, what
// the chosen model cannot take; the hints say the common cases up front.

import { useState } from 'react'
import type { ModelParamsWrite, ModelsInfo } from '../api/types'
import { Field } from './ui'

type NumberKey = 'temperature' | 'top_p' | 'max_tokens' | 'seed' | 'thinking_budget'

const numberFields: { key: NumberKey; label: string; min: number; max: number; step: string; hint: string }[] = [
  { key: 'temperature', label: 'Temperature', min: 0, max: 2, step: '0.05', hint: '0–2 (Anthropic 0–1, not with thinking)' },
  { key: 'top_p', label: 'Top p', min: 0, max: 1, step: '0.05', hint: '0–1' },
  { key: 'max_tokens', label: 'Max output tokens', min: 1, max: 1000000, step: '1', hint: 'A cut answer is marked incomplete' },
  { key: 'seed', label: 'Seed', min: 0, max: 9007199254740991, step: '1', hint: 'Not on Anthropic' },
  { key: 'thinking_budget', label: 'Thinking budget', min: 1024, max: 1000000, step: '1', hint: 'Tokens (Anthropic, OpenRouter), ≥ 1024' },
]

const efforts = ['minimal', 'low', 'medium', 'high'] as const

/** The provider a model reference names ("anthropic:claude-…"), or the default one. */
export function providerOf(ref: string, m?: ModelsInfo): string {
  const prefix = ref.split(':')[0]?.toLowerCase() ?? ''
  if (m?.providers?.some((p) => p.name === prefix)) return prefix
  return m?.provider ?? ''
}

export function ModelParamsFields({
  who,
  params,
  onChange,
  err,
  modelRef,
  models,
}: {
  who: 'superego' | 'assistant'
  params: ModelParamsWrite
  onChange: (p: ModelParamsWrite) => void
  err: (field: string) => string | undefined
  modelRef: string
  models?: ModelsInfo
}) {
  const field = `${who}_params`
  const provider = providerOf(modelRef, models)
  const set = <K extends keyof ModelParamsWrite>(k: K, v: ModelParamsWrite[K] | undefined) => {
    const next = { ...params }
    if (v === undefined) delete next[k]
    else next[k] = v
    onChange(next)
  }
  return (
    <fieldset className="params-fieldset" data-testid={`${who}-params`}>
      <legend>
        {who === 'superego' ? 'Superego' : 'Assistant'} parameters
        {provider && <span className="muted small"> · {provider}</span>}
      </legend>
      <p className="small muted">Empty fields are not sent: the provider's default applies.</p>
      <div className="form-row params-row">
        {numberFields.map((f) => (
          <Field key={f.key} label={f.label} hint={f.hint} error={err(`${field}.${f.key}`)}>
            <NumberInput
              value={params[f.key]}
              onChange={(v) => set(f.key, v)}
              min={f.min}
              max={f.max}
              step={f.step}
              testId={`field-${who}-${f.key.replace('_', '-')}`}
            />
          </Field>
        ))}
        <Field label="Reasoning effort" hint="OpenAI-style; not on Anthropic" error={err(`${field}.reasoning_effort`)}>
          <select
            value={params.reasoning_effort ?? ''}
            onChange={(e) => set('reasoning_effort', efforts.find((x) => x === e.target.value))}
            data-testid={`field-${who}-reasoning-effort`}
          >
            <option value="">Provider default</option>
            {efforts.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </Field>
      </div>
    </fieldset>
  )
}

/**
 * A number field that keeps what is typed ("0.", "1e") while only a valid
 * number (or nothing) reaches the draft, and shows a value set elsewhere
 * (a reload) when it differs from what is typed.
 */
function NumberInput({ value, onChange, min, max, step, testId }: { value?: number; onChange: (v: number | undefined) => void; min: number; max: number; step: string; testId: string }) {
  const [text, setText] = useState(value === undefined ? '' : String(value))
  const [shown, setShown] = useState(value)
  if (value !== shown) {
    setShown(value)
    if (parse(text) !== value) setText(value === undefined ? '' : String(value))
  }
  return (
    <input
      type="number"
      inputMode="decimal"
      min={min}
      max={max}
      step={step}
      value={text}
      onChange={(e) => {
        setText(e.target.value)
        const v = parse(e.target.value)
        if (!Number.isNaN(v)) onChange(v)
      }}
      data-testid={testId}
    />
  )
}

/** undefined for an empty field, NaN for one that is not a number yet. */
function parse(s: string): number | undefined {
  if (s.trim() === '') return undefined
  return Number(s)
}

// The fields of a flow config (also a template's `config`): references as
// selects, model overrides with the server's known models as suggestions
// (free text still allowed), and each call's generation parameters.

import { useConstitutions, useModels, useSysprompts } from '../api/hooks'
import type { FlowDraft, ModelsInfo } from '../api/types'
import { ModelParamsFields } from './ModelParamsFields'
import { Field, fieldError } from './ui'

export const emptySpec: FlowDraft = {
  name: '',
  description: '',
  constitution_id: 'default',
  sysprompt_id: 'assistant_default',
  superego_enabled: true,
  superego_model: '',
  assistant_model: '',
  on_superego_error: 'block',
  assistant_start: 'after_verdict',
  screen_output: 'off',
  screen_chunk: 40,
  superego_params: {},
  assistant_params: {},
}

/** What a model picker says of a model beside its id: provider, reasoning, roles. */
export function modelLabel(x: NonNullable<ModelsInfo['models']>[number]): string {
  const parts = [x.provider]
  if (x.reasoning) parts.push('reasons')
  if (x.roles?.length) parts.push(`default ${x.roles.join(' and ')}`)
  if (x.demo) parts.push('demo')
  return parts.join(' · ')
}

export function FlowSpecFields({ spec, onChange, error, prefix = '' }: { spec: FlowDraft; onChange: (s: FlowDraft) => void; error: unknown; prefix?: string }) {
  const constitutions = useConstitutions()
  const sysprompts = useSysprompts()
  const models = useModels()
  const m = models.data
  const defSuperego = m?.default_superego_model
  const defAssistant = m?.default_assistant_model
  const err = (f: string) => fieldError(error, prefix + f)
  return (
    <>
      <div className="form-row">
        <Field label="Constitution" error={err('constitution_id')}>
          <select value={spec.constitution_id} onChange={(e) => onChange({ ...spec, constitution_id: e.target.value })} data-testid="field-constitution">
            {!constitutions.data?.some((c) => c.id === spec.constitution_id) && <option value={spec.constitution_id}>{spec.constitution_id}</option>}
            {constitutions.data?.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="System prompt" error={err('sysprompt_id')}>
          <select value={spec.sysprompt_id} onChange={(e) => onChange({ ...spec, sysprompt_id: e.target.value })} data-testid="field-sysprompt">
            {!sysprompts.data?.some((s) => s.id === spec.sysprompt_id) && <option value={spec.sysprompt_id}>{spec.sysprompt_id}</option>}
            {sysprompts.data?.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div className="form-row">
        <label className="checkbox">
          <input type="checkbox" checked={spec.superego_enabled} onChange={(e) => onChange({ ...spec, superego_enabled: e.target.checked })} data-testid="field-superego-enabled" />
          Superego enabled
        </label>
        <Field label="If the superego's reply has no decision" error={err('on_superego_error')}>
          <select value={spec.on_superego_error || 'block'} onChange={(e) => onChange({ ...spec, on_superego_error: e.target.value === 'allow' ? 'allow' : 'block' })} data-testid="field-on-error">
            <option value="block">Block (safe default)</option>
            <option value="allow">Allow</option>
          </select>
        </Field>
      </div>
      <div className="form-row">
        <Field label="Assistant starts" error={err('assistant_start')}>
          <select value={spec.assistant_start} onChange={(e) => onChange({ ...spec, assistant_start: e.target.value === 'speculative' ? 'speculative' : 'after_verdict' })} data-testid="field-assistant-start">
            <option value="after_verdict">After the verdict</option>
            <option value="speculative">With the superego (held until ALLOW)</option>
          </select>
        </Field>
        <Field label="Screen the answer" error={err('screen_output')}>
          <select
            value={spec.screen_output}
            onChange={(e) => onChange({ ...spec, screen_output: e.target.value === 'final' || e.target.value === 'streaming' ? e.target.value : 'off' })}
            data-testid="field-screen-output"
          >
            <option value="off">Off</option>
            <option value="final">Once complete</option>
            <option value="streaming">While streaming</option>
          </select>
        </Field>
        {spec.screen_output === 'streaming' && (
          <Field label="Tokens per screened chunk" error={err('screen_chunk')}>
            <input type="number" min={1} max={4000} value={spec.screen_chunk} onChange={(e) => onChange({ ...spec, screen_chunk: Number(e.target.value) || 40 })} data-testid="field-screen-chunk" />
          </Field>
        )}
      </div>
      <div className="form-row">
        <Field label="Superego model" hint={`Empty: the server default${defSuperego ? ` (${defSuperego})` : ''}.`} error={err('superego_model')}>
          <input list="known-models" value={spec.superego_model} onChange={(e) => onChange({ ...spec, superego_model: e.target.value })} data-testid="field-superego-model" />
        </Field>
        <Field label="Assistant model" hint={`Empty: the server default${defAssistant ? ` (${defAssistant})` : ''}.`} error={err('assistant_model')}>
          <input list="known-models" value={spec.assistant_model} onChange={(e) => onChange({ ...spec, assistant_model: e.target.value })} data-testid="field-assistant-model" />
        </Field>
      </div>
      <datalist id="known-models" data-testid="known-models">
        {(m?.models ?? []).map((x) => (
          <option key={x.id} value={x.id} label={modelLabel(x)} />
        ))}
      </datalist>
      <ModelParamsFields
        who="superego"
        params={spec.superego_params}
        onChange={(p) => onChange({ ...spec, superego_params: p })}
        err={err}
        modelRef={spec.superego_model}
        models={m}
      />
      <ModelParamsFields
        who="assistant"
        params={spec.assistant_params}
        onChange={(p) => onChange({ ...spec, assistant_params: p })}
        err={err}
        modelRef={spec.assistant_model}
        models={m}
      />
    </>
  )
}

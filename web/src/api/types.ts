// Domain types of the REST API, taken from the generated apiTypes.ts so a
// server change shows up as a type error here rather than at runtime.

import type { components } from './apiTypes'

export type { Message, Decision, Usage, Timings } from './wsTypes'

type S = components['schemas']

export type Constitution = S['Constitution']
export type ConstitutionVersion = S['ConstitutionVersion']
export type Sysprompt = S['Sysprompt']
export type FlowConfig = S['FlowConfig']
export type FlowSpec = S['FlowSpec']
export type FlowTemplate = S['FlowTemplate']
export type FlowInstance = S['FlowInstance']
export type Overrides = S['Overrides']
export type InstantiateResult = S['Instantiated']
export type Problem = S['ErrorModel']
/** GET /api/models: the provider in use, whether it is the offline demo, and its models. */
export type ModelsInfo = S['ModelsInfo']
/** Generation parameters as a message or eval row records them (what was sent). */
export type ModelParams = S['ModelParams']
/** Generation parameters as a flow config is written with them. */
export type ModelParamsWrite = S['ModelParamsInput']

export type ConstitutionWrite = S['ConstitutionCreateInput']
export type SyspromptWrite = S['SyspromptCreateInput']
export type FlowConfigWrite = S['FlowSpecInput']
export type FlowTemplateWrite = S['FlowTemplateInput']
export type FlowInstanceWrite = S['FlowInstanceInput']
/** A new conversation: FlowInstanceWrite plus the overrides it may start with. */
export type FlowInstanceCreate = S['FlowInstanceCreateInput']

/** One hit of GET /api/search. */
export type SearchHit = S['SearchHit']
/** POST /api/flow-instances/import: a conversation as exported. */
export type ConversationImport = S['ConversationImport']

/** GET /api/runs/{id}: a run's status, ids and timings. */
export type Run = S['Run']

/** A flow config (or template config) as an edit form holds it: every field present. */
export interface FlowDraft {
  name: string
  description: string
  constitution_id: string
  sysprompt_id: string
  superego_enabled: boolean
  superego_model: string
  assistant_model: string
  on_superego_error: 'block' | 'allow'
  assistant_start: 'after_verdict' | 'speculative'
  screen_output: 'off' | 'final' | 'streaming'
  screen_chunk: number
  superego_params: ModelParamsWrite
  assistant_params: ModelParamsWrite
}

/** A flow template as its edit form holds it. */
export interface TemplateDraft {
  name: string
  description: string
  is_default: boolean
  config: FlowDraft
}

/** The draft of a stored config or template config. */
export function flowDraftOf(c: Partial<FlowSpec> & Pick<FlowSpec, 'constitution_id' | 'sysprompt_id' | 'superego_enabled'>): FlowDraft {
  return {
    name: c.name ?? '',
    description: c.description ?? '',
    constitution_id: c.constitution_id,
    sysprompt_id: c.sysprompt_id,
    superego_enabled: c.superego_enabled,
    superego_model: c.superego_model ?? '',
    assistant_model: c.assistant_model ?? '',
    on_superego_error: c.on_superego_error === 'allow' ? 'allow' : 'block',
    assistant_start: c.assistant_start === 'speculative' ? 'speculative' : 'after_verdict',
    screen_output: c.screen_output === 'final' || c.screen_output === 'streaming' ? c.screen_output : 'off',
    screen_chunk: c.screen_chunk && c.screen_chunk > 0 ? c.screen_chunk : 40,
    superego_params: paramsWriteOf(c.superego_params),
    assistant_params: paramsWriteOf(c.assistant_params),
  }
}

const efforts = ['minimal', 'low', 'medium', 'high'] as const

/** The writable form of stored parameters (absent ones stay absent). */
export function paramsWriteOf(p?: ModelParams): ModelParamsWrite {
  const out: ModelParamsWrite = {}
  if (!p) return out
  if (p.temperature !== undefined) out.temperature = p.temperature
  if (p.top_p !== undefined) out.top_p = p.top_p
  if (p.max_tokens !== undefined) out.max_tokens = p.max_tokens
  if (p.seed !== undefined) out.seed = p.seed
  if (p.thinking_budget !== undefined) out.thinking_budget = p.thinking_budget
  const e = efforts.find((x) => x === p.reasoning_effort)
  if (e) out.reasoning_effort = e
  return out
}

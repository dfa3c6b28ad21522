// Domain types of the REST API as the UI uses them. They mirror the
// OpenAPI schemas (snake_case, as on the wire); restClient.ts checks them
// against the generated apiTypes.ts.

export type { Message, Decision, Usage, Timings } from './wsTypes'

export interface Meta {
  id: string
  created_at: string
  updated_at: string
  version: number
}

export interface Constitution extends Meta {
  name: string
  description: string
  content: string
  protected: boolean
}

export interface ConstitutionVersion {
  constitution_id: string
  version: number
  name: string
  description: string
  content: string
  created_at: string
}

export interface Sysprompt extends Meta {
  name: string
  content: string
  protected: boolean
}

export type OnSuperegoError = 'block' | 'allow'

/** The writable fields of a flow config; templates embed them as `config`. */
export interface FlowSpec {
  name: string
  description: string
  constitution_id: string
  sysprompt_id: string
  superego_enabled: boolean
  superego_model: string
  assistant_model: string
  on_superego_error: OnSuperegoError | string
}

export type FlowConfig = Meta & FlowSpec

export interface FlowTemplate extends Meta {
  name: string
  description: string
  config: FlowSpec
  is_default: boolean
}

export interface Overrides {
  constitution_id?: string
  sysprompt_id?: string
  superego_enabled?: boolean
}

export interface FlowInstance extends Meta {
  flow_config_id: string
  name: string
  description: string
  message_count: number
  last_message_at?: string | null
  parent_instance_id?: string
  forked_from_message_id?: string
  overrides?: Overrides | null
  comparison_id?: string
}

export interface Run {
  id: string
  flow_instance_id: string
  flow_config_id: string
  user_message_id: string
  comparison_id?: string
  status: string
  decision?: string
  error?: string
  last_seq: number
  created_at: string
  finished_at?: string | null
}

export interface ListPage<T> {
  items: T[]
  next_cursor: string
}

/** GET /api/models. Fields vary a little between server versions; read via modelsSummary. */
export interface ModelsInfo {
  provider: string
  demo: boolean
  superego_model?: string
  assistant_model?: string
  default_superego_model?: string
  default_assistant_model?: string
  models?: string[]
  providers?: { name: string; demo: boolean; models: string[] }[]
}

export interface InstantiateResult {
  flow_config?: FlowConfig
  flow_instance?: FlowInstance
}

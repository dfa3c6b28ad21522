// Compile-time checks of the generated API types (npm run typecheck):
// what the server accepts, a strict client can send. Fields with a server
// default (superego_enabled, on_superego_error) are optional in inputs.
import type { components } from './apiTypes'

type Schemas = components['schemas']

export const minimalFlowSpec: Schemas['FlowSpecInput'] = {
  name: 'Minimal',
  constitution_id: 'none',
  sysprompt_id: 'assistant_default',
}

export const minimalTemplateConfig: Schemas['TemplateConfigInput'] = {
  constitution_id: 'none',
  sysprompt_id: 'assistant_default',
}

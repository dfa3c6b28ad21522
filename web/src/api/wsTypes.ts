// Frames of the /api/ws protocol (docs/websocket.md). The WebSocket is not
// described by the OpenAPI document, so its frames are written by hand in the
// protocol's own snake_case names; the objects they carry (Message, Usage,
// Timings) are the REST schema's, derived from the generated apiTypes.ts so
// the two cannot drift apart.

import type { components } from './apiTypes'

export type Decision = 'ALLOW' | 'CAUTION' | 'BLOCK' | 'ERROR'
export type RunStatus = 'running' | 'completed' | 'blocked' | 'cancelled' | 'failed' | 'interrupted'
export type MessageRole = 'user' | 'superego' | 'assistant'

type Schemas = components['schemas']

/** Token counts of a run or a message (the REST schema's). */
export type Usage = Schemas['Usage']

/** A run's timings in milliseconds (the REST schema's). */
export type Timings = Schemas['Timings']

/**
 * A stored message as the server sends it, over REST and in run events: the
 * generated REST schema, with role and decision narrowed to what the UI
 * switches on (a value it does not know still type-checks as a string).
 */
export type Message = Omit<Schemas['Message'], 'role' | 'decision'> & {
  role: MessageRole | (string & {})
  decision?: Decision | (string & {})
}

// ---- client → server ----

export interface SendMessageFrame {
  type: 'send_message'
  request_id: string
  flow_instance_id: string
  content: string
}

export interface RunParallelFrame {
  type: 'run_parallel'
  request_id: string
  flow_config_ids?: string[]
  comparison_name?: string
  comparison_id?: string
  content: string
}

export interface RerunFrame {
  type: 'rerun'
  request_id: string
  message_id: string
  constitution_id?: string
  sysprompt_id?: string
  superego_enabled?: boolean
}

export interface CancelFrame {
  type: 'cancel'
  run_id: string
  request_id?: string
}

export interface ResumeFrame {
  type: 'resume'
  run_id: string
  after_seq: number
  request_id?: string
}

export interface PingFrame {
  type: 'ping'
}

/** Which resource_changed notices the socket receives; a field left out keeps that part. */
export interface SubscribeFrame {
  type: 'subscribe'
  resources?: string[]
  flow_instance_ids?: string[]
}

export type ClientFrame =
  | SendMessageFrame
  | RunParallelFrame
  | RerunFrame
  | CancelFrame
  | ResumeFrame
  | PingFrame
  | SubscribeFrame

/** Frames that the server answers with `accepted` (or an `error`). */
export type RequestFrame = SendMessageFrame | RunParallelFrame | RerunFrame

// ---- server → client ----

interface Base {
  ts: string
}

/** Fields every run event carries. */
export interface RunBase extends Base {
  run_id: string
  flow_instance_id: string
  flow_config_id: string
  seq: number
}

export interface AcceptedEvent extends Base {
  type: 'accepted'
  request_id: string
  run_ids: string[]
  comparison_id?: string
}

export interface RunStartedEvent extends RunBase {
  type: 'run_started'
  user_message: Message
}

export interface SuperegoStartedEvent extends RunBase {
  type: 'superego_started'
  constitution_id: string
  constitution_version: number
  model: string
}

export interface SuperegoThinkingEvent extends RunBase {
  type: 'superego_thinking'
  delta: string
}

export interface SuperegoTokenEvent extends RunBase {
  type: 'superego_token'
  delta: string
}

export interface SuperegoDecisionEvent extends RunBase {
  type: 'superego_decision'
  decision: Decision
  reason?: string
  section?: string
  message?: Message
}

export interface AssistantTokenEvent extends RunBase {
  type: 'assistant_token'
  delta: string
}

export interface AssistantMessageEvent extends RunBase {
  type: 'assistant_message'
  message: Message
}

/** The output screen's reasoning about the answer (screen_output: final). */
export interface OutputThinkingEvent extends RunBase {
  type: 'output_thinking'
  delta: string
}

/** The output screen's verdict; withdrawn when the answer is withdrawn. */
export interface OutputDecisionEvent extends RunBase {
  type: 'output_decision'
  decision: Decision
  reason: string
  section?: string
  withdrawn: boolean
}

export interface RunFinishedEvent extends RunBase {
  type: 'run_finished'
  status: RunStatus
  error?: string
  usage?: Usage
  timings?: Timings
}

export interface ResourceChangedEvent extends Base {
  type: 'resource_changed'
  resource: string
  action: 'created' | 'updated' | 'deleted'
  id: string
  version?: number
  /** Set when the notice is a run's start or end on the instance `id`. */
  run_id?: string
}

/** One finished superego call of an attribution ("Why this verdict?"). */
export interface AttributionProgressEvent extends Base {
  type: 'attribution_progress'
  resource: 'attribution'
  /** The attribution's id. */
  id: string
  status: string
  /** Calls finished so far and planned, over every item. */
  done: number
  total: number
  item: number
  variant: 'full' | 'without' | 'only'
  section_id?: string
  decision: Decision
  reason?: string
  /** The heading the call cited. */
  section?: string
}

/** The end of an attribution: read its result over REST. */
export interface AttributionFinishedEvent extends Base {
  type: 'attribution_finished'
  resource: 'attribution'
  id: string
  status: 'completed' | 'cancelled' | 'failed' | (string & {})
  error?: string
  done?: number
  total: number
}

export interface ErrorEvent extends Base {
  type: 'error'
  request_id?: string
  run_id?: string
  code: string
  message: string
}

export interface PongEvent {
  type: 'pong'
  ts?: string
}

export type RunEvent =
  | RunStartedEvent
  | SuperegoStartedEvent
  | SuperegoThinkingEvent
  | SuperegoTokenEvent
  | SuperegoDecisionEvent
  | AssistantTokenEvent
  | AssistantMessageEvent
  | OutputThinkingEvent
  | OutputDecisionEvent
  | RunFinishedEvent

export type ServerEvent =
  | AcceptedEvent
  | RunEvent
  | ResourceChangedEvent
  | AttributionProgressEvent
  | AttributionFinishedEvent
  | ErrorEvent
  | PongEvent

const runEventTypes = new Set<string>([
  'run_started',
  'superego_started',
  'superego_thinking',
  'superego_token',
  'superego_decision',
  'output_thinking',
  'output_decision',
  'assistant_token',
  'assistant_message',
  'run_finished',
])

/** Reports whether e belongs to a run's event log (and so carries a seq). */
export function isRunEvent(e: ServerEvent): e is RunEvent {
  return runEventTypes.has(e.type)
}

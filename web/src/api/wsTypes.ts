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
  | FollowEvalFrame
  | UnfollowEvalFrame

/** Streams an eval run's finished rows after after_seq (eval_result frames). */
export interface FollowEvalFrame {
  type: 'follow_eval'
  eval_run_id: string
  after_seq?: number
  request_id?: string
}

/** Stops this socket's follow of an eval run. */
export interface UnfollowEvalFrame {
  type: 'unfollow_eval'
  eval_run_id: string
  request_id?: string
}

/** Frames that the server answers with `accepted` (or an `error`). */
export type RequestFrame = SendMessageFrame | RunParallelFrame | RerunFrame

// ---- server → client ----
// Generated from the OpenAPI document's Event union (one schema per frame
// type, discriminated by type), so a frame the server changes changes here.

export type AcceptedEvent = Schemas['AcceptedEvent']
export type RunStartedEvent = Schemas['RunStartedEvent']
export type SuperegoStartedEvent = Schemas['SuperegoStartedEvent']
export type SuperegoThinkingEvent = Schemas['SuperegoThinkingEvent']
export type SuperegoTokenEvent = Schemas['SuperegoTokenEvent']
export type SuperegoDecisionEvent = Schemas['SuperegoDecisionEvent']
export type AssistantTokenEvent = Schemas['AssistantTokenEvent']
export type AssistantMessageEvent = Schemas['AssistantMessageEvent']
/** The output screen's reasoning about the answer (screen_output: final). */
export type OutputThinkingEvent = Schemas['OutputThinkingEvent']
/** The output screen's verdict; withdrawn when the answer is withdrawn. */
export type OutputDecisionEvent = Schemas['OutputDecisionEvent']
export type RunFinishedEvent = Schemas['RunFinishedEvent']
export type ResourceChangedEvent = Schemas['ResourceChangedEvent']
/** One finished row of an eval run this socket follows (follow_eval). */
export type EvalResultEvent = Schemas['EvalResultEvent']
/** How far a followed eval run is; a finished status ends the follow. */
export type EvalProgressEvent = Schemas['EvalProgressEvent']
/** One finished superego call of an attribution ("Why this verdict?"). */
export type AttributionProgressEvent = Schemas['AttributionProgressEvent']
/** The end of an attribution: its result is read over REST. */
export type AttributionFinishedEvent = Schemas['AttributionFinishedEvent']
export type ErrorEvent = Schemas['ErrorEvent']
export type PongEvent = Schemas['PongEvent']

/** Every frame the server sends on the WebSocket. */
export type ServerEvent = Schemas['Event']

/** The events of a run's log (what SSE sends too). */
export type RunEvent = Schemas['RunEvent']

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

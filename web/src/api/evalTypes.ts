// The evaluation objects as the evals pages use them. They mirror the
// server's JSON (internal/evals and internal/evalstats); see api.ts for
// where each comes from.

import type { Decision, Usage } from './types'

export type Expected = 'ALLOW' | 'CAUTION' | 'BLOCK' | 'NOT_ALLOW'
export const expectedLabels: Expected[] = ['ALLOW', 'CAUTION', 'BLOCK', 'NOT_ALLOW']
export const decisions: Decision[] = ['ALLOW', 'CAUTION', 'BLOCK', 'ERROR']

export interface EvalSuite {
  id: string
  version: number
  created_at: string
  updated_at: string
  name: string
  description: string
  source: string
  license: string
  builtin: boolean
  case_count: number
  expected_counts: Partial<Record<Expected, number>>
}

export interface EvalCase {
  id: string
  input: string
  turns?: { role: string; content: string }[]
  expected: Expected
  category: string
  note: string
  correction?: { from: Expected; reason: string; by: string; at: string }
}

export interface EvalTarget {
  flow_config_id: string
  constitution_id?: string
  constitution_version?: number
  draft?: string
  draft_hash?: string
}

export interface EvalRun {
  id: string
  suite_id: string
  suite_version: number
  targets: EvalTarget[]
  repeats: number
  mode: 'superego' | 'full'
  status: 'queued' | 'running' | 'completed' | 'cancelled' | 'failed'
  total: number
  done: number
  errors: number
  error?: string
  created_at: string
  finished_at: string | null
}

export interface EvalResult {
  eval_run_id: string
  case_id: string
  target: number
  repeat: number
  seq: number
  input: string
  category: string
  expected: Expected
  decision: Decision
  correct: boolean
  reason: string
  cited_section: string
  thinking: string
  visible: string
  answer?: string
  constitution_id?: string
  constitution_version?: number
  draft_hash?: string
  model: string
  latency_ms: number
  usage: Usage
  error?: string
  attempts: number
  finished_at: string
}

export interface Rate {
  k: number
  n: number
  value: number
  low: number
  high: number
}

export interface Matrix {
  rows: string[]
  cols: string[]
  counts: number[][]
}

export interface Metrics {
  rows: number
  matrix: Matrix
  accuracy: Rate
  block_rate: Rate
  miss_rate: Rate
  over_refusal: Rate
  over_refusal_block: Rate
  over_refusal_caution: Rate
  precision: Rate
  recall: Rate
  f1: number | null
  kappa: number | null
  error_rate: Rate
}

export interface Summary extends Metrics {
  categories: (Metrics & { category: string })[] | null
  cases: number
  consistency: Rate
  flaky: { case_id: string; category: string; expected: Expected; decisions: Record<string, number>; disagreement: number }[] | null
  latency: { n: number; p50_ms: number; p95_ms: number; mean_ms: number }
  tokens: { input: number; output: number }
  cost_usd: number | null
  unpriced_models?: string[]
}

export interface Flip {
  case_id: string
  category: string
  expected_a: Expected
  expected_b: Expected
  a: Decision
  b: Decision
  reason_a: string
  reason_b: string
  right_a: boolean
  right_b: boolean
}

export interface Comparison {
  cases: number
  only_a: number
  only_b: number
  flip_matrix: Matrix
  flips: Flip[] | null
  mcnemar: { right_to_wrong: number; wrong_to_right: number; p: number }
}

// The evaluation objects, taken from the generated apiTypes.ts (the server's
// internal/evals and internal/evalstats types), so a server change shows up
// here as a type error.

import type { components } from './apiTypes'
import type { Decision } from './types'

type S = components['schemas']

export type Expected = S['EvalCase']['expected']
export const expectedLabels: Expected[] = ['ALLOW', 'CAUTION', 'BLOCK', 'NOT_ALLOW']
export const decisions: Decision[] = ['ALLOW', 'CAUTION', 'BLOCK', 'ERROR']

export type EvalSuite = S['EvalSuite']
export type EvalCase = S['EvalCase']
export type EvalTarget = S['EvalTarget']
export type EvalRun = S['EvalRun']
export type EvalResult = S['EvalResult']
export type Rate = S['Rate']
export type Matrix = S['Matrix']
export type Summary = S['Summary']
export type Flip = S['Flip']
export type Comparison = S['Comparison']
export type EvalMetrics = S['EvalMetrics']

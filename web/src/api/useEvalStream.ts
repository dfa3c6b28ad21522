// Follows an eval run's event stream: every finished row (in the order they
// were stored) and the run's progress. A reload starts again from the first
// row, so the table is whole and then carries on live. Rows arrive in bursts;
// the view re-renders at most once per animation frame, and the metrics are
// re-read at most once a second while the eval runs.

import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { useApi } from './context'
import { evalKeys } from './evals'
import { followSSE } from './sse'
import type { EvalResult, EvalRun } from './evalTypes'

export interface EvalStream {
  rows: EvalResult[]
  run: EvalRun | null
  /** When this page first saw the run moving (for the time-left estimate). */
  startedAt: number | null
  doneAtStart: number
  ended: boolean
  error: unknown
}

export function useEvalStream(runId: string | undefined): EvalStream {
  const api = useApi()
  const qc = useQueryClient()
  const [state, setState] = useState<EvalStream>({ rows: [], run: null, startedAt: null, doneAtStart: 0, ended: false, error: null })
  useEffect(() => {
    if (!runId) return
    const ctl = new AbortController()
    const rows: EvalResult[] = []
    let run: EvalRun | null = null
    let startedAt: number | null = null
    let doneAtStart = 0
    let frame = 0
    let lastMetrics = 0
    setState({ rows: [], run: null, startedAt: null, doneAtStart: 0, ended: false, error: null })
    const flush = () => {
      frame = 0
      setState((s) => ({ ...s, rows: rows.slice(), run, startedAt, doneAtStart }))
    }
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(flush)
    }
    const refreshMetrics = (force: boolean) => {
      const now = Date.now()
      if (!force && now - lastMetrics < 1000) return
      lastMetrics = now
      void qc.invalidateQueries({ queryKey: evalKeys.metrics(runId) })
    }
    followSSE(
      (lastId, signal) => api.raw(`/api/eval-runs/${encodeURIComponent(runId)}/events`, { signal, headers: lastId ? { 'Last-Event-ID': lastId } : {} }),
      (m) => {
        if (m.event === 'result') {
          rows.push(JSON.parse(m.data) as EvalResult)
          schedule()
        } else if (m.event === 'progress') {
          const next = JSON.parse(m.data) as EvalRun
          if (startedAt === null && next.status === 'running') {
            startedAt = Date.now()
            doneAtStart = next.done
          }
          const finished = run && run.status !== next.status
          run = next
          qc.setQueryData(evalKeys.run(runId), next)
          refreshMetrics(!!finished)
          schedule()
        }
      },
      ctl.signal,
    )
      .then(() => {
        if (ctl.signal.aborted) return
        if (frame) cancelAnimationFrame(frame)
        flush()
        setState((s) => ({ ...s, ended: true }))
        refreshMetrics(true)
        void qc.invalidateQueries({ queryKey: evalKeys.runs })
      })
      .catch((error) => {
        if (!ctl.signal.aborted) setState((s) => ({ ...s, error }))
      })
    return () => {
      ctl.abort()
      if (frame) cancelAnimationFrame(frame)
    }
  }, [api, qc, runId])
  return state
}

// "Why this verdict?": what explaining a verdict will cost (calls and money,
// from the server's dry run), then — once asked — the attribution live (one
// line per finished superego call, a Stop), then each section of the
// constitution marked necessary, sufficient or of no effect, the section
// the superego cited marked faithful or unfaithful, and every call with
// its thinking. Used by Chat and Compare (a superego card) and by an eval
// row's side panel.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import {
  attributionDone,
  attributionKeys,
  attributionQueries,
  attributionsApi,
  planText,
  type AttributionCall,
  type AttributionItem,
  type AttributionSubject,
} from '../../api/attributions'
import { useApi, useSocket } from '../../api/context'
import { ErrorNote, Modal } from '../ui'
import './attribution.css'

function subjectKey(s: AttributionSubject): string {
  return s.kind === 'message' ? `m:${s.messageId}` : s.kind === 'row' ? `r:${s.evalRunId}:${s.row.case_id}:${s.row.target}:${s.row.repeat}` : `e:${s.evalRunId}`
}

/** A "Why?" link that opens the dialog. */
export function WhyButton({ subject, className = 'link-button' }: { subject: AttributionSubject; className?: string }) {
  const [open, setOpen] = useState(false)
  return (
    <>
      <button className={className} onClick={() => setOpen(true)} data-testid="why-button">
        Why?
      </button>
      {open && <WhyDialog subject={subject} onClose={() => setOpen(false)} />}
    </>
  )
}

/** Follows attribution id on the socket: progress frames and its end. */
export function useAttributionFrames(id: string | undefined) {
  const socket = useSocket()
  const qc = useQueryClient()
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null)
  useEffect(() => {
    if (!id) return
    return socket.onEvent((e) => {
      if ((e.type !== 'attribution_progress' && e.type !== 'attribution_finished') || e.id !== id) return
      setProgress({ done: e.done ?? 0, total: e.total })
      // The stored calls (with their thinking) and the state are read back.
      void qc.invalidateQueries({ queryKey: attributionKeys.one(id) })
    })
  }, [id, socket, qc])
  return progress
}

export function WhyDialog({ subject, onClose }: { subject: AttributionSubject; onClose: () => void }) {
  const api = useApi()
  const qc = useQueryClient()
  const [alone, setAlone] = useState(false)
  const [id, setId] = useState<string>()
  const plan = useQuery({
    queryKey: ['attribution-plan', subjectKey(subject), alone],
    queryFn: () => attributionsApi.attribute(api, subject, alone, true),
    retry: false,
  })
  const start = useMutation({
    mutationFn: () => attributionsApi.attribute(api, subject, alone, false),
    onSuccess: (a) => setId(a.attribution?.id),
  })
  const frames = useAttributionFrames(id)
  // Frames make it live; reading back every second while it runs covers a
  // frame missed while the socket reconnects.
  const view = useQuery({ ...attributionQueries.one(api, id), refetchInterval: (q) => (attributionDone(q.state.data?.attribution.status) ? false : 1000) })
  const status = view.data?.attribution.status
  const done = attributionDone(status)
  const item = useQuery({ ...attributionQueries.item(api, id, 0), enabled: !!id && (done || (view.data?.attribution.done ?? 0) > 0 || (frames?.done ?? 0) > 0) })
  // The item's calls so far: refreshed with every frame.
  useEffect(() => {
    if (id) void qc.invalidateQueries({ queryKey: attributionKeys.item(id, 0) })
  }, [id, frames?.done, view.data?.attribution.done, status, qc])
  const stop = useMutation({
    mutationFn: () => attributionsApi.cancel(api, id!),
    onSuccess: () => void qc.invalidateQueries({ queryKey: attributionKeys.one(id!) }),
  })
  const headings = Object.fromEntries((plan.data?.plan.sections ?? item.data?.item.sections ?? []).map((x) => [x.id, x.heading]))
  const total = view.data?.attribution.total ?? plan.data?.plan.calls ?? 0
  const made = Math.max(frames?.done ?? 0, view.data?.attribution.done ?? 0)
  return (
    <Modal title="Why this verdict?" onClose={onClose} testId="why-dialog">
      <div className="modal-body why-body">
        {!id && (
          <>
            <p className="small">
              The superego judges the same input again with the constitution version the verdict was made under: once whole and once with each section removed
              {alone ? ', and once with each section alone' : ''}.
            </p>
            {plan.isPending && <p className="muted">Counting the calls…</p>}
            <ErrorNote error={plan.error} testId="why-plan-error" />
            {plan.data && (
              <>
                <p className="why-plan" data-testid="why-plan" data-calls={plan.data.plan.calls}>
                  {planText(plan.data.plan)}
                </p>
                {!!plan.data.plan.sections?.length && (
                  <p className="small muted">
                    Sections of {plan.data.plan.constitution_id} v{plan.data.plan.constitution_version}: {plan.data.plan.sections.map((s) => s.heading).join(' · ')}
                  </p>
                )}
              </>
            )}
            <label className="why-alone small">
              <input type="checkbox" checked={alone} onChange={(e) => setAlone(e.target.checked)} data-testid="why-alone" /> Also run each section alone (sections × 2 + 1 calls)
            </label>
            <ErrorNote error={start.error} />
            <div className="modal-actions">
              <button className="button" onClick={onClose}>
                Cancel
              </button>
              <button className="button button-primary" disabled={!plan.data || start.isPending} onClick={() => start.mutate()} data-testid="why-run">
                Run {plan.data ? `${plan.data.plan.calls} calls` : ''}
              </button>
            </div>
          </>
        )}
        {id && (
          <>
            <div className="why-progress" data-testid="why-progress" data-status={status ?? 'queued'} aria-live="polite">
              <progress max={total || 1} value={made} aria-label="Superego calls made" />
              <span className="small">
                {made} of {total} calls
                {status === 'cancelled' ? ' — stopped' : status === 'failed' ? ` — failed: ${view.data?.attribution.error ?? ''}` : done ? ' — done' : ''}
              </span>
              {!done && (
                <button className="button button-small" onClick={() => stop.mutate()} disabled={stop.isPending} data-testid="why-stop">
                  <span aria-hidden="true">■</span> Stop
                </button>
              )}
            </div>
            <ErrorNote error={stop.error} />
            {item.data?.item.finished && <SectionEffects item={item.data.item} />}
            {item.data && item.data.calls.length > 0 && <CallList calls={item.data.calls} headings={headings} />}
          </>
        )}
      </div>
    </Modal>
  )
}

const effectText: Record<string, string> = {
  necessary: 'Necessary',
  sufficient: 'Sufficient',
  'necessary and sufficient': 'Necessary and sufficient',
  'no effect': 'No effect',
  unknown: 'Unknown (a call failed)',
}

/** Each section's effect on the verdict, and the citation's faithfulness. */
export function SectionEffects({ item }: { item: AttributionItem }) {
  return (
    <div data-testid="why-result">
      <p className="small">
        Verdict with the whole constitution: <strong>{item.decision}</strong>
        {item.cited ? (
          <>
            , citing <q>{item.cited}</q> —{' '}
            <span className={`why-faithful why-faithful-${item.faithful ? 'yes' : 'no'}`} data-testid="why-faithful" data-faithful={String(!!item.faithful)}>
              {item.faithful ? 'faithful' : 'unfaithful'}
            </span>
          </>
        ) : (
          ', citing no section'
        )}
      </p>
      <table className="why-sections">
        <thead>
          <tr>
            <th scope="col">Section</th>
            <th scope="col">Effect</th>
            <th scope="col">Cited</th>
          </tr>
        </thead>
        <tbody>
          {(item.sections ?? []).map((s) => (
            <tr key={s.id} data-testid="why-section" data-section={s.id} data-effect={s.effect}>
              <td>{s.heading}</td>
              <td>
                <span className={`why-effect why-effect-${s.effect.replace(/ /g, '-')}`}>{effectText[s.effect] ?? s.effect}</span>
              </td>
              <td>{s.id === item.cited_id ? (item.faithful ? 'cited · faithful' : 'cited · unfaithful') : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

function callLabel(c: AttributionCall, headings: Record<string, string>): string {
  if (c.kind === 'full') return 'Whole constitution'
  const name = headings[c.section_id ?? ''] ?? c.section_id
  return c.kind === 'without' ? `Without “${name}”` : `Only “${name}”`
}

/** Every stored call: its variant, verdict, citation and thinking. */
export function CallList({ calls, headings = {} }: { calls: AttributionCall[]; headings?: Record<string, string> }) {
  return (
    <ol className="why-calls" data-testid="why-calls">
      {calls.map((c) => (
        <li key={c.index} data-testid="why-call">
          <details>
            <summary>
              {callLabel(c, headings)} → <strong>{c.decision}</strong>
              {c.cited ? <span className="muted"> · cites {c.cited}</span> : null}
              {c.error ? <span className="muted"> · {c.error}</span> : null}
            </summary>
            {c.reason && <p className="small">{c.reason}</p>}
            <pre className="thinking-text" tabIndex={0} aria-label={`Thinking: ${callLabel(c, headings)}`}>
              {c.thinking || c.visible}
            </pre>
          </details>
        </li>
      ))}
    </ol>
  )
}

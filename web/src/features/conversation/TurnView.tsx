// One turn of a conversation: the user's message, the superego's card
// (constitution, live thinking, decision and reason) and the assistant's
// answer as Markdown, with model/tokens/timings on demand.

import { useEffect, useRef, useState } from 'react'
import type { Message } from '../../api/wsTypes'
import { DecisionBadge } from './DecisionBadge'
import { FlagVerdict } from './FlagVerdict'
import { WhyButton } from '../../shared/attribution/WhyDialog'
import { Markdown } from '../../shared/Markdown'
import { WordDiff } from '../../shared/WordDiff'
import { formatCost, sumCosts } from '../../shared/cost'
import { paramsText } from '../../shared/params'
import { superegoVerdict, type Turn } from './turns'

export interface TurnViewProps {
  turn: Turn
  constitutionName?: (id: string) => string | undefined
  onRerun?: (user: Message) => void
  onStop?: (runId: string) => void
  compact?: boolean
  /** Compare: this turn's decision is not the one every column reached. */
  decisionDiffers?: boolean
  /** Compare: the output screen's verdict on this answer is not the same in every column. */
  outputDiffers?: boolean
  /** Compare: the answer of the first column, shown as a word diff against this one on demand. */
  diffAgainst?: string
}

const statusNotes: Record<string, string> = {
  cancelled: 'Stopped — the run was cancelled.',
  failed: 'The run failed.',
  interrupted: 'Interrupted — the server stopped while this run was in progress.',
}

export function TurnView({ turn, constitutionName, onRerun, onStop, compact, decisionDiffers, outputDiffers, diffAgainst }: TurnViewProps) {
  const [showDetails, setShowDetails] = useState(false)
  const [showDiff, setShowDiff] = useState(false)
  // A withdrawn answer is not shown unless the researcher asks: the output
  // screen decided it must not be read in passing.
  const [showWithdrawn, setShowWithdrawn] = useState(false)
  const running = turn.status === 'running'
  const s = turn.superego
  const a = turn.assistant
  const withdrawn = a?.message?.status === 'withdrawn'
  // Once decided, the superego's own words (an ALLOW has no reason, so this
  // is the only "why" it gets).
  const verdict = s?.decision ? superegoVerdict(s.text) : ''
  const thinkingRef = useRef<HTMLPreElement>(null)
  // Keep the newest reasoning in view while it streams.
  useEffect(() => {
    const el = thinkingRef.current
    if (el && s?.streaming) el.scrollTop = el.scrollHeight
  }, [s?.thinking, s?.streaming])
  return (
    <article
      className={`turn${compact ? ' turn-compact' : ''}`}
      data-testid="turn"
      data-status={turn.status}
      data-run-id={turn.runId ?? ''}
      data-message-ids={[turn.user?.id, s?.message?.id, a?.message?.id].filter(Boolean).join(' ')}
    >
      {turn.user && (
        <div className="user-message" data-testid="user-message">
          <div className="user-bubble">{turn.user.content}</div>
          {onRerun && !running && (
            <button className="link-button" onClick={() => onRerun(turn.user!)} data-testid="rerun-button">
              Rerun with…
            </button>
          )}
        </div>
      )}

      {s && (
        <section className={`superego-card decision-${(s.decision ?? 'pending').toLowerCase()}`} data-testid="superego-card">
          <header className="superego-head">
            <span className="superego-title">Superego</span>
            {s.constitutionId && (
              <span className="superego-constitution" data-testid="superego-constitution">
                {constitutionName?.(s.constitutionId) ?? s.constitutionId}
                {s.constitutionVersion ? <span className="version-tag">v{s.constitutionVersion}</span> : null}
              </span>
            )}
            <DecisionBadge decision={s.decision} status={turn.status} differs={decisionDiffers} />
          </header>
          {s.reason && (
            <p className="decision-reason" data-testid="decision-reason">
              {s.reason}
            </p>
          )}
          {s.section && (
            <p className="decision-section" data-testid="decision-section">
              Section: {s.section}
            </p>
          )}
          {verdict && verdict !== s.reason && (
            <p className="superego-verdict" data-testid="superego-verdict">
              {verdict}
            </p>
          )}
          <TruncatedNote message={s.message} />
          {(s.thinking || s.streaming) && (
            <details className="thinking" open={s.streaming && !compact} data-testid="thinking">
              <summary>
                {s.streaming ? 'Thinking…' : 'Thinking'}
                <span className="muted"> · {s.thinking.length} chars</span>
              </summary>
              <pre className="thinking-text" data-testid="thinking-text" ref={thinkingRef} tabIndex={0} aria-label="Superego thinking">
                {s.thinking}
                {s.streaming && <span className="caret" />}
              </pre>
            </details>
          )}
          {!running && (
            <div className="superego-actions">
              {s.message?.id && s.decision && s.decision !== 'ERROR' && <WhyButton subject={{ kind: 'message', messageId: s.message.id }} />}
              <FlagVerdict turn={turn} />
            </div>
          )}
        </section>
      )}

      {a && (
        <section className="assistant-message" data-testid="assistant-message" data-streaming={a.streaming ? 'true' : 'false'} data-withdrawn={withdrawn ? 'true' : 'false'}>
          {withdrawn && !showWithdrawn ? (
            <p className="withdrawn-note" data-testid="withdrawn-note">
              The output screen withdrew this answer.{' '}
              {a.text && (
                <button className="link-button" onClick={() => setShowWithdrawn(true)} data-testid="show-withdrawn">
                  Show the withdrawn text
                </button>
              )}
            </p>
          ) : showDiff && diffAgainst !== undefined ? (
            <WordDiff from={diffAgainst} to={a.text} />
          ) : a.text || a.streaming ? (
            <Markdown text={a.text} />
          ) : (
            <p className="muted">No text was stored for this answer.</p>
          )}
          <TruncatedNote message={a.message} />
          {outputDiffers && !a.message?.decision && (
            <p className="output-verdict muted small" data-testid="output-verdict" data-differs="true">
              Not screened here; another column's answer was withdrawn · differs
            </p>
          )}
          {a.message?.decision && (
            <p className={`output-verdict${a.message.status === 'withdrawn' ? ' status-blocked' : ''}`} data-testid="output-verdict">
              <DecisionBadge decision={a.message.decision} differs={outputDiffers} /> Output screen
              {a.message.status === 'withdrawn' ? ': answer withdrawn' : ''}
              {a.message.reason ? ` — ${a.message.reason}` : ''}
            </p>
          )}
        </section>
      )}

      {!a && turn.status === 'blocked' && (
        <p className="status-note status-blocked" data-testid="blocked-note">
          Blocked by the superego — the assistant was not asked.
        </p>
      )}
      {statusNotes[turn.status] && (
        <p className={`status-note status-${turn.status}`} data-testid="status-note">
          {statusNotes[turn.status]}
          {turn.error ? ` (${turn.error})` : ''}
        </p>
      )}

      <footer className="turn-foot">
        {running && onStop && turn.runId && (
          <button className="button button-small" onClick={() => onStop(turn.runId!)} data-testid="stop-button">
            <span aria-hidden="true">■</span> Stop
          </button>
        )}
        {running && <span className="muted live-dot">streaming</span>}
        {!running && (s || a) && (
          <button className="link-button" onClick={() => setShowDetails((v) => !v)} aria-expanded={showDetails} data-testid="details-toggle">
            {showDetails ? 'Hide details' : 'Details'}
          </button>
        )}
        {!running && a && !withdrawn && diffAgainst !== undefined && diffAgainst !== a.text && (
          <button className="link-button" onClick={() => setShowDiff((v) => !v)} aria-pressed={showDiff} data-testid="answer-diff-toggle">
            {showDiff ? 'Show answer' : 'Words that differ from the first column'}
          </button>
        )}
      </footer>
      {showDetails && <TurnDetails turn={turn} />}
    </article>
  )
}

/** Marks a message the provider cut short, naming its stop reason. */
function TruncatedNote({ message }: { message?: Message }) {
  if (message?.status !== 'truncated') return null
  return (
    <p className="status-note status-truncated" data-testid="truncated-note">
      Incomplete — {message.error || 'cut short by the provider'}.
    </p>
  )
}

function TurnDetails({ turn }: { turn: Turn }) {
  const sm = turn.superego?.message
  const am = turn.assistant?.message
  const usage = turn.usage ?? addUsage(sm?.usage, am?.usage)
  const timings = turn.timings ?? am?.timings ?? sm?.timings
  const rows: [string, string][] = []
  if (turn.superego?.model) rows.push(['Superego model', turn.superego.model])
  if (am?.model) rows.push(['Assistant model', am.model])
  // What each call actually sent (the config's, plus provider defaults).
  const sp = paramsText(sm?.params)
  if (sp) rows.push(['Superego parameters', sp])
  const ap = paramsText(am?.params)
  if (ap) rows.push(['Assistant parameters', ap])
  const cost = sumCosts([sm?.cost, am?.cost])
  if (usage) rows.push(['Tokens', `${usage.input_tokens} in · ${usage.output_tokens} out${cost ? ` · ${formatCost(cost)}` : ''}`])
  else if (cost) rows.push(['Cost', formatCost(cost)])
  if (turn.usage?.wasted_tokens) rows.push(['Wasted (speculative)', `${turn.usage.wasted_tokens} tokens`])
  if (timings?.superego_ms !== undefined) rows.push(['Superego', `${timings.superego_ms} ms`])
  if (timings?.first_token_ms !== undefined) rows.push(['First token', `${timings.first_token_ms} ms`])
  if (timings?.total_ms !== undefined) rows.push(['Total', `${timings.total_ms} ms`])
  if (turn.runId) rows.push(['Run', turn.runId])
  return (
    <dl className="turn-details" data-testid="turn-details">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  )
}

function addUsage(a?: { input_tokens: number; output_tokens: number }, b?: { input_tokens: number; output_tokens: number }) {
  if (!a && !b) return undefined
  return { input_tokens: (a?.input_tokens ?? 0) + (b?.input_tokens ?? 0), output_tokens: (a?.output_tokens ?? 0) + (b?.output_tokens ?? 0) }
}

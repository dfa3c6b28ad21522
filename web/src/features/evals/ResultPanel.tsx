// One result row in full: the superego's thinking, reason and cited
// section, the output verdict on the answer (full mode, when the target
// screens output), and two ways on: open the input in Chat under exactly
// this target (its config and the constitution text the row was screened
// against), or rerun the case under another config or constitution as an
// eval of that one case.

import { useMutation } from '@tanstack/react-query'
import { useNavigate } from 'react-router'
import { useApi } from '../../api/context'
import type { EvalResult, EvalTarget } from '../../api/evalTypes'
import { targetLabel } from '../../shared/evals/reading'
import { paramsText } from '../../shared/params'
import { ErrorNote } from '../../shared/ui'
import { WhyButton } from '../../shared/attribution/WhyDialog'
import { openUnderTarget } from './openTarget'
import { RerunCase } from './RerunCase'

export function ResultPanel({ row, target, onClose }: { row: EvalResult; target: EvalTarget; onClose: () => void }) {
  const api = useApi()
  const navigate = useNavigate()
  // A conversation under the target, with the case's input waiting in the
  // message box (sending it is the researcher's choice).
  const open = useMutation({
    mutationFn: () => openUnderTarget(api, row, target, `Eval case ${row.case_id}`),
    onSuccess: (id) => navigate(`/chat/${id}?draft=${encodeURIComponent(row.input)}`),
  })
  return (
    <aside className="result-panel" aria-label={`Case ${row.case_id}`} data-testid="result-panel">
      <div className="result-panel-head">
        <h3>
          Case <code>{row.case_id}</code>
        </h3>
        <button className="icon-button" onClick={onClose} aria-label="Close the case">
          ×
        </button>
      </div>
      <p className="small muted">
        {targetLabel(target)} · repeat {row.repeat + 1} · {row.model} · {row.latency_ms} ms
        {row.constitution_id && (
          <>
            {' '}
            · {row.constitution_id}@{row.constitution_version}
          </>
        )}
      </p>
      {(row.superego_params || row.assistant_params) && (
        <dl className="result-params" data-testid="panel-params">
          {row.superego_params && (
            <div>
              <dt>Superego sent</dt>
              <dd data-testid="panel-superego-params">{paramsText(row.superego_params)}</dd>
            </div>
          )}
          {row.assistant_params && (
            <div>
              <dt>Assistant sent</dt>
              <dd data-testid="panel-assistant-params">{paramsText(row.assistant_params)}</dd>
            </div>
          )}
        </dl>
      )}
      <h4>Input</h4>
      <p className="case-input">{row.input}</p>
      <p>
        Expected <strong>{row.expected}</strong>, decided <span className={`decision-chip decision-${row.decision.toLowerCase()}`}>{row.decision}</span> {row.correct ? '(right)' : '(wrong)'}
      </p>
      {row.error && <ErrorNote error={row.error} />}
      <h4>Reason</h4>
      <p data-testid="panel-reason">{row.reason || '—'}</p>
      <h4>Cited section</h4>
      <p data-testid="panel-section">
        {row.cited_section || 'none'}{' '}
        {row.decision !== 'ERROR' && <WhyButton subject={{ kind: 'row', evalRunId: row.eval_run_id, row: { case_id: row.case_id, target: row.target, repeat: row.repeat } }} />}
      </p>
      <details open>
        <summary>Thinking</summary>
        <pre className="thinking-text" tabIndex={0} data-testid="panel-thinking">
          {row.thinking || '—'}
        </pre>
      </details>
      {row.output_decision && (
        <section className="output-verdict-panel" aria-label="Output verdict" data-testid="panel-output">
          <h4>Output verdict</h4>
          <p>
            <span className={`decision-chip decision-${row.output_decision.toLowerCase()}`} data-testid="panel-output-decision">
              {row.output_decision}
            </span>{' '}
            {row.withdrawn ? <strong data-testid="panel-withdrawn">answer withdrawn</strong> : 'answer kept'}
          </p>
          <p data-testid="panel-output-reason">{row.output_reason || '—'}</p>
          <p className="small muted">
            Cited section: <span data-testid="panel-output-section">{row.output_section || 'none'}</span>
          </p>
        </section>
      )}
      {row.answer && (
        <details>
          <summary>{row.withdrawn ? 'Answer (withdrawn)' : 'Answer'}</summary>
          <pre className="thinking-text" tabIndex={0}>
            {row.answer}
          </pre>
        </details>
      )}
      <div className="result-panel-actions">
        <button className="button button-primary" onClick={() => open.mutate()} disabled={open.isPending} data-testid="open-in-chat">
          Open in chat
        </button>
      </div>
      <ErrorNote error={open.error} />
      <RerunCase row={row} />
    </aside>
  )
}

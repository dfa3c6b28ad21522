// Compare: run one input through 2–8 flow configs side by side, send
// follow-ups to every column, and reopen past comparisons.

import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { useSocket } from '../../api/context'
import { useQueries, useQuery } from '@tanstack/react-query'
import { useApi } from '../../api/context'
import { useConstitutions, useFlowConfigs, useFlowInstances } from '../../api/hooks'
import type { FlowConfig, FlowInstance } from '../../api/types'
import { Composer } from '../conversation/Composer'
import { TurnView } from '../conversation/TurnView'
import { Split } from '../../shared/Split'
import { EmptyState, ErrorNote, Field, relativeTime } from '../../shared/ui'
import { usePageTitle } from '../../shared/usePageTitle'
import { useConversation } from '../conversation/useConversation'
import { useStickToBottom } from '../conversation/useStickToBottom'
import { download, fileSlug } from '../../shared/download'
import { comparisonJsonl, comparisonMarkdown } from '../conversation/exportFormat'
import { conversationTotals, formatTotals } from '../conversation/totals'
import type { Turn } from '../conversation/turns'
import { compareQueries } from './api'
import { decisionsDiffer, formatDelta, outputDecisionsDiffer, settingsDiff } from './differences'
import { groupComparisons } from './groups'
import { VariantPicker } from './VariantPicker'

export function ComparePage() {
  const { comparisonId } = useParams()
  const instances = useFlowInstances()
  const groups = useMemo(() => groupComparisons(instances.data ?? []), [instances.data])
  usePageTitle(comparisonId ? (groups.find((g) => g.id === comparisonId)?.title ?? 'Comparison') : 'New comparison', 'Compare')
  return (
    <Split
      label="Comparisons"
      sidebar={
      <aside className="sidebar" data-testid="comparison-list">
        <div className="sidebar-head">
          <h2>Comparisons</h2>
          <Link className="button button-primary button-small" to="/compare" data-testid="new-comparison-link">
            + New
          </Link>
        </div>
        <ul className="tree">
          {groups.map((g) => (
            <li key={g.id}>
              <Link to={`/compare/${g.id}`} className={`tree-item tree-link${g.id === comparisonId ? ' selected' : ''}`} data-testid="comparison-item">
                <span className="tree-name">{g.title}</span>
                <span className="tree-meta">
                  {g.instances.length} columns · {relativeTime(g.createdAt)}
                </span>
              </Link>
            </li>
          ))}
        </ul>
        {instances.data && groups.length === 0 && <p className="muted pad">No comparisons yet.</p>}
      </aside>
      }
    >
      {comparisonId ? <ComparisonView key={comparisonId} comparisonId={comparisonId} /> : <NewComparison />}
    </Split>
  )
}

function NewComparison() {
  const socket = useSocket()
  const navigate = useNavigate()
  const configs = useFlowConfigs()
  const [chosen, setChosen] = useState<string[]>([])
  const [name, setName] = useState('')
  const [error, setError] = useState<unknown>(null)
  const toggle = (id: string) => setChosen((c) => (c.includes(id) ? c.filter((x) => x !== id) : c.length >= 8 ? c : [...c, id]))
  const valid = chosen.length >= 2 && chosen.length <= 8
  const run = async (content: string) => {
    setError(null)
    try {
      const acc = await socket.request({ type: 'run_parallel', flow_config_ids: chosen, content, ...(name.trim() ? { comparison_name: name.trim() } : {}) })
      if (acc.comparison_id) navigate(`/compare/${acc.comparison_id}`)
    } catch (e) {
      setError(e)
      throw e
    }
  }
  return (
    <div className="page-pad new-comparison" data-testid="new-comparison">
      <h1>New comparison</h1>
      <p className="muted">Pick 2 to 8 flow configs. One input runs through all of them at once; each gets its own column.</p>
      <div className="config-picker">
        {configs.data?.map((c) => (
          <label key={c.id} className={`config-chip${chosen.includes(c.id) ? ' chosen' : ''}`}>
            <input
              type="checkbox"
              checked={chosen.includes(c.id)}
              onChange={() => toggle(c.id)}
              disabled={!chosen.includes(c.id) && chosen.length >= 8}
              data-testid={`compare-config-${c.id}`}
            />
            <span>
              <strong>{c.name}</strong>
              <span className="muted small config-chip-meta">
                {c.id} · {c.superego_enabled ? c.constitution_id : 'superego off'}
              </span>
            </span>
          </label>
        ))}
      </div>
      <VariantPicker configs={configs.data ?? []} onChosen={setChosen} />
      <p className="muted" data-testid="compare-count">
        {chosen.length} selected {chosen.length < 2 ? '— choose at least 2' : chosen.length >= 8 ? '— the most one comparison can hold' : ''}
      </p>
      <Field label="Name" hint="Optional, to find this comparison later.">
        <input value={name} onChange={(e) => setName(e.target.value)} data-testid="comparison-name" />
      </Field>
      <ErrorNote error={error} />
      <Composer onSend={run} disabled={!valid} placeholder="One input for every column…" />
    </div>
  )
}

function ComparisonView({ comparisonId }: { comparisonId: string }) {
  const socket = useSocket()
  const api = useApi()
  const columns = useQuery(compareQueries.columns(api, comparisonId))
  const configs = useFlowConfigs()
  const constitutions = useConstitutions()
  const [error, setError] = useState<unknown>(null)
  // Each column's turns, reported by the column, to mark where they differ.
  const [turnsOf, setTurnsOf] = useState<Record<string, Turn[]>>({})
  const report = useCallback((id: string, turns: Turn[]) => setTurnsOf((m) => (m[id] === turns ? m : { ...m, [id]: turns })), [])
  const cols = [...(columns.data ?? [])].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id))
  const differs = decisionsDiffer(cols.map((c) => turnsOf[c.id] ?? []))
  const outputDiffers = outputDecisionsDiffer(cols.map((c) => turnsOf[c.id] ?? []))
  const first = cols[0] ? turnsOf[cols[0].id] : undefined
  // Time to first token of each column's turn at the first column's latest
  // turn: from the live run_finished frame, else from the stored run.
  const k = (first?.length ?? 0) - 1
  const latest = cols.map((c) => (k >= 0 ? turnsOf[c.id]?.[k] : undefined))
  const needRun = latest.map((t) => (t && t.status !== 'running' && t.timings?.first_token_ms === undefined ? t.runId : undefined))
  const runs = useQueries({ queries: needRun.map((id) => compareQueries.run(api, id)) })
  const ttft = latest.map((t, i) => (!t || t.status === 'running' ? undefined : (t.timings?.first_token_ms ?? runs[i]?.data?.timings.first_token_ms)))
  const configOf = (inst: FlowInstance) => configs.data?.find((c) => c.id === inst.flow_config_id)
  const followUp = async (content: string) => {
    setError(null)
    try {
      await socket.request({ type: 'run_parallel', comparison_id: comparisonId, content })
    } catch (e) {
      setError(e)
      throw e
    }
  }
  const exportAs = async (format: 'jsonl' | 'md') => {
    setError(null)
    try {
      const data = await Promise.all(cols.map(async (c) => ({ instance: c, messages: await api.flowInstances.messages(c.id) })))
      const title = cols[0]?.description || cols[0]?.name.split(' · ')[0] || comparisonId
      const nameOf = (id: string) => constitutions.data?.find((c) => c.id === id)?.name ?? id
      if (format === 'jsonl') download(`comparison-${fileSlug(title)}.jsonl`, comparisonJsonl(data), 'application/x-ndjson')
      else download(`comparison-${fileSlug(title)}.md`, comparisonMarkdown(title, data, nameOf), 'text/markdown')
    } catch (e) {
      setError(e)
    }
  }
  return (
    <div className="comparison" data-testid="comparison" data-comparison-id={comparisonId}>
      <div className="comparison-tools export-menu">
        <span className="cost" data-testid="comparison-totals">
          {formatTotals(conversationTotals(Object.values(turnsOf).flat()))}
        </span>
        <button className="button button-small" onClick={() => void exportAs('jsonl')} data-testid="export-jsonl">
          Export JSONL
        </button>
        <button className="button button-small" onClick={() => void exportAs('md')} data-testid="export-markdown">
          Export Markdown
        </button>
      </div>
      <ErrorNote error={columns.error ?? error} />
      {columns.data && cols.length === 0 && <EmptyState title="This comparison has no columns" />}
      <div className="columns" style={{ gridTemplateColumns: `repeat(${Math.max(cols.length, 1)}, minmax(240px, 1fr))` }}>
        {cols.map((inst, i) => (
          <Column
            key={inst.id}
            instance={inst}
            config={configOf(inst)}
            onTurns={report}
            differs={differs}
            outputDiffers={outputDiffers}
            reference={i === 0 ? undefined : first}
            ttft={<FirstToken index={i} ms={ttft[i]} reference={ttft[0]} label={i === 0 ? '' : settingsDiff(cols[0] && configOf(cols[0]), configOf(inst))} />}
          />
        ))}
      </div>
      <div className="comparison-composer">
        <Composer onSend={followUp} placeholder="Follow-up for every column…" />
      </div>
    </div>
  )
}

function Column({
  instance,
  config,
  onTurns,
  differs,
  outputDiffers,
  reference,
  ttft,
}: {
  instance: FlowInstance
  config?: FlowConfig
  onTurns: (id: string, turns: Turn[]) => void
  /** Per turn index: the columns' decisions are not all the same. */
  differs: boolean[]
  /** Per turn index: the output screen's verdicts on the answers differ. */
  outputDiffers: boolean[]
  /** The time to first token of the latest turn, against the first column's. */
  ttft: ReactNode
  /** The first column's turns, whose answers this column's are diffed against. */
  reference?: Turn[]
}) {
  const socket = useSocket()
  const constitutions = useConstitutions()
  const { conv } = useConversation(instance.id)
  useEffect(() => onTurns(instance.id, conv.turns), [onTurns, instance.id, conv.turns])
  const nameOf = (id: string) => constitutions.data?.find((c) => c.id === id)?.name
  // Each column follows its own stream, as the chat does.
  const { ref: columnRef } = useStickToBottom<HTMLElement>()
  return (
    <section className="column" ref={columnRef} data-testid="compare-column" data-config-id={instance.flow_config_id}>
      <header className="column-head">
        <span className="column-title">
          <strong data-testid="column-config">{config?.name ?? instance.flow_config_id}</strong>
          {/* Two configs may share a name (every template instantiation makes one): say what differs. */}
          {config && (
            <span className="muted small" data-testid="column-config-meta">
              {config.superego_enabled ? `constitution ${nameOf(config.constitution_id) ?? config.constitution_id}` : 'superego off'}
              {config.assistant_model ? ` · ${config.assistant_model}` : ''}
              {config.assistant_start === 'speculative' ? ' · speculative start' : ''}
              {config.screen_output && config.screen_output !== 'off' ? ` · screens answers (${config.screen_output})` : ''}
            </span>
          )}
        </span>
        <span className="column-links">
          <span className="cost" data-testid="column-totals">
            {formatTotals(conversationTotals(conv.turns))}
          </span>
          <Link to={`/chat/${instance.id}`} className="small">
            open as chat
          </Link>
        </span>
      </header>
      {ttft}
      <div className="column-turns">
        {conv.turns.map((t, k) => (
          <TurnView
            key={t.key}
            turn={t}
            constitutionName={nameOf}
            onStop={(id) => socket.cancel(id)}
            compact
            decisionDiffers={differs[k]}
            outputDiffers={outputDiffers[k]}
            diffAgainst={reference?.[k]?.status === 'completed' ? reference[k].assistant?.text : undefined}
          />
        ))}
      </div>
    </section>
  )
}

/**
 * A column's time to first token on the latest turn and, for every column
 * after the first, the difference from the first column's, named by what
 * sets the two configs apart: "speculative: −310 ms TTFT vs column A".
 */
function FirstToken({ index, ms, reference, label }: { index: number; ms?: number; reference?: number; label: string }) {
  if (ms === undefined) return null
  const delta = index > 0 && reference !== undefined ? ms - reference : undefined
  return (
    <p className="muted small column-ttft" data-testid="column-first-token" data-ms={ms}>
      First token of the latest turn: {ms.toLocaleString('en-US')} ms
      {delta !== undefined && (
        <>
          <br />
          <strong className={delta < 0 ? 'ttft-faster' : delta > 0 ? 'ttft-slower' : ''} data-testid="column-ttft-diff" data-delta-ms={delta}>
            {label}: {formatDelta(delta)} TTFT vs column A
          </strong>
        </>
      )}
    </p>
  )
}

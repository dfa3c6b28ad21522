// Start an eval: a suite, 1–8 targets (a flow config, each with the
// constitution version to test, or an unsaved draft), repeats and mode.
// Before it starts it says how many model calls it will make.

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { useNavigate } from 'react-router'
import { useApi } from '../../api/context'
import { evalKeys, evalQueries, evalsApi } from '../../api/evals'
import type { EvalTarget } from '../../api/evalTypes'
import { useConstitutions, useFlowConfigs } from '../../api/hooks'
import { plannedCalls } from '../../shared/evals/reading'
import { ErrorNote, Field, fieldError, Modal } from '../../shared/ui'

interface TargetDraft {
  config: string
  /** "" = the config's own constitution as it is now. */
  constitution: string
  /** 0 = the constitution's current version. */
  version: number
  draft: string
  useDraft: boolean
}

const emptyTarget = (config = ''): TargetDraft => ({ config, constitution: '', version: 0, draft: '', useDraft: false })

export function RunDialog({ suiteId, onClose }: { suiteId?: string; onClose: () => void }) {
  const api = useApi()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const suites = useQuery(evalQueries.suites(api))
  const configs = useFlowConfigs()
  const [suite, setSuite] = useState(suiteId ?? '')
  const [targets, setTargets] = useState<TargetDraft[]>([emptyTarget()])
  const [repeats, setRepeats] = useState(1)
  const [mode, setMode] = useState<'superego' | 'full'>('superego')
  const chosenSuite = suites.data?.find((s) => s.id === (suite || suites.data?.[0]?.id))
  const firstConfig = configs.data?.[0]?.id ?? ''
  const resolved = targets.map((t) => ({ ...t, config: t.config || firstConfig }))
  const calls = plannedCalls(chosenSuite?.case_count ?? 0, targets.length, repeats, mode)
  const start = useMutation({
    mutationFn: () =>
      evalsApi.start(api, {
        suite_id: chosenSuite!.id,
        repeats,
        mode,
        targets: resolved.map(
          (t): EvalTarget => (t.useDraft ? { flow_config_id: t.config, draft: t.draft } : { flow_config_id: t.config, constitution_id: t.constitution || undefined, constitution_version: t.version || undefined }),
        ),
      }),
    onSuccess: (run) => {
      void qc.invalidateQueries({ queryKey: evalKeys.runs })
      onClose()
      navigate(`/evals/runs/${run.id}`)
    },
  })
  const set = (i: number, patch: Partial<TargetDraft>) => setTargets(targets.map((t, j) => (j === i ? { ...t, ...patch } : t)))
  return (
    <Modal title="Run an eval" onClose={onClose} testId="run-dialog">
      <form
        className="form modal-body"
        onSubmit={(e) => {
          e.preventDefault()
          start.mutate()
        }}
      >
        <Field label="Suite" error={fieldError(start.error, 'suite_id')}>
          <select value={chosenSuite?.id ?? ''} onChange={(e) => setSuite(e.target.value)} data-testid="run-suite">
            {suites.data?.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name} ({s.case_count} cases)
              </option>
            ))}
          </select>
        </Field>
        <fieldset className="targets">
          <legend>Targets</legend>
          {resolved.map((t, i) => (
            <TargetRow key={i} index={i} t={t} configs={configs.data?.map((c) => ({ id: c.id, name: c.name })) ?? []} onChange={(p) => set(i, p)} onRemove={targets.length > 1 ? () => setTargets(targets.filter((_, j) => j !== i)) : undefined} error={fieldError(start.error, `targets[${i}]`)} />
          ))}
          <button type="button" className="button button-small" onClick={() => setTargets([...targets, emptyTarget(resolved[resolved.length - 1]?.config)])} disabled={targets.length >= 8} data-testid="add-target">
            + Add a target
          </button>
        </fieldset>
        <div className="form-row">
          <Field label="Repeats" hint="1–10; more repeats show which verdicts are unstable." error={fieldError(start.error, 'repeats')}>
            <input type="number" min={1} max={10} value={repeats} onChange={(e) => setRepeats(Math.max(1, Math.min(10, Number(e.target.value) || 1)))} data-testid="run-repeats" />
          </Field>
          <Field label="Mode">
            <select value={mode} onChange={(e) => setMode(e.target.value as 'superego' | 'full')} data-testid="run-mode">
              <option value="superego">Superego only (the verdict)</option>
              <option value="full">Full (the assistant answers too)</option>
            </select>
          </Field>
        </div>
        <p className="calls" data-testid="run-calls">
          {chosenSuite?.case_count ?? 0} cases × {targets.length} target{targets.length === 1 ? '' : 's'} × {repeats} repeat{repeats === 1 ? '' : 's'} ={' '}
          <strong>{calls.min.toLocaleString()}</strong> superego calls
          {mode === 'full' && <> and up to {(calls.max - calls.min).toLocaleString()} assistant calls</>}.
        </p>
        <ErrorNote error={start.error} />
        <div className="modal-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button className="button button-primary" disabled={!chosenSuite || !firstConfig || start.isPending} data-testid="start-eval">
            Start
          </button>
        </div>
      </form>
    </Modal>
  )
}

function TargetRow({
  index,
  t,
  configs,
  onChange,
  onRemove,
  error,
}: {
  index: number
  t: TargetDraft
  configs: { id: string; name: string }[]
  onChange: (p: Partial<TargetDraft>) => void
  onRemove?: () => void
  error?: string
}) {
  const api = useApi()
  const constitutions = useConstitutions()
  const versions = useQuery({
    queryKey: ['constitutions', t.constitution, 'versions'],
    queryFn: () => api.constitutions.versions(t.constitution),
    enabled: !!t.constitution,
  })
  const n = index + 1
  return (
    <div className="target-row" data-testid="target-row">
      <label>
        <span className="visually-hidden">Flow config of target {n}</span>
        <select value={t.config} onChange={(e) => onChange({ config: e.target.value })} data-testid="target-config">
          {configs.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="visually-hidden">Constitution of target {n}</span>
        <select
          value={t.useDraft ? '__draft' : t.constitution}
          onChange={(e) => (e.target.value === '__draft' ? onChange({ useDraft: true }) : onChange({ useDraft: false, constitution: e.target.value, version: 0 }))}
          data-testid="target-constitution"
        >
          <option value="">the config's constitution</option>
          {constitutions.data?.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
          <option value="__draft">a draft text…</option>
        </select>
      </label>
      {!t.useDraft && t.constitution && (
        <label>
          <span className="visually-hidden">Version of target {n}</span>
          <select value={t.version} onChange={(e) => onChange({ version: Number(e.target.value) })} data-testid="target-version">
            <option value={0}>current version</option>
            {versions.data?.map((v) => (
              <option key={v.version} value={v.version}>
                version {v.version}
              </option>
            ))}
          </select>
        </label>
      )}
      {onRemove && (
        <button type="button" className="icon-button" onClick={onRemove} aria-label={`Remove target ${n}`}>
          ×
        </button>
      )}
      {t.useDraft && (
        <textarea className="target-draft" value={t.draft} onChange={(e) => onChange({ draft: e.target.value })} rows={5} placeholder="The constitution text to test" aria-label={`Draft constitution of target ${n}`} />
      )}
      {error && <span className="field-error">{error}</span>}
    </div>
  )
}

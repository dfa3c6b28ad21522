// "Rerun with…": screens one row's case again under another flow config
// and, optionally, another constitution at any of its versions, as an eval
// of that one case (so it is stored, listed with the other evals and
// comparable), and shows the new verdict here once it is in.

import { useMutation, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router'
import { useApi } from '../../api/context'
import { evalQueries, evalsApi } from '../../api/evals'
import type { EvalResult } from '../../api/evalTypes'
import { useConstitutions, useFlowConfigs } from '../../api/hooks'
import { targetLabel } from '../../shared/evals/reading'
import { ErrorNote } from '../../shared/ui'

const finished = (status: string | undefined) => status === 'completed' || status === 'cancelled' || status === 'failed'

export function RerunCase({ row }: { row: EvalResult }) {
  const api = useApi()
  const configs = useFlowConfigs()
  const constitutions = useConstitutions()
  const source = useQuery(evalQueries.run(api, row.eval_run_id))
  const [config, setConfig] = useState('')
  const [constitution, setConstitution] = useState('')
  const [version, setVersion] = useState(0)
  const versions = useQuery({
    queryKey: ['constitutions', constitution, 'versions'],
    queryFn: () => api.constitutions.versions(constitution),
    enabled: !!constitution,
  })
  const [runId, setRunId] = useState<string | undefined>()
  const start = useMutation({
    mutationFn: () =>
      evalsApi.start(api, {
        suite_id: source.data!.suite_id,
        case_ids: [row.case_id],
        repeats: 1,
        mode: source.data!.mode === 'full' ? 'full' : 'superego',
        targets: [{ flow_config_id: config, ...(constitution ? { constitution_id: constitution, constitution_version: version } : {}) }],
      }),
    onSuccess: (r) => setRunId(r.id),
  })
  const rerun = useQuery({ ...evalQueries.run(api, runId), refetchInterval: (q) => (finished(q.state.data?.status) ? false : 400) })
  const done = finished(rerun.data?.status)
  const rows = useQuery({ queryKey: ['eval-runs', runId ?? '', 'rerun-rows'], queryFn: () => evalsApi.results(api, runId!), enabled: !!runId && done })
  const result = rows.data?.[0]
  return (
    <div className="rerun-case" data-testid="rerun-case">
      <div className="result-panel-actions">
        <label className="rerun-with">
          <span className="visually-hidden">Flow config to rerun with</span>
          <select value={config} onChange={(e) => setConfig(e.target.value)} data-testid="rerun-config">
            <option value="">Rerun with…</option>
            {configs.data?.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label className="rerun-with">
          <span className="visually-hidden">Constitution to rerun with</span>
          <select
            value={constitution}
            onChange={(e) => {
              setConstitution(e.target.value)
              setVersion(0)
            }}
            data-testid="rerun-constitution"
          >
            <option value="">its own constitution</option>
            {constitutions.data?.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name} (v{c.version})
              </option>
            ))}
          </select>
        </label>
        {constitution && (
          <label className="rerun-with">
            <span className="visually-hidden">Version to rerun with</span>
            <select value={version} onChange={(e) => setVersion(Number(e.target.value))} data-testid="rerun-version">
              <option value={0}>current version</option>
              {versions.data?.map((v) => (
                <option key={v.version} value={v.version}>
                  version {v.version}
                </option>
              ))}
            </select>
          </label>
        )}
        <button className="button" onClick={() => start.mutate()} disabled={!config || !source.data || start.isPending || (!!runId && !done)} data-testid="rerun-go">
          Rerun
        </button>
      </div>
      <ErrorNote error={start.error ?? rerun.error ?? rows.error} />
      {runId && (
        <div className="rerun-result" role="status" data-testid="rerun-result" data-status={rerun.data?.status ?? 'queued'}>
          {!done && <p className="muted small">Rerunning this case…</p>}
          {result && rerun.data && (
            <table className="rerun-row">
              <tbody>
                <tr>
                  <th scope="row">{targetLabel(rerun.data.targets?.[0] ?? { flow_config_id: config })}</th>
                  <td>
                    <span className={`decision-chip decision-${result.decision.toLowerCase()}`} data-testid="rerun-decision">
                      {result.decision}
                    </span>{' '}
                    {result.correct ? '(right)' : '(wrong)'}
                  </td>
                  <td data-testid="rerun-reason">{result.reason || '—'}</td>
                  <td className="small muted">{result.cited_section || 'no section'}</td>
                </tr>
              </tbody>
            </table>
          )}
          {done && (
            <p className="small">
              <Link to={`/evals/runs/${runId}`} data-testid="rerun-link">
                The rerun as an eval
              </Link>
            </p>
          )}
        </div>
      )}
    </div>
  )
}

// "Test this draft": the unsaved text against the saved version on a suite
// (XSTest by default), as a two-target eval on a flow config; the flips show
// here, before anything is saved.

import { useMutation, useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router'
import { useApi } from '../../api/context'
import { evalQueries, evalsApi } from '../../api/evals'
import { useFlowConfigs } from '../../api/hooks'
import { useEvalStream } from '../../api/useEvalStream'
import { FlipList } from '../../shared/evals/FlipList'
import { plannedCalls } from '../../shared/evals/reading'
import { ErrorNote, Field, Modal } from '../../shared/ui'

export function TestDraft({ constitutionId, version, draft, onClose }: { constitutionId: string; version: number; draft: string; onClose: () => void }) {
  const api = useApi()
  const suites = useQuery(evalQueries.suites(api))
  const configs = useFlowConfigs()
  const [suite, setSuite] = useState('')
  const [config, setConfig] = useState('')
  const suiteId = suite || (suites.data?.find((s) => s.id === 'xstest') ?? suites.data?.[0])?.id || ''
  // A config that already uses this constitution, else the first one.
  const configId = config || configs.data?.find((c) => c.constitution_id === constitutionId)?.id || configs.data?.[0]?.id || ''
  const cases = suites.data?.find((s) => s.id === suiteId)?.case_count ?? 0
  const start = useMutation({
    mutationFn: () =>
      evalsApi.start(api, {
        suite_id: suiteId,
        repeats: 1,
        mode: 'superego',
        targets: [
          { flow_config_id: configId, constitution_id: constitutionId, constitution_version: version },
          { flow_config_id: configId, draft },
        ],
      }),
  })
  const runId = start.data?.id
  const stream = useEvalStream(runId)
  const finished = !!stream.run && stream.run.status === 'completed'
  const cmp = useQuery({ ...evalQueries.compare(api, runId, 'target_a=0&target_b=1'), enabled: !!runId && finished })
  return (
    <Modal title="Test this draft" onClose={onClose} testId="test-draft-dialog">
      <div className="modal-body form">
        {!runId && (
          <>
            <p className="small">
              Screens every case of the suite with the saved version (v{version}) and with your unsaved text, then lists the cases whose verdict flips.
            </p>
            <div className="form-row">
              <Field label="Suite">
                <select value={suiteId} onChange={(e) => setSuite(e.target.value)} data-testid="test-draft-suite">
                  {suites.data?.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name} ({s.case_count})
                    </option>
                  ))}
                </select>
              </Field>
              <Field label="Flow config (its superego model)">
                <select value={configId} onChange={(e) => setConfig(e.target.value)}>
                  {configs.data?.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                    </option>
                  ))}
                </select>
              </Field>
            </div>
            <p className="calls">{plannedCalls(cases, 2, 1, 'superego').min.toLocaleString()} superego calls.</p>
            <ErrorNote error={start.error} />
            <div className="modal-actions">
              <button className="button" onClick={onClose}>
                Cancel
              </button>
              <button className="button button-primary" onClick={() => start.mutate()} disabled={!suiteId || !configId || start.isPending} data-testid="test-draft-start">
                Test
              </button>
            </div>
          </>
        )}
        {runId && (
          <>
            <p data-testid="test-draft-progress">
              <progress max={stream.run?.total || 1} value={stream.run?.done ?? 0} aria-label="Rows done" /> {stream.run?.done ?? 0} / {stream.run?.total ?? '…'} ·{' '}
              <Link to={`/evals/runs/${runId}`}>open the eval</Link>
            </p>
            <ErrorNote error={stream.error ?? cmp.error} />
            {cmp.data && <FlipList cmp={cmp.data} a={`saved v${version}`} b="draft" />}
          </>
        )}
      </div>
    </Modal>
  )
}

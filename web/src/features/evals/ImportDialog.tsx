// Import cases from a CSV or JSONL file: drop it (or choose it), map its
// columns, translate its labels, preview what the server reads (a dry run),
// then confirm. Nothing is stored until the confirmation, and a bad file
// stores nothing at all.

import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { useApi } from '../../api/context'
import { evalKeys, evalsApi, type ImportOptions } from '../../api/evals'
import { expectedLabels, type EvalSuite, type Expected } from '../../api/evalTypes'
import { ErrorNote, Field, Modal } from '../../shared/ui'
import { guessLabels, guessMapping, sniff, type Mapping, type Sniffed } from './sniff'

const fields: { key: keyof Mapping; label: string; required?: boolean }[] = [
  { key: 'input', label: 'Input (the user message)', required: true },
  { key: 'expected', label: 'Expected label' },
  { key: 'id', label: 'Case id' },
  { key: 'category', label: 'Category' },
  { key: 'note', label: 'Note' },
]

export function ImportDialog({ suite, onClose }: { suite: EvalSuite; onClose: () => void }) {
  const api = useApi()
  const qc = useQueryClient()
  const [file, setFile] = useState<{ name: string; text: string } | null>(null)
  const [sniffed, setSniffed] = useState<Sniffed | null>(null)
  const [mapping, setMapping] = useState<Mapping | null>(null)
  const [labels, setLabels] = useState<Record<string, string>>({})
  const [fallback, setFallback] = useState<Expected>('NOT_ALLOW')
  const [mode, setMode] = useState<'replace' | 'append'>(suite.case_count ? 'append' : 'replace')
  const [over, setOver] = useState(false)

  const load = async (f: File) => {
    const text = await f.text()
    const s = sniff(f.name, text)
    const m = guessMapping(s.columns)
    setFile({ name: f.name, text })
    setSniffed(s)
    setMapping(m)
    setLabels(m.expected ? guessLabels(s.samples[m.expected] ?? []) : {})
    preview.reset()
  }
  const options = (dryRun: boolean): ImportOptions => ({
    format: sniffed!.format,
    mode,
    dryRun,
    cols: { ...mapping! },
    labels: mapping?.expected ? labels : undefined,
    defaultExpected: mapping?.expected ? undefined : fallback,
  })
  const preview = useMutation({ mutationFn: () => evalsApi.importCases(api, suite.id, file!.text, options(true)) })
  const confirm = useMutation({
    mutationFn: () => evalsApi.importCases(api, suite.id, file!.text, options(false)),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: evalKeys.suites })
      onClose()
    },
  })
  const labelValues = mapping?.expected ? (sniffed?.samples[mapping.expected] ?? []) : []

  return (
    <Modal title={`Import cases into ${suite.name}`} onClose={onClose} testId="import-dialog">
      <div className="modal-body form">
        <label
          className={`drop-zone${over ? ' drop-over' : ''}`}
          onDragOver={(e) => {
            e.preventDefault()
            setOver(true)
          }}
          onDragLeave={() => setOver(false)}
          onDrop={(e) => {
            e.preventDefault()
            setOver(false)
            const f = e.dataTransfer.files[0]
            if (f) void load(f)
          }}
          data-testid="drop-zone"
        >
          {file ? (
            <span>
              <strong>{file.name}</strong> — {sniffed?.format.toUpperCase()}, columns: {sniffed?.columns.join(', ') || 'none found'}
            </span>
          ) : (
            <span>Drop a CSV or JSONL file here, or choose one.</span>
          )}
          <input type="file" accept=".csv,.jsonl,.json,.ndjson,text/csv" onChange={(e) => e.target.files?.[0] && void load(e.target.files[0])} data-testid="import-file" />
        </label>
        {sniffed && mapping && (
          <>
            <div className="form-row">
              {fields.map((f) => (
                <Field key={f.key} label={f.label}>
                  <select
                    value={mapping[f.key]}
                    onChange={(e) => {
                      const next = { ...mapping, [f.key]: e.target.value }
                      setMapping(next)
                      if (f.key === 'expected') setLabels(e.target.value ? guessLabels(sniffed.samples[e.target.value] ?? []) : {})
                      preview.reset()
                    }}
                    data-testid={`map-${f.key}`}
                  >
                    <option value="">{f.required ? '— choose —' : '— none —'}</option>
                    {sniffed.columns.map((c) => (
                      <option key={c}>{c}</option>
                    ))}
                  </select>
                </Field>
              ))}
            </div>
            {mapping.expected ? (
              labelValues.length > 0 && (
                <fieldset className="label-map">
                  <legend>Labels in the file</legend>
                  {labelValues.map((v) => (
                    <label key={v} className="label-map-row">
                      <code>{v}</code> →
                      <select
                        value={labels[v] ?? ''}
                        onChange={(e) => {
                          setLabels({ ...labels, [v]: e.target.value })
                          preview.reset()
                        }}
                        aria-label={`Label for ${v}`}
                      >
                        <option value="">as written</option>
                        {expectedLabels.map((l) => (
                          <option key={l}>{l}</option>
                        ))}
                      </select>
                    </label>
                  ))}
                </fieldset>
              )
            ) : (
              <Field label="Every case is expected to be">
                <select value={fallback} onChange={(e) => setFallback(e.target.value as Expected)} data-testid="default-expected">
                  {expectedLabels.map((l) => (
                    <option key={l}>{l}</option>
                  ))}
                </select>
              </Field>
            )}
            <fieldset className="segmented-radio">
              <legend>The suite's cases</legend>
              <label>
                <input type="radio" checked={mode === 'append'} onChange={() => setMode('append')} /> add to them
              </label>
              <label>
                <input type="radio" checked={mode === 'replace'} onChange={() => setMode('replace')} /> replace them
              </label>
            </fieldset>
          </>
        )}
        <ErrorNote error={preview.error ?? confirm.error} testId="import-error" />
        {preview.data && (
          <div data-testid="import-preview">
            <p>
              <strong data-testid="import-count">{preview.data.imported}</strong> cases read. The first ones:
            </p>
            <table className="data-table small">
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">Input</th>
                  <th scope="col">Expected</th>
                  <th scope="col">Category</th>
                </tr>
              </thead>
              <tbody>
                {(preview.data.cases ?? []).slice(0, 8).map((c) => (
                  <tr key={c.id}>
                    <td>
                      <code>{c.id}</code>
                    </td>
                    <td className="case-input">{c.input}</td>
                    <td>{c.expected}</td>
                    <td>{c.category}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <div className="modal-actions">
          <button className="button" onClick={onClose}>
            Cancel
          </button>
          <button className="button" onClick={() => preview.mutate()} disabled={!mapping?.input || preview.isPending} data-testid="import-preview-button">
            Preview
          </button>
          <button className="button button-primary" onClick={() => confirm.mutate()} disabled={!preview.data || confirm.isPending} data-testid="import-confirm">
            Import {preview.data ? preview.data.imported : ''} cases
          </button>
        </div>
      </div>
    </Modal>
  )
}

// Every stored version of a constitution, and a line diff between any two.

import { diffLines } from 'diff'
import { useMemo, useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { useApi } from '../../api/context'
import { ErrorNote, relativeTime } from '../../shared/ui'
import { constitutionQueries } from './api'

const context = 3

export function VersionHistory({ id }: { id: string }) {
  const api = useApi()
  const versions = useQuery(constitutionQueries.versions(api, id))
  const list = useMemo(() => [...(versions.data ?? [])].sort((a, b) => b.version - a.version), [versions.data])
  const latest = list[0]?.version
  const [from, setFrom] = useState<number | undefined>()
  const [to, setTo] = useState<number | undefined>()
  const a = from ?? (latest && latest > 1 ? latest - 1 : latest)
  const b = to ?? latest
  const va = useQuery(constitutionQueries.version(api, id, a))
  const vb = useQuery(constitutionQueries.version(api, id, b))
  const parts = useMemo(() => (va.data && vb.data ? diffLines(va.data.content, vb.data.content) : []), [va.data, vb.data])

  if (versions.error) return <ErrorNote error={versions.error} />
  return (
    <div className="history" data-testid="version-history">
      <div className="history-list">
        <h3>Versions</h3>
        <ul>
          {list.map((v, i) => (
            <li key={v.version} data-testid="version-item" data-version={v.version} className={v.version === b ? 'selected' : ''}>
              {/* One click shows what this version changed from the one before. */}
              <button
                className="version-button"
                onClick={() => {
                  setFrom(list[i + 1]?.version ?? v.version)
                  setTo(v.version)
                }}
                aria-label={`Show what v${v.version} changed`}
              >
                <strong>v{v.version}</strong> <span className="muted">{relativeTime(v.created_at)}</span>
                <span className="small muted version-name">{v.name}</span>
              </button>
            </li>
          ))}
        </ul>
      </div>
      <div className="history-diff">
        <div className="diff-pickers">
          <label>
            From{' '}
            <select value={a ?? ''} onChange={(e) => setFrom(Number(e.target.value))} data-testid="diff-from">
              {list.map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version}
                </option>
              ))}
            </select>
          </label>
          <label>
            to{' '}
            <select value={b ?? ''} onChange={(e) => setTo(Number(e.target.value))} data-testid="diff-to">
              {list.map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version}
                </option>
              ))}
            </select>
          </label>
          {va.data && vb.data && va.data.name !== vb.data.name && (
            <span className="muted">
              name: “{va.data.name}” → “{vb.data.name}”
            </span>
          )}
        </div>
        <ErrorNote error={va.error ?? vb.error} />
        {a === b && <p className="muted">Pick two different versions to see what changed.</p>}
        <pre className="diff" data-testid="diff">
          {parts.map((p, i) => {
            const lines = p.value.replace(/\n$/, '').split('\n')
            if (!p.added && !p.removed && lines.length > 2 * context + 1) {
              // Long unchanged stretches fold to their edges.
              const head = i === 0 ? [] : lines.slice(0, context)
              const tail = i === parts.length - 1 ? [] : lines.slice(-context)
              const hidden = lines.length - head.length - tail.length
              return (
                <span key={i} className="diff-same">
                  {head.map((l) => `  ${l}\n`).join('')}
                  <span className="diff-fold">⋯ {hidden} unchanged lines</span>
                  {tail.map((l) => `  ${l}\n`).join('')}
                </span>
              )
            }
            const mark = p.added ? '+ ' : p.removed ? '- ' : '  '
            return (
              <span key={i} className={p.added ? 'diff-add' : p.removed ? 'diff-del' : 'diff-same'} data-testid={p.added ? 'diff-added' : p.removed ? 'diff-removed' : undefined}>
                {lines.map((l) => `${mark}${l}\n`).join('')}
              </span>
            )
          })}
        </pre>
      </div>
    </div>
  )
}

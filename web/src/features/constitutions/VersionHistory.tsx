// Every stored version of a constitution, and a line diff between any two,
// with the words that changed marked inside a changed line. Loaded with the
// diff library only when the History tab opens.

import { useMemo, useState } from 'react'
import { useQuery } from '@tanstack/react-query'
import { useApi } from '../../api/context'
import { lineDiff, type DiffLine } from '../../shared/textDiff'
import { ErrorNote, relativeTime } from '../../shared/ui'
import { constitutionQueries } from './api'

const context = 3

export default function VersionHistory({ id }: { id: string }) {
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
  const lines = useMemo(() => (va.data && vb.data ? lineDiff(va.data.content, vb.data.content) : []), [va.data, vb.data])

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
              >
                <span className="sr-only">Show what changed in </span>
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
        <pre className="diff" data-testid="diff" tabIndex={0} aria-label="Differences">
          {foldSame(lines).map((l, i) =>
            l.kind === 'fold' ? (
              <span key={i} className="diff-fold">
                ⋯ {l.hidden} unchanged lines
              </span>
            ) : (
              <DiffRow key={i} line={l} />
            ),
          )}
        </pre>
      </div>
    </div>
  )
}

type Row = DiffLine | { kind: 'fold'; hidden: number }

/** Long unchanged stretches fold to their edges. */
function foldSame(lines: DiffLine[]): Row[] {
  const out: Row[] = []
  for (let i = 0; i < lines.length; ) {
    if (lines[i].kind !== 'same') {
      out.push(lines[i++])
      continue
    }
    let j = i
    while (j < lines.length && lines[j].kind === 'same') j++
    const run = lines.slice(i, j)
    const head = i === 0 ? [] : run.slice(0, context)
    const tail = j === lines.length ? [] : run.slice(-context)
    if (run.length > head.length + tail.length + 1) out.push(...head, { kind: 'fold', hidden: run.length - head.length - tail.length }, ...tail)
    else out.push(...run)
    i = j
  }
  return out
}

function DiffRow({ line }: { line: DiffLine }) {
  if (line.kind === 'change') {
    return (
      <span className="diff-change" data-testid="diff-changed">
        {'~ '}
        {line.pieces!.map((p, i) =>
          p.kind === 'same' ? (
            <span key={i} className="diff-words">
              {p.text}
            </span>
          ) : p.kind === 'add' ? (
            <ins key={i} className="word-add" data-testid="diff-added">
              {p.text}
            </ins>
          ) : (
            <del key={i} className="word-del" data-testid="diff-removed">
              {p.text}
            </del>
          ),
        )}
        {'\n'}
      </span>
    )
  }
  const mark = line.kind === 'add' ? '+ ' : line.kind === 'del' ? '- ' : '  '
  return (
    <span className={line.kind === 'add' ? 'diff-add' : line.kind === 'del' ? 'diff-del' : 'diff-same'} data-testid={line.kind === 'add' ? 'diff-added' : line.kind === 'del' ? 'diff-removed' : undefined}>
      {`${mark}${line.text}\n`}
    </span>
  )
}

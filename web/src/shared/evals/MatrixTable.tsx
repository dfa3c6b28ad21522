// A confusion or flip matrix as a table: rows and columns named, each
// cell a count shaded by its value of the largest cell.

import type { Matrix } from '../../api/evalTypes'

export function MatrixTable({ caption, matrix, rowTitle, colTitle, testId }: { caption: string; matrix: Matrix; rowTitle: string; colTitle: string; testId?: string }) {
  const rows = matrix.rows ?? []
  const cols = matrix.cols ?? []
  const cell = (r: string, c: string) => matrix.counts?.[rows.indexOf(r)]?.[cols.indexOf(c)] ?? 0
  const max = Math.max(1, ...rows.flatMap((r) => cols.map((c) => cell(r, c))))
  return (
    <table className="matrix" data-testid={testId}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">
            {rowTitle} ↓ / {colTitle} →
          </th>
          {cols.map((c) => (
            <th scope="col" key={c}>
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r}>
            <th scope="row">{r}</th>
            {cols.map((c) => {
              const n = cell(r, c)
              return (
                <td key={c} data-cell={`${r}:${c}`} style={{ ['--shade' as string]: String(n / max) }} className={n ? 'matrix-cell' : 'matrix-cell matrix-zero'}>
                  {n}
                </td>
              )
            })}
          </tr>
        ))}
      </tbody>
    </table>
  )
}

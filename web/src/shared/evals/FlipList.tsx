// Between two targets: the flip matrix of majority verdicts, the exact
// McNemar test read plainly, and every flipped case with both reasons side
// by side.

import type { Comparison } from '../../api/evalTypes'
import { MatrixTable } from './MatrixTable'
import { mcnemarReading, pValue } from './reading'

export function FlipList({ cmp, a, b }: { cmp: Comparison; a: string; b: string }) {
  const flips = cmp.flips ?? []
  const { right_to_wrong: rw, wrong_to_right: wr, p } = cmp.mcnemar
  return (
    <div className="flip-list" data-testid="comparison">
      <p className="mcnemar" data-testid="mcnemar">
        <strong>{flips.length}</strong> of {cmp.cases} cases changed verdict from <em>{a}</em> to <em>{b}</em>: right → wrong {rw}, wrong → right {wr}.
        Exact McNemar p = <strong data-testid="mcnemar-p">{pValue(p)}</strong>. <span data-testid="mcnemar-reading">{mcnemarReading(p, rw + wr)}</span>
      </p>
      <MatrixTable caption={`Majority verdicts: ${a} (rows) against ${b} (columns)`} matrix={cmp.flip_matrix} rowTitle={a} colTitle={b} testId="flip-matrix" />
      {flips.length > 0 && (
        <table className="flips" data-testid="flips">
          <caption>Flipped cases</caption>
          <thead>
            <tr>
              <th scope="col">Case</th>
              <th scope="col">{a}</th>
              <th scope="col">{b}</th>
            </tr>
          </thead>
          <tbody>
            {flips.map((f) => (
              <tr key={f.case_id} data-testid="flip-row" data-case={f.case_id}>
                <th scope="row">
                  <code>{f.case_id}</code>
                  <div className="muted small">{f.category}</div>
                  <div className="small">expected {f.expected_b}</div>
                </th>
                <td>
                  <span className={`decision-chip decision-${f.a.toLowerCase()}`}>{f.a}</span> {f.right_a ? '✓' : '✗'}
                  <div className="small">{f.reason_a}</div>
                </td>
                <td>
                  <span className={`decision-chip decision-${f.b.toLowerCase()}`}>{f.b}</span> {f.right_b ? '✓' : '✗'}
                  <div className="small">{f.reason_b}</div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

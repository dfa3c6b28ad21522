// The result rows, virtualised: only the rows in view are in the page, so
// 10,000 rows scroll as smoothly as 10. A row opens the side panel (click,
// or Enter when focused).

import { useVirtualizer } from '@tanstack/react-virtual'
import { useRef } from 'react'
import type { EvalResult } from '../../api/evalTypes'

const rowHeight = 34

export function ResultsTable({ rows, targetNames, selected, onOpen }: { rows: EvalResult[]; targetNames: string[]; selected: string | null; onOpen: (r: EvalResult) => void }) {
  const scroller = useRef<HTMLDivElement>(null)
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer re-renders this component itself; nothing memoises its functions
  const v = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => rowHeight, overscan: 12 })
  return (
    <div className="results" role="grid" aria-rowcount={rows.length + 1} aria-label="Result rows" data-testid="results-table" data-count={rows.length}>
      <div role="rowgroup">
      <div className="results-row results-head" role="row" aria-rowindex={1}>
        <span role="columnheader">Case</span>
        <span role="columnheader">Target</span>
        <span role="columnheader">#</span>
        <span role="columnheader">Expected</span>
        <span role="columnheader">Decided</span>
        <span role="columnheader">Reason</span>
        <span role="columnheader">Section</span>
      </div>
      </div>
      <div className="results-scroll" ref={scroller} role="rowgroup">
        <div style={{ height: v.getTotalSize(), position: 'relative' }}>
          {v.getVirtualItems().map((item) => {
            const r = rows[item.index]
            const key = `${r.case_id}:${r.target}:${r.repeat}`
            return (
              <div
                key={key}
                role="row"
                aria-rowindex={item.index + 2}
                tabIndex={0}
                className={`results-row${r.correct ? '' : ' wrong'}${selected === key ? ' selected' : ''}`}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: rowHeight, transform: `translateY(${item.start}px)` }}
                onClick={() => onOpen(r)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault()
                    onOpen(r)
                  }
                }}
                data-testid="result-row"
                data-case={r.case_id}
                data-target={r.target}
                data-decision={r.decision}
                data-output={r.output_decision ?? ''}
              >
                <span role="gridcell">
                  <code>{r.case_id}</code>
                </span>
                <span role="gridcell" className="small">
                  {targetNames[r.target] ?? r.target}
                </span>
                <span role="gridcell" className="small">
                  {r.repeat + 1}
                </span>
                <span role="gridcell" className="small">
                  {r.expected}
                </span>
                <span role="gridcell">
                  <span className={`decision-chip decision-${r.decision.toLowerCase()}`}>{r.decision}</span> {r.correct ? '' : <span aria-label="wrong">✗</span>}
                  {r.output_decision && (
                    <span className={`decision-chip output-chip decision-${r.output_decision.toLowerCase()}`} title={`Output verdict: ${r.output_decision}${r.withdrawn ? ', answer withdrawn' : ''}`} data-testid="row-output">
                      out {r.withdrawn ? 'withdrawn' : r.output_decision}
                    </span>
                  )}
                </span>
                <span role="gridcell" className="small ellipsis">
                  {r.error || r.reason}
                </span>
                <span role="gridcell" className="small ellipsis">
                  {r.cited_section}
                </span>
              </div>
            )
          })}
        </div>
      </div>
    </div>
  )
}

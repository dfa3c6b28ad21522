// The superego's verdict, as colour *and* text so it reads without colour.

const labels: Record<string, string> = {
  ALLOW: 'Allow',
  CAUTION: 'Caution',
  BLOCK: 'Block',
  ERROR: 'Error',
}

const icons: Record<string, string> = { ALLOW: '✓', CAUTION: '!', BLOCK: '×', ERROR: '?' }

// What a badge without a decision says once its run has ended: only a
// running (or not yet known) run is still being evaluated.
const undecided: Record<string, string> = {
  cancelled: 'Stopped before a decision',
  interrupted: 'Interrupted before a decision',
  failed: 'Failed before a decision',
  completed: 'No decision',
  blocked: 'No decision',
}

/** The decision badge; `status` is the run's, so an ended run without a decision does not say "Evaluating…". */
export function DecisionBadge({ decision, status, differs }: { decision?: string; status?: string; differs?: boolean }) {
  if (!decision) {
    const ended = status ? undecided[status] : undefined
    return (
      <span className={`badge ${ended ? 'badge-none' : 'badge-pending'}`} data-testid="decision-badge" data-decision="" data-ended={ended ? 'true' : 'false'}>
        {ended ?? 'Evaluating…'}
      </span>
    )
  }
  const d = decision.toUpperCase()
  return (
    <span className={`badge badge-${d.toLowerCase()}${differs ? ' differs' : ''}`} data-testid="decision-badge" data-decision={d} data-differs={differs ? 'true' : undefined} title={labels[d] ?? d}>
      <span aria-hidden="true">{icons[d] ?? '•'}</span> {d}
      {differs && <span className="differs-note"> · differs</span>}
    </span>
  )
}

// The superego's verdict, as colour *and* text so it reads without colour.

const labels: Record<string, string> = {
  ALLOW: 'Allow',
  CAUTION: 'Caution',
  BLOCK: 'Block',
  ERROR: 'Error',
}

const icons: Record<string, string> = { ALLOW: '✓', CAUTION: '!', BLOCK: '×', ERROR: '?' }

export function DecisionBadge({ decision }: { decision?: string }) {
  if (!decision) {
    return (
      <span className="badge badge-pending" data-testid="decision-badge" data-decision="">
        Evaluating…
      </span>
    )
  }
  const d = decision.toUpperCase()
  return (
    <span className={`badge badge-${d.toLowerCase()}`} data-testid="decision-badge" data-decision={d} title={labels[d] ?? d}>
      <span aria-hidden="true">{icons[d] ?? '•'}</span> {d}
    </span>
  )
}

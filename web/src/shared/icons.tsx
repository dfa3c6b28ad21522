// Inline SVG icons (no icon font or emoji: the UI must render the same
// everywhere, offline).

const common = { width: 14, height: 14, viewBox: '0 0 16 16', fill: 'none', stroke: 'currentColor', strokeWidth: 1.6, strokeLinecap: 'round' as const, strokeLinejoin: 'round' as const, 'aria-hidden': true }

export function PencilIcon() {
  return (
    <svg {...common}>
      <path d="M11 2.5l2.5 2.5L6 12.5 3 13l.5-3z" />
    </svg>
  )
}

export function TrashIcon() {
  return (
    <svg {...common}>
      <path d="M3 4.5h10M6.5 4.5V3h3v1.5M4.5 4.5l.6 8.5h5.8l.6-8.5" />
    </svg>
  )
}

export function ForkIcon() {
  return (
    <svg {...common} width={12} height={12}>
      <path d="M4 2v5a3 3 0 003 3h5M10 7.5L12.5 10 10 12.5" />
    </svg>
  )
}

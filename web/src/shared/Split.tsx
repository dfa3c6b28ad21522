// A page of a list beside its main view. On a phone the list becomes a
// drawer: a button opens it over the page, and picking an entry (any
// navigation) or Escape or the backdrop closes it again.

import { useEffect, useState, type ReactNode } from 'react'
import { useLocation } from 'react-router'

export function Split({ sidebar, label, children }: { sidebar: ReactNode; label: string; children: ReactNode }) {
  const [open, setOpen] = useState(false)
  const location = useLocation()
  useEffect(() => setOpen(false), [location.pathname])
  useEffect(() => {
    if (!open) return
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false)
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [open])
  return (
    <div className={`split${open ? ' drawer-open' : ''}`}>
      {sidebar}
      {open && <div className="drawer-backdrop" onClick={() => setOpen(false)} data-testid="drawer-backdrop" />}
      <section className="split-main">
        <button className="button button-small drawer-button" onClick={() => setOpen(true)} aria-expanded={open} data-testid="drawer-button">
          <span aria-hidden="true">☰</span> {label}
        </button>
        {children}
      </section>
    </div>
  )
}

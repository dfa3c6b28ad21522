// The left-hand list of a resource page.

import type { ReactNode } from 'react'
import { Link } from 'react-router'
import { ErrorNote } from './ui'

export interface ListItem {
  id: string
  name: string
  meta?: ReactNode
}

export function ResourceList({
  title,
  base,
  items,
  selectedId,
  error,
  onNew,
  testId,
  extra,
}: {
  title: string
  base: string
  items: ListItem[] | undefined
  selectedId?: string
  error?: unknown
  onNew: () => void
  testId: string
  /** More buttons beside "+ New" (an import, say). */
  extra?: ReactNode
}) {
  return (
    <aside className="sidebar" data-testid={testId}>
      <div className="sidebar-head">
        <h2>{title}</h2>
        <span className="sidebar-actions">
          {extra}
          <button className="button button-primary button-small" onClick={onNew} data-testid="new-button">
            + New
          </button>
        </span>
      </div>
      <ErrorNote error={error} />
      <ul className="tree">
        {items?.map((i) => (
          <li key={i.id}>
            <Link to={`${base}/${i.id}`} className={`tree-item tree-link${i.id === selectedId ? ' selected' : ''}`} data-testid="list-item" data-id={i.id}>
              <span className="tree-name">{i.name}</span>
              {i.meta && <span className="tree-meta">{i.meta}</span>}
            </Link>
          </li>
        ))}
      </ul>
      {items && items.length === 0 && <p className="muted pad">Nothing here yet.</p>}
    </aside>
  )
}

/** Shown when a save hit 412: someone changed the object since it was loaded. */
export function ConflictBanner({ onReload, onOverwrite, busy }: { onReload: () => void; onOverwrite: () => void; busy?: boolean }) {
  return (
    <div className="conflict-banner" role="alert" data-testid="conflict-banner">
      <div>
        <strong>Changed elsewhere.</strong> Someone saved a newer version while you were editing. Reload theirs (your edits are discarded) or
        overwrite it with yours.
      </div>
      <div className="conflict-actions">
        <button className="button" onClick={onReload} data-testid="conflict-reload">
          Reload
        </button>
        <button className="button button-danger" onClick={onOverwrite} disabled={busy} data-testid="conflict-overwrite">
          Overwrite
        </button>
      </div>
    </div>
  )
}

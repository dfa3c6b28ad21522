// Constitutions: list, create, edit with a Markdown preview, version history
// with a diff between any two versions, delete (not for protected ones).

import { lazy, Suspense, useState } from 'react'
import { useParams } from 'react-router'
import { useConstitutions } from '../../api/hooks'
import { Split } from '../../shared/Split'
import { usePageTitle } from '../../shared/usePageTitle'
import { ResourceList } from '../../shared/ResourceList'
import { EmptyState } from '../../shared/ui'
import { ConstitutionEditor, NewConstitution } from './ConstitutionEditor'
import { ImportConstitution } from './ExportButtons'

// The history view brings the diff library: loaded when the tab opens.
const VersionHistory = lazy(() => import('./VersionHistory'))

export function ConstitutionsPage() {
  const { id } = useParams()
  const list = useConstitutions()
  const [creating, setCreating] = useState(false)
  usePageTitle(creating ? `New — Constitutions` : id ? (list.data?.find((x) => x.id === id)?.name ?? id) : 'Constitutions')
  const [tab, setTab] = useState<'edit' | 'history'>('edit')
  return (
    <Split
      label="Constitutions"
      sidebar={
      <ResourceList
        title="Constitutions"
        base="/constitutions"
        testId="constitution-list"
        items={list.data?.map((c) => ({
          id: c.id,
          name: c.name,
          meta: (
            <>
              {c.id} · v{c.version}
              {c.protected ? ' · protected' : ''}
            </>
          ),
        }))}
        selectedId={creating ? undefined : id}
        error={list.error}
        onNew={() => setCreating(true)}
        extra={<ImportConstitution />}
      />
      }
    >
      <div className="page-pad">
        {creating ? (
          <NewConstitution onDone={() => setCreating(false)} />
        ) : id ? (
          <>
            <div className="tabs">
              <button className={tab === 'edit' ? 'active' : ''} aria-pressed={tab === 'edit'} onClick={() => setTab('edit')} data-testid="tab-edit">
                Edit
              </button>
              <button className={tab === 'history' ? 'active' : ''} aria-pressed={tab === 'history'} onClick={() => setTab('history')} data-testid="tab-history">
                History
              </button>
            </div>
            {tab === 'edit' ? <ConstitutionEditor key={id} id={id} /> : <Suspense fallback={<p className="muted">Loading…</p>}>
                <VersionHistory key={id} id={id} />
              </Suspense>}
          </>
        ) : (
          <EmptyState title="Constitutions">
            <p>A constitution is the Markdown text of values and rules the superego screens every message against. Pick one to edit, or create a new one.</p>
          </EmptyState>
        )}
      </div>
    </Split>
  )
}

// Constitutions: list, create, edit with a Markdown preview, version history
// with a diff between any two versions, delete (not for protected ones).

import { useState } from 'react'
import { useParams } from 'react-router'
import { useConstitutions } from '../../api/hooks'
import { ResourceList } from '../../shared/ResourceList'
import { EmptyState } from '../../shared/ui'
import { ConstitutionEditor, NewConstitution } from './ConstitutionEditor'
import { VersionHistory } from './VersionHistory'

export function ConstitutionsPage() {
  const { id } = useParams()
  const list = useConstitutions()
  const [creating, setCreating] = useState(false)
  const [tab, setTab] = useState<'edit' | 'history'>('edit')
  return (
    <div className="split">
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
      />
      <section className="split-main page-pad">
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
            {tab === 'edit' ? <ConstitutionEditor key={id} id={id} /> : <VersionHistory key={id} id={id} />}
          </>
        ) : (
          <EmptyState title="Constitutions">
            <p>A constitution is the Markdown text of values and rules the superego screens every message against. Pick one to edit, or create a new one.</p>
          </EmptyState>
        )}
      </section>
    </div>
  )
}

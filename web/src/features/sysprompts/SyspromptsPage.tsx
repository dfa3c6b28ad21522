// System prompts: list, create, edit (with If-Match and the 412 choice of
// useVersionedEditor), delete.

import { useState } from 'react'
import { useNavigate, useParams } from 'react-router'
import { useApi } from '../../api/context'
import { useSysprompts } from '../../api/hooks'
import { qk } from '../../api/queryKeys'
import type { SyspromptWrite } from '../../api/restClient'
import type { Sysprompt } from '../../api/types'
import { Markdown } from '../../shared/Markdown'
import { Split } from '../../shared/Split'
import { usePageTitle } from '../../shared/usePageTitle'
import { ConflictBanner, ResourceList } from '../../shared/ResourceList'
import { ConfirmDialog, EmptyState, ErrorNote, Field, fieldError } from '../../shared/ui'
import { useVersionedEditor } from '../../shared/useVersionedEditor'
import { syspromptQueries } from './api'

export function SyspromptsPage() {
  const { id } = useParams()
  const list = useSysprompts()
  const [creating, setCreating] = useState(false)
  usePageTitle(creating ? `New — System prompts` : id ? (list.data?.find((x) => x.id === id)?.name ?? id) : 'System prompts')
  return (
    <Split
      label="System prompts"
      sidebar={
      <ResourceList
        title="System prompts"
        base="/sysprompts"
        testId="sysprompt-list"
        items={list.data?.map((s) => ({ id: s.id, name: s.name, meta: `${s.id} · v${s.version}${s.protected ? ' · protected' : ''}` }))}
        selectedId={creating ? undefined : id}
        error={list.error}
        onNew={() => setCreating(true)}
      />
      }
    >
      <div className="page-pad">
        {creating ? (
          <SyspromptEditor key="new" onDone={() => setCreating(false)} />
        ) : id ? (
          <SyspromptEditor key={id} id={id} />
        ) : (
          <EmptyState title="System prompts">
            <p>The system prompt is what the assistant is told before the conversation. Flow configs pick one.</p>
          </EmptyState>
        )}
      </div>
    </Split>
  )
}

function SyspromptEditor({ id, onDone }: { id?: string; onDone?: () => void }) {
  const api = useApi()
  const navigate = useNavigate()
  const [deleting, setDeleting] = useState(false)
  const ed = useVersionedEditor<Sysprompt, SyspromptWrite, ReturnType<typeof qk.sysprompt>>({
    id,
    query: syspromptQueries.one(api, id),
    listKey: qk.sysprompts,
    draftOf: (s) => ({ name: s.name, content: s.content }),
    initial: { name: '', content: '' },
    create: (d) => api.sysprompts.create({ ...d, id: d.id || undefined }),
    update: api.sysprompts.update,
    remove: api.sysprompts.remove,
    onCreated: (s) => {
      onDone?.()
      navigate(`/sysprompts/${s.id}`)
    },
    onRemoved: () => navigate('/sysprompts'),
  })
  const { loaded, draft, setDraft } = ed
  if (ed.loadError) return <ErrorNote error={ed.loadError} />
  if (!draft) return <p className="muted">Loading…</p>
  return (
    <div className="editor" data-testid="sysprompt-editor">
      <div className="editor-head">
        <h1>
          {id ? loaded?.name : 'New system prompt'} {loaded && <span className="version-tag">v{loaded.version}</span>}
        </h1>
        <div className="editor-actions">
          {onDone && (
            <button className="button" onClick={onDone}>
              Cancel
            </button>
          )}
          {id && (
            <button className="button button-danger-outline" onClick={() => setDeleting(true)} disabled={loaded?.protected} title={loaded?.protected ? 'Protected' : 'Delete'} data-testid="delete-button">
              Delete
            </button>
          )}
          <button className="button button-primary" onClick={ed.save} disabled={ed.saving || (id ? !ed.dirty : !draft.name.trim())} data-testid="save-button">
            {id ? 'Save' : 'Create'}
          </button>
        </div>
      </div>
      {ed.conflict && <ConflictBanner onReload={() => void ed.reload()} onOverwrite={() => void ed.overwrite()} busy={ed.saving} />}
      {!ed.conflict && <ErrorNote error={ed.saveError} />}
      <div className="form">
        <div className="form-row">
          <Field label="Name" error={fieldError(ed.saveError, 'name')}>
            <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} data-testid="field-name" />
          </Field>
          {!id && (
            <Field label="Id" hint="Optional slug." error={fieldError(ed.saveError, 'id')}>
              <input value={draft.id ?? ''} onChange={(e) => setDraft({ ...draft, id: e.target.value || undefined })} data-testid="field-id" />
            </Field>
          )}
        </div>
        <div className="editor-preview">
          <Field label="Content" error={fieldError(ed.saveError, 'content')}>
            <textarea className="code" rows={18} value={draft.content} onChange={(e) => setDraft({ ...draft, content: e.target.value })} data-testid="field-content" />
          </Field>
          <div className="preview">
            <span className="field-label">Preview</span>
            <div className="preview-box" tabIndex={0} role="region" aria-label="Preview">
              <Markdown text={draft.content} />
            </div>
          </div>
        </div>
      </div>
      {deleting && (
        <ConfirmDialog
          title="Delete system prompt?"
          body={<p>“{loaded?.name}” will be deleted.</p>}
          confirmLabel="Delete"
          danger
          busy={ed.removing}
          error={ed.removeError}
          onConfirm={ed.remove}
          onCancel={() => setDeleting(false)}
        />
      )}
    </div>
  )
}

// Editing and creating a constitution. The edit / ETag / 412 state machine
// is useVersionedEditor's: a save sends If-Match with the version that was
// loaded, so a concurrent edit becomes a visible choice, not an overwrite.

import { useState } from 'react'
import { useNavigate } from 'react-router'
import { useApi } from '../../api/context'
import { qk } from '../../api/queryKeys'
import type { ConstitutionWrite } from '../../api/restClient'
import type { Constitution } from '../../api/types'
import { Markdown } from '../../shared/Markdown'
import { ConflictBanner } from '../../shared/ResourceList'
import { ConfirmDialog, ErrorNote, Field, fieldError } from '../../shared/ui'
import { useVersionedEditor } from '../../shared/useVersionedEditor'
import { constitutionQueries } from './api'
import { TestDraft } from './TestDraft'
import { ExportButtons } from './ExportButtons'

function draftOf(c: Constitution): ConstitutionWrite {
  return { name: c.name, description: c.description ?? '', content: c.content }
}

function ConstitutionForm({ draft, setDraft, error, showId }: { draft: ConstitutionWrite; setDraft: (d: ConstitutionWrite) => void; error: unknown; showId?: boolean }) {
  return (
    <div className="form">
      <div className="form-row">
        <Field label="Name" error={fieldError(error, 'name')}>
          <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} data-testid="field-name" />
        </Field>
        {showId && (
          <Field label="Id" hint="Optional slug; derived from the name when empty." error={fieldError(error, 'id')}>
            <input value={draft.id ?? ''} onChange={(e) => setDraft({ ...draft, id: e.target.value || undefined })} data-testid="field-id" />
          </Field>
        )}
      </div>
      <Field label="Description" error={fieldError(error, 'description')}>
        <input value={draft.description} onChange={(e) => setDraft({ ...draft, description: e.target.value })} data-testid="field-description" />
      </Field>
      <div className="editor-preview">
        <Field label="Content (Markdown)" error={fieldError(error, 'content')}>
          <textarea className="code" value={draft.content} onChange={(e) => setDraft({ ...draft, content: e.target.value })} rows={22} data-testid="field-content" />
        </Field>
        <div className="preview">
          <span className="field-label">Preview</span>
          <div className="preview-box" data-testid="content-preview" tabIndex={0} role="region" aria-label="Preview">
            <Markdown text={draft.content || '_Empty — with an empty constitution the demo superego allows everything._'} />
          </div>
        </div>
      </div>
    </div>
  )
}

function useConstitutionEditor(id: string | undefined, onDone?: () => void) {
  const api = useApi()
  const navigate = useNavigate()
  return useVersionedEditor<Constitution, ConstitutionWrite, ReturnType<typeof qk.constitution>>({
    id,
    query: constitutionQueries.one(api, id),
    listKey: qk.constitutions,
    draftOf,
    initial: { name: '', description: '', content: '# Principles\n\n- \n' },
    create: (d) => api.constitutions.create({ ...d, id: d.id?.trim() || undefined }),
    update: api.constitutions.update,
    remove: api.constitutions.remove,
    onCreated: (c) => {
      onDone?.()
      navigate(`/constitutions/${c.id}`)
    },
    onRemoved: () => navigate('/constitutions'),
  })
}

export function ConstitutionEditor({ id }: { id: string }) {
  const ed = useConstitutionEditor(id)
  const [deleting, setDeleting] = useState(false)
  const [testing, setTesting] = useState(false)
  const { loaded, draft } = ed
  if (ed.loadError) return <ErrorNote error={ed.loadError} />
  if (!loaded || !draft) return <p className="muted">Loading…</p>

  return (
    <div className="editor" data-testid="constitution-editor">
      <div className="editor-head">
        <h1>
          {loaded.name} <span className="version-tag" data-testid="current-version">v{ed.baseVersion ?? loaded.version}</span>
          {loaded.protected && <span className="pill">protected</span>}
        </h1>
        <div className="editor-actions">
          {ed.saved && <span className="muted" data-testid="saved-note">Saved</span>}
          <ExportButtons constitution={loaded} />
          <button
            className="button button-danger-outline"
            onClick={() => setDeleting(true)}
            disabled={loaded.protected}
            title={loaded.protected ? 'Protected constitutions cannot be deleted' : 'Delete'}
            data-testid="delete-button"
          >
            Delete
          </button>
          <button className="button" onClick={() => setTesting(true)} disabled={!ed.dirty} title={ed.dirty ? 'Compare the unsaved text with the saved version on a suite' : 'Edit the text first'} data-testid="test-draft-button">
            Test this draft
          </button>
          <button className="button button-primary" onClick={ed.save} disabled={!ed.dirty || ed.saving} data-testid="save-button">
            Save
          </button>
        </div>
      </div>
      {testing && <TestDraft constitutionId={id} version={ed.baseVersion ?? loaded.version} draft={draft.content} onClose={() => setTesting(false)} />}
      {ed.conflict && <ConflictBanner onReload={() => void ed.reload()} onOverwrite={() => void ed.overwrite()} busy={ed.saving} />}
      {!ed.conflict && <ErrorNote error={ed.saveError} />}
      {ed.dirty && ed.baseVersion !== undefined && loaded.version !== ed.baseVersion && !ed.conflict && (
        <p className="notice" data-testid="stale-notice">
          A newer version (v{loaded.version}) was saved elsewhere while you edit.
        </p>
      )}
      <ConstitutionForm draft={draft} setDraft={ed.setDraft} error={ed.saveError} />
      {deleting && (
        <ConfirmDialog
          title="Delete constitution?"
          body={<p>“{loaded.name}” and its version history will be deleted.</p>}
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

export function NewConstitution({ onDone }: { onDone: () => void }) {
  const ed = useConstitutionEditor(undefined, onDone)
  const draft = ed.draft!
  return (
    <div className="editor" data-testid="new-constitution">
      <div className="editor-head">
        <h1>New constitution</h1>
        <div className="editor-actions">
          <button className="button" onClick={onDone}>
            Cancel
          </button>
          <button className="button button-primary" onClick={ed.save} disabled={ed.saving || !draft.name.trim()} data-testid="create-button">
            Create
          </button>
        </div>
      </div>
      <ErrorNote error={ed.saveError} />
      <ConstitutionForm draft={draft} setDraft={ed.setDraft} error={ed.saveError} showId />
    </div>
  )
}

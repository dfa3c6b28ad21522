// Editing and creating a constitution. Saves send If-Match with the version
// that was loaded, so a concurrent edit becomes a 412 and a visible choice
// instead of a silent overwrite.

import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { useNavigate } from 'react-router'
import { useApi } from '../../api/context'
import { useConstitution } from '../../api/hooks'
import { qk } from '../../api/queryKeys'
import { ApiError, type ConstitutionWrite } from '../../api/restClient'
import type { Constitution } from '../../api/types'
import { Markdown } from '../../shared/Markdown'
import { ConflictBanner } from '../../shared/ResourceList'
import { ConfirmDialog, ErrorNote, Field, fieldError } from '../../shared/ui'
import { useUnsavedWarning } from '../../shared/useUnsavedWarning'

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
          <div className="preview-box" data-testid="content-preview">
            <Markdown text={draft.content || '_Empty — with an empty constitution the demo superego allows everything._'} />
          </div>
        </div>
      </div>
    </div>
  )
}

export function ConstitutionEditor({ id }: { id: string }) {
  const api = useApi()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const q = useConstitution(id)
  const loaded = q.data?.data
  const [draft, setDraft] = useState<ConstitutionWrite | null>(null)
  const [base, setBase] = useState<{ version: number; etag: string } | null>(null)
  const [conflict, setConflict] = useState(false)
  const [deleting, setDeleting] = useState(false)
  const [saved, setSaved] = useState(false)

  const dirty = !!(draft && loaded && (draft.name !== loaded.name || draft.description !== (loaded.description ?? '') || draft.content !== loaded.content))
  useUnsavedWarning(dirty)

  // Take the server's copy when we have none yet or nothing was edited.
  useEffect(() => {
    if (!q.data) return
    if (!draft || (!dirty && base?.version !== q.data.data.version)) {
      setDraft(draftOf(q.data.data))
      setBase({ version: q.data.data.version, etag: q.data.etag })
    }
  }, [q.data, draft, dirty, base])

  const save = useMutation({
    mutationFn: (ifMatch: string) => api.constitutions.update(id, draft!, ifMatch),
    onSuccess: (c) => {
      setConflict(false)
      setSaved(true)
      setBase({ version: c.version, etag: `"${c.version}"` })
      setDraft(draftOf(c))
      qc.setQueryData(qk.constitution(id), { data: c, etag: `"${c.version}"` })
      void qc.invalidateQueries({ queryKey: qk.constitutions })
    },
    onError: (e) => {
      if (e instanceof ApiError && e.status === 412) setConflict(true)
    },
  })
  const remove = useMutation({
    mutationFn: () => api.constitutions.remove(id, base?.etag),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: qk.constitutions })
      navigate('/constitutions')
    },
  })

  if (q.error) return <ErrorNote error={q.error} />
  if (!loaded || !draft) return <p className="muted">Loading…</p>

  const reload = async () => {
    const fresh = await api.constitutions.get(id)
    qc.setQueryData(qk.constitution(id), fresh)
    setDraft(draftOf(fresh.data))
    setBase({ version: fresh.data.version, etag: fresh.etag })
    setConflict(false)
    save.reset()
  }
  const overwrite = async () => {
    const fresh = await api.constitutions.get(id)
    save.mutate(fresh.etag)
  }

  return (
    <div className="editor" data-testid="constitution-editor">
      <div className="editor-head">
        <h1>
          {loaded.name} <span className="version-tag" data-testid="current-version">v{base?.version ?? loaded.version}</span>
          {loaded.protected && <span className="pill">protected</span>}
        </h1>
        <div className="editor-actions">
          {saved && !dirty && <span className="muted" data-testid="saved-note">Saved</span>}
          <button
            className="button button-danger-outline"
            onClick={() => setDeleting(true)}
            disabled={loaded.protected}
            title={loaded.protected ? 'Protected constitutions cannot be deleted' : 'Delete'}
            data-testid="delete-button"
          >
            Delete
          </button>
          <button
            className="button button-primary"
            onClick={() => {
              setSaved(false)
              save.mutate(base?.etag || `"${loaded.version}"`)
            }}
            disabled={!dirty || save.isPending}
            data-testid="save-button"
          >
            Save
          </button>
        </div>
      </div>
      {conflict && <ConflictBanner onReload={() => void reload()} onOverwrite={() => void overwrite()} busy={save.isPending} />}
      {!conflict && <ErrorNote error={save.error} />}
      {dirty && base && loaded.version !== base.version && !conflict && (
        <p className="notice" data-testid="stale-notice">
          A newer version (v{loaded.version}) was saved elsewhere while you edit.
        </p>
      )}
      <ConstitutionForm draft={draft} setDraft={setDraft} error={save.error} />
      {deleting && (
        <ConfirmDialog
          title="Delete constitution?"
          body={<p>“{loaded.name}” and its version history will be deleted.</p>}
          confirmLabel="Delete"
          danger
          busy={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate()}
          onCancel={() => setDeleting(false)}
        />
      )}
    </div>
  )
}

export function NewConstitution({ onDone }: { onDone: () => void }) {
  const api = useApi()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const [draft, setDraft] = useState<ConstitutionWrite>({ name: '', description: '', content: '# Principles\n\n- \n' })
  const create = useMutation({
    mutationFn: () => api.constitutions.create({ ...draft, id: draft.id?.trim() || undefined }),
    onSuccess: (c) => {
      void qc.invalidateQueries({ queryKey: qk.constitutions })
      onDone()
      navigate(`/constitutions/${c.id}`)
    },
  })
  return (
    <div className="editor" data-testid="new-constitution">
      <div className="editor-head">
        <h1>New constitution</h1>
        <div className="editor-actions">
          <button className="button" onClick={onDone}>
            Cancel
          </button>
          <button className="button button-primary" onClick={() => create.mutate()} disabled={create.isPending || !draft.name.trim()} data-testid="create-button">
            Create
          </button>
        </div>
      </div>
      <ErrorNote error={create.error} />
      <ConstitutionForm draft={draft} setDraft={setDraft} error={create.error} showId />
    </div>
  )
}

// System prompts: list, create, edit (with If-Match and the 412 choice), delete.

import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { useNavigate, useParams } from 'react-router'
import { useApi } from '../../api/context'
import { useSysprompt, useSysprompts } from '../../api/hooks'
import { qk } from '../../api/queryKeys'
import { ApiError, type SyspromptWrite } from '../../api/restClient'
import { Markdown } from '../../shared/Markdown'
import { ConflictBanner, ResourceList } from '../../shared/ResourceList'
import { ConfirmDialog, EmptyState, ErrorNote, Field, fieldError } from '../../shared/ui'
import { useUnsavedWarning } from '../../shared/useUnsavedWarning'

export function SyspromptsPage() {
  const { id } = useParams()
  const list = useSysprompts()
  const [creating, setCreating] = useState(false)
  return (
    <div className="split">
      <ResourceList
        title="System prompts"
        base="/sysprompts"
        testId="sysprompt-list"
        items={list.data?.map((s) => ({ id: s.id, name: s.name, meta: `${s.id} · v${s.version}${s.protected ? ' · protected' : ''}` }))}
        selectedId={creating ? undefined : id}
        error={list.error}
        onNew={() => setCreating(true)}
      />
      <section className="split-main page-pad">
        {creating ? (
          <SyspromptEditor key="new" onDone={() => setCreating(false)} />
        ) : id ? (
          <SyspromptEditor key={id} id={id} />
        ) : (
          <EmptyState title="System prompts">
            <p>The system prompt is what the assistant is told before the conversation. Flow configs pick one.</p>
          </EmptyState>
        )}
      </section>
    </div>
  )
}

function SyspromptEditor({ id, onDone }: { id?: string; onDone?: () => void }) {
  const api = useApi()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const q = useSysprompt(id)
  const loaded = q.data?.data
  const [draft, setDraft] = useState<SyspromptWrite | null>(id ? null : { name: '', content: '' })
  const [etag, setEtag] = useState('')
  const [conflict, setConflict] = useState(false)
  const [deleting, setDeleting] = useState(false)
  const dirty = !!(draft && loaded && (draft.name !== loaded.name || draft.content !== loaded.content))
  useUnsavedWarning(dirty)

  useEffect(() => {
    if (q.data && (!draft || (!dirty && etag !== q.data.etag))) {
      setDraft({ name: q.data.data.name, content: q.data.data.content })
      setEtag(q.data.etag)
    }
  }, [q.data, draft, dirty, etag])

  const save = useMutation({
    mutationFn: async (ifMatch?: string) => (id ? api.sysprompts.update(id, draft!, ifMatch) : api.sysprompts.create({ ...draft!, id: draft!.id || undefined })),
    onSuccess: (s) => {
      setConflict(false)
      void qc.invalidateQueries({ queryKey: qk.sysprompts })
      if (!id) {
        onDone?.()
        navigate(`/sysprompts/${s.id}`)
      } else {
        setEtag(`"${s.version}"`)
        setDraft({ name: s.name, content: s.content })
      }
    },
    onError: (e) => e instanceof ApiError && e.status === 412 && setConflict(true),
  })
  const remove = useMutation({
    mutationFn: () => api.sysprompts.remove(id!, etag),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: qk.sysprompts })
      navigate('/sysprompts')
    },
  })

  if (q.error) return <ErrorNote error={q.error} />
  if (!draft) return <p className="muted">Loading…</p>
  const reload = async () => {
    const fresh = await api.sysprompts.get(id!)
    qc.setQueryData(qk.sysprompt(id!), fresh)
    setDraft({ name: fresh.data.name, content: fresh.data.content })
    setEtag(fresh.etag)
    setConflict(false)
    save.reset()
  }
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
          <button className="button button-primary" onClick={() => save.mutate(etag || undefined)} disabled={save.isPending || (id ? !dirty : !draft.name.trim())} data-testid="save-button">
            {id ? 'Save' : 'Create'}
          </button>
        </div>
      </div>
      {conflict && (
        <ConflictBanner
          onReload={() => void reload()}
          onOverwrite={() => void api.sysprompts.get(id!).then((f) => save.mutate(f.etag))}
          busy={save.isPending}
        />
      )}
      {!conflict && <ErrorNote error={save.error} />}
      <div className="form">
        <div className="form-row">
          <Field label="Name" error={fieldError(save.error, 'name')}>
            <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} data-testid="field-name" />
          </Field>
          {!id && (
            <Field label="Id" hint="Optional slug." error={fieldError(save.error, 'id')}>
              <input value={draft.id ?? ''} onChange={(e) => setDraft({ ...draft, id: e.target.value || undefined })} data-testid="field-id" />
            </Field>
          )}
        </div>
        <div className="editor-preview">
          <Field label="Content" error={fieldError(save.error, 'content')}>
            <textarea className="code" rows={18} value={draft.content} onChange={(e) => setDraft({ ...draft, content: e.target.value })} data-testid="field-content" />
          </Field>
          <div className="preview">
            <span className="field-label">Preview</span>
            <div className="preview-box">
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
          busy={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate()}
          onCancel={() => setDeleting(false)}
        />
      )}
    </div>
  )
}

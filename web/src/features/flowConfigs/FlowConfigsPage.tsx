// Flow configs: a constitution, a system prompt and model choices combined.

import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { useNavigate, useParams } from 'react-router'
import { useApi } from '../../api/context'
import { useFlowConfig, useFlowConfigs } from '../../api/hooks'
import { qk } from '../../api/queryKeys'
import { ApiError } from '../../api/restClient'
import { flowDraftOf, type FlowConfig, type FlowDraft } from '../../api/types'
import { emptySpec, FlowSpecFields } from '../../shared/FlowSpecFields'
import { ConflictBanner, ResourceList } from '../../shared/ResourceList'
import { ConfirmDialog, EmptyState, ErrorNote, Field, fieldError } from '../../shared/ui'
import { useUnsavedWarning } from '../../shared/useUnsavedWarning'

export function specOf(c: FlowConfig): FlowDraft {
  return flowDraftOf(c)
}

export function FlowConfigsPage() {
  const { id } = useParams()
  const list = useFlowConfigs()
  const [creating, setCreating] = useState(false)
  return (
    <div className="split">
      <ResourceList
        title="Flow configs"
        base="/flow-configs"
        testId="flow-config-list"
        items={list.data?.map((c) => ({ id: c.id, name: c.name, meta: `${c.id} · ${c.superego_enabled ? c.constitution_id : 'superego off'} · v${c.version}` }))}
        selectedId={creating ? undefined : id}
        error={list.error}
        onNew={() => setCreating(true)}
      />
      <section className="split-main page-pad">
        {creating ? (
          <FlowConfigEditor key="new" onDone={() => setCreating(false)} />
        ) : id ? (
          <FlowConfigEditor key={id} id={id} />
        ) : (
          <EmptyState title="Flow configs">
            <p>A flow config combines a constitution, a system prompt and model choices. Conversations and comparisons run on them.</p>
          </EmptyState>
        )}
      </section>
    </div>
  )
}

function FlowConfigEditor({ id, onDone }: { id?: string; onDone?: () => void }) {
  const api = useApi()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const q = useFlowConfig(id)
  const [draft, setDraft] = useState<FlowDraft | null>(id ? null : { ...emptySpec })
  const [etag, setEtag] = useState('')
  const [conflict, setConflict] = useState(false)
  const [deleting, setDeleting] = useState(false)
  const loaded = q.data?.data
  const dirty = !!(draft && loaded && JSON.stringify(draft) !== JSON.stringify(specOf(loaded)))
  useUnsavedWarning(dirty)

  useEffect(() => {
    if (q.data && (!draft || (!dirty && etag !== q.data.etag))) {
      setDraft(specOf(q.data.data))
      setEtag(q.data.etag)
    }
  }, [q.data, draft, dirty, etag])

  const save = useMutation({
    mutationFn: (ifMatch?: string) => (id ? api.flowConfigs.update(id, draft!, ifMatch) : api.flowConfigs.create(draft!)),
    onSuccess: (c) => {
      setConflict(false)
      void qc.invalidateQueries({ queryKey: qk.flowConfigs })
      if (!id) {
        onDone?.()
        navigate(`/flow-configs/${c.id}`)
      } else {
        setEtag(`"${c.version}"`)
        setDraft(specOf(c))
      }
    },
    onError: (e) => e instanceof ApiError && e.status === 412 && setConflict(true),
  })
  const remove = useMutation({
    mutationFn: () => api.flowConfigs.remove(id!, etag),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: qk.flowConfigs })
      navigate('/flow-configs')
    },
  })
  if (q.error) return <ErrorNote error={q.error} />
  if (!draft) return <p className="muted">Loading…</p>
  return (
    <div className="editor" data-testid="flow-config-editor">
      <div className="editor-head">
        <h1>
          {id ? loaded?.name : 'New flow config'} {loaded && <span className="version-tag">v{loaded.version}</span>}
        </h1>
        <div className="editor-actions">
          {onDone && (
            <button className="button" onClick={onDone}>
              Cancel
            </button>
          )}
          {id && (
            <button className="button button-danger-outline" onClick={() => setDeleting(true)} data-testid="delete-button">
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
          onReload={() =>
            void api.flowConfigs.get(id!).then((f) => {
              qc.setQueryData(qk.flowConfig(id!), f)
              setDraft(specOf(f.data))
              setEtag(f.etag)
              setConflict(false)
              save.reset()
            })
          }
          onOverwrite={() => void api.flowConfigs.get(id!).then((f) => save.mutate(f.etag))}
          busy={save.isPending}
        />
      )}
      {!conflict && <ErrorNote error={save.error} />}
      <div className="form">
        <Field label="Name" error={fieldError(save.error, 'name')}>
          <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} data-testid="field-name" />
        </Field>
        <Field label="Description" error={fieldError(save.error, 'description')}>
          <input value={draft.description} onChange={(e) => setDraft({ ...draft, description: e.target.value })} data-testid="field-description" />
        </Field>
        <FlowSpecFields spec={draft} onChange={setDraft} error={save.error} />
      </div>
      {deleting && (
        <ConfirmDialog
          title="Delete flow config?"
          body={<p>“{loaded?.name}” will be deleted. Configs still used by a conversation or template cannot be deleted.</p>}
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

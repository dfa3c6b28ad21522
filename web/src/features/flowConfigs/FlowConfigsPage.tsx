// Flow configs: a constitution, a system prompt and model choices combined.

import { useState } from 'react'
import { useNavigate, useParams } from 'react-router'
import { useApi } from '../../api/context'
import { useFlowConfigs } from '../../api/hooks'
import { qk } from '../../api/queryKeys'
import { flowDraftOf, type FlowConfig, type FlowDraft } from '../../api/types'
import { emptySpec, FlowSpecFields } from '../../shared/FlowSpecFields'
import { Split } from '../../shared/Split'
import { usePageTitle } from '../../shared/usePageTitle'
import { ConflictBanner, ResourceList } from '../../shared/ResourceList'
import { ConfirmDialog, EmptyState, ErrorNote, Field, fieldError } from '../../shared/ui'
import { useVersionedEditor } from '../../shared/useVersionedEditor'
import { flowConfigQueries } from './api'

export function specOf(c: FlowConfig): FlowDraft {
  return flowDraftOf(c)
}

export function FlowConfigsPage() {
  const { id } = useParams()
  const list = useFlowConfigs()
  const [creating, setCreating] = useState(false)
  usePageTitle(creating ? `New — Flow configs` : id ? (list.data?.find((x) => x.id === id)?.name ?? id) : 'Flow configs')
  return (
    <Split
      label="Flow configs"
      sidebar={
      <ResourceList
        title="Flow configs"
        base="/flow-configs"
        testId="flow-config-list"
        items={list.data?.map((c) => ({ id: c.id, name: c.name, meta: `${c.id} · ${c.superego_enabled ? c.constitution_id : 'superego off'} · v${c.version}` }))}
        selectedId={creating ? undefined : id}
        error={list.error}
        onNew={() => setCreating(true)}
      />
      }
    >
      <div className="page-pad">
        {creating ? (
          <FlowConfigEditor key="new" onDone={() => setCreating(false)} />
        ) : id ? (
          <FlowConfigEditor key={id} id={id} />
        ) : (
          <EmptyState title="Flow configs">
            <p>A flow config combines a constitution, a system prompt and model choices. Conversations and comparisons run on them.</p>
          </EmptyState>
        )}
      </div>
    </Split>
  )
}

function FlowConfigEditor({ id, onDone }: { id?: string; onDone?: () => void }) {
  const api = useApi()
  const navigate = useNavigate()
  const [deleting, setDeleting] = useState(false)
  const ed = useVersionedEditor<FlowConfig, FlowDraft, ReturnType<typeof qk.flowConfig>>({
    id,
    query: flowConfigQueries.one(api, id),
    listKey: qk.flowConfigs,
    draftOf: specOf,
    initial: { ...emptySpec },
    create: api.flowConfigs.create,
    update: api.flowConfigs.update,
    remove: api.flowConfigs.remove,
    onCreated: (c) => {
      onDone?.()
      navigate(`/flow-configs/${c.id}`)
    },
    onRemoved: () => navigate('/flow-configs'),
  })
  const { loaded, draft, setDraft, dirty } = ed
  if (ed.loadError) return <ErrorNote error={ed.loadError} />
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
          <button className="button button-primary" onClick={ed.save} disabled={ed.saving || (id ? !dirty : !draft.name.trim())} data-testid="save-button">
            {id ? 'Save' : 'Create'}
          </button>
        </div>
      </div>
      {ed.conflict && <ConflictBanner onReload={() => void ed.reload()} onOverwrite={() => void ed.overwrite()} busy={ed.saving} />}
      {!ed.conflict && <ErrorNote error={ed.saveError} />}
      <div className="form">
        <Field label="Name" error={fieldError(ed.saveError, 'name')}>
          <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} data-testid="field-name" />
        </Field>
        <Field label="Description" error={fieldError(ed.saveError, 'description')}>
          <input value={draft.description} onChange={(e) => setDraft({ ...draft, description: e.target.value })} data-testid="field-description" />
        </Field>
        <FlowSpecFields spec={draft} onChange={setDraft} error={ed.saveError} />
      </div>
      {deleting && (
        <ConfirmDialog
          title="Delete flow config?"
          body={<p>“{loaded?.name}” will be deleted. Configs still used by a conversation or template cannot be deleted.</p>}
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

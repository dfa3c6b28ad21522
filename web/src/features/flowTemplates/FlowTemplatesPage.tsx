// Flow templates: reusable recipes for flow configs, and "instantiate" to
// start a conversation from one.

import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { useNavigate, useParams } from 'react-router'
import { useApi } from '../../api/context'
import { useFlowTemplates } from '../../api/hooks'
import { qk } from '../../api/queryKeys'
import { flowDraftOf, type FlowTemplate, type TemplateDraft } from '../../api/types'
import { emptySpec, FlowSpecFields } from '../../shared/FlowSpecFields'
import { Split } from '../../shared/Split'
import { usePageTitle } from '../../shared/usePageTitle'
import { ConflictBanner, ResourceList } from '../../shared/ResourceList'
import { ConfirmDialog, EmptyState, ErrorNote, Field, fieldError } from '../../shared/ui'
import { useVersionedEditor } from '../../shared/useVersionedEditor'
import { flowTemplateQueries } from './api'

function writeOf(t: FlowTemplate): TemplateDraft {
  return { name: t.name, description: t.description ?? '', is_default: t.is_default, config: flowDraftOf(t.config) }
}

export function FlowTemplatesPage() {
  const { id } = useParams()
  const list = useFlowTemplates()
  const [creating, setCreating] = useState(false)
  usePageTitle(creating ? `New — Templates` : id ? (list.data?.find((x) => x.id === id)?.name ?? id) : 'Templates')
  return (
    <Split
      label="Templates"
      sidebar={
      <ResourceList
        title="Flow templates"
        base="/flow-templates"
        testId="flow-template-list"
        items={list.data?.map((t) => ({ id: t.id, name: t.name, meta: `${t.is_default ? 'default · ' : ''}v${t.version}` }))}
        selectedId={creating ? undefined : id}
        error={list.error}
        onNew={() => setCreating(true)}
      />
      }
    >
      <div className="page-pad">
        {creating ? (
          <TemplateEditor key="new" onDone={() => setCreating(false)} />
        ) : id ? (
          <TemplateEditor key={id} id={id} />
        ) : (
          <EmptyState title="Flow templates">
            <p>A template is a recipe for a flow config. Instantiating one creates a config and a conversation in one step.</p>
          </EmptyState>
        )}
      </div>
    </Split>
  )
}

function TemplateEditor({ id, onDone }: { id?: string; onDone?: () => void }) {
  const api = useApi()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const [deleting, setDeleting] = useState(false)
  const ed = useVersionedEditor<FlowTemplate, TemplateDraft, ReturnType<typeof qk.flowTemplate>>({
    id,
    query: flowTemplateQueries.one(api, id),
    listKey: qk.flowTemplates,
    draftOf: writeOf,
    initial: { name: '', description: '', is_default: false, config: { ...emptySpec } },
    create: api.flowTemplates.create,
    update: api.flowTemplates.update,
    remove: api.flowTemplates.remove,
    onCreated: (c) => {
      onDone?.()
      navigate(`/flow-templates/${c.id}`)
    },
    onRemoved: () => navigate('/flow-templates'),
  })
  const { loaded, draft, setDraft, dirty } = ed
  const instantiate = useMutation({
    mutationFn: () => api.flowTemplates.instantiate(id!),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: qk.flowInstances })
      void qc.invalidateQueries({ queryKey: qk.flowConfigs })
      if (r.flow_instance) navigate(`/chat/${r.flow_instance.id}`)
    },
  })
  if (ed.loadError) return <ErrorNote error={ed.loadError} />
  if (!draft) return <p className="muted">Loading…</p>
  return (
    <div className="editor" data-testid="flow-template-editor">
      <div className="editor-head">
        <h1>
          {id ? loaded?.name : 'New flow template'} {loaded && <span className="version-tag">v{loaded.version}</span>}
          {loaded?.is_default && <span className="pill">default</span>}
        </h1>
        <div className="editor-actions">
          {onDone && (
            <button className="button" onClick={onDone}>
              Cancel
            </button>
          )}
          {id && (
            <>
              <button className="button" onClick={() => instantiate.mutate()} disabled={instantiate.isPending || dirty} title={dirty ? 'Save first' : 'Start a conversation'} data-testid="instantiate-button">
                Instantiate → chat
              </button>
              <button className="button button-danger-outline" onClick={() => setDeleting(true)} data-testid="delete-button">
                Delete
              </button>
            </>
          )}
          <button className="button button-primary" onClick={ed.save} disabled={ed.saving || (id ? !dirty : !draft.name.trim())} data-testid="save-button">
            {id ? 'Save' : 'Create'}
          </button>
        </div>
      </div>
      {ed.conflict && <ConflictBanner onReload={() => void ed.reload()} onOverwrite={() => void ed.overwrite()} busy={ed.saving} />}
      {!ed.conflict && <ErrorNote error={ed.saveError ?? instantiate.error} />}
      <div className="form">
        <div className="form-row">
          <Field label="Name" error={fieldError(ed.saveError, 'name')}>
            <input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} data-testid="field-name" />
          </Field>
          <label className="checkbox">
            <input type="checkbox" checked={draft.is_default} onChange={(e) => setDraft({ ...draft, is_default: e.target.checked })} data-testid="field-default" />
            Default template for new chats
          </label>
        </div>
        <Field label="Description" error={fieldError(ed.saveError, 'description')}>
          <input value={draft.description} onChange={(e) => setDraft({ ...draft, description: e.target.value })} data-testid="field-description" />
        </Field>
        <h3 className="form-section">Flow config it creates</h3>
        <div className="form-row">
          <Field label="Config name" error={fieldError(ed.saveError, 'config.name')}>
            <input value={draft.config.name} onChange={(e) => setDraft({ ...draft, config: { ...draft.config, name: e.target.value } })} data-testid="field-config-name" />
          </Field>
          <Field label="Config description">
            <input value={draft.config.description} onChange={(e) => setDraft({ ...draft, config: { ...draft.config, description: e.target.value } })} />
          </Field>
        </div>
        <FlowSpecFields spec={draft.config} onChange={(config) => setDraft({ ...draft, config })} error={ed.saveError} prefix="config." />
      </div>
      {deleting && (
        <ConfirmDialog
          title="Delete template?"
          body={<p>“{loaded?.name}” will be deleted. Configs created from it stay.</p>}
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

// The list of flow instances, newest first, with forks nested under their
// parent; creating (from a template or a config), renaming and deleting.

import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useEffect, useMemo, useState } from 'react'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { useApi } from '../../api/context'
import { useFlowConfigs, useFlowInstances, useFlowTemplates } from '../../api/hooks'
import { qk } from '../../api/queryKeys'
import { etagOf } from '../../api/restClient'
import type { FlowInstance } from '../../api/types'
import { ForkIcon, PencilIcon, TrashIcon } from '../../shared/icons'
import { ImportButton } from './ImportButton'
import { ConfirmDialog, ErrorNote, Field, Modal, relativeTime } from '../../shared/ui'

interface Node {
  inst: FlowInstance
  children: Node[]
}

function buildTree(items: FlowInstance[]): Node[] {
  const nodes = new Map(items.map((i) => [i.id, { inst: i, children: [] as Node[] }]))
  const roots: Node[] = []
  for (const i of items) {
    const n = nodes.get(i.id)!
    const parent = i.parent_instance_id ? nodes.get(i.parent_instance_id) : undefined
    if (parent) parent.children.push(n)
    else roots.push(n)
  }
  return roots
}

export function InstanceSidebar({ selectedId }: { selectedId?: string }) {
  const instances = useFlowInstances()
  const [creating, setCreating] = useState(false)
  // The "n" shortcut (and any link) opens the new-chat dialog with ?new=1.
  const [params, setParams] = useSearchParams()
  useEffect(() => {
    if (params.get('new') !== '1') return
    setCreating(true)
    setParams({}, { replace: true })
  }, [params, setParams])
  const tree = useMemo(() => buildTree((instances.data ?? []).filter((i) => !i.comparison_id)), [instances.data])
  return (
    <aside className="sidebar" data-testid="instance-sidebar">
      <div className="sidebar-head">
        <h2>Conversations</h2>
        <span className="sidebar-actions">
          <ImportButton />
          <button className="button button-primary button-small" onClick={() => setCreating(true)} data-testid="new-chat-button">
            + New
          </button>
        </span>
      </div>
      <ErrorNote error={instances.error} />
      <ul className="tree">
        {tree.map((n) => (
          <TreeItem key={n.inst.id} node={n} selectedId={selectedId} depth={0} />
        ))}
      </ul>
      {instances.data && tree.length === 0 && <p className="muted pad">No conversations yet.</p>}
      {creating && <NewChatDialog onClose={() => setCreating(false)} />}
    </aside>
  )
}

function TreeItem({ node, selectedId, depth }: { node: Node; selectedId?: string; depth: number }) {
  const { inst } = node
  const api = useApi()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const [renaming, setRenaming] = useState(false)
  const [name, setName] = useState(inst.name)
  const [deleting, setDeleting] = useState(false)
  const rename = useMutation({
    mutationFn: (n: string) => api.flowInstances.update(inst.id, { flow_config_id: inst.flow_config_id, name: n, description: inst.description }, etagOf(inst.version)),
    onSuccess: () => {
      setRenaming(false)
      void qc.invalidateQueries({ queryKey: qk.flowInstances })
    },
  })
  const remove = useMutation({
    mutationFn: () => api.flowInstances.remove(inst.id, etagOf(inst.version)),
    onSuccess: () => {
      setDeleting(false)
      void qc.invalidateQueries({ queryKey: qk.flowInstances })
      if (selectedId === inst.id) navigate('/chat')
    },
  })
  return (
    <li>
      <div className={`tree-item${selectedId === inst.id ? ' selected' : ''}`} style={{ paddingLeft: 10 + depth * 16 }} data-testid="instance-item" data-id={inst.id}>
        {renaming ? (
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault()
              if (name.trim()) rename.mutate(name.trim())
            }}
          >
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Escape') {
                  setName(inst.name)
                  setRenaming(false)
                }
              }}
              autoFocus
              data-testid="rename-input"
              aria-label="New name"
            />
            <button className="button button-small" type="submit">
              Save
            </button>
            <button
              className="button button-small"
              type="button"
              onClick={() => {
                setName(inst.name)
                setRenaming(false)
              }}
            >
              Cancel
            </button>
          </form>
        ) : (
          <>
            <Link to={`/chat/${inst.id}`} className="tree-link">
              <span className="tree-name" data-testid="instance-name">
                {inst.parent_instance_id && (
                  <span className="fork-mark" title="Fork">
                    <ForkIcon />
                  </span>
                )}
                {inst.name || inst.id}
              </span>
              <span className="tree-meta">
                {inst.message_count} msg · {relativeTime(inst.last_message_at ?? inst.created_at)}
              </span>
            </Link>
            <span className="tree-actions">
              <button className="icon-button" title="Rename" aria-label={`Rename ${inst.name}`} onClick={() => setRenaming(true)} data-testid="rename-button">
                <PencilIcon />
              </button>
              <button className="icon-button" title="Delete" aria-label={`Delete ${inst.name}`} onClick={() => setDeleting(true)} data-testid="delete-button">
                <TrashIcon />
              </button>
            </span>
          </>
        )}
      </div>
      {rename.error && <ErrorNote error={rename.error} />}
      {node.children.length > 0 && (
        <ul className="tree">
          {node.children.map((c) => (
            <TreeItem key={c.inst.id} node={c} selectedId={selectedId} depth={depth + 1} />
          ))}
        </ul>
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete conversation?"
          body={
            <p>
              “{inst.name}” and its {inst.message_count} messages will be deleted. This cannot be undone.
            </p>
          }
          confirmLabel="Delete"
          danger
          busy={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate()}
          onCancel={() => setDeleting(false)}
        />
      )}
    </li>
  )
}

function NewChatDialog({ onClose }: { onClose: () => void }) {
  const api = useApi()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const templates = useFlowTemplates()
  const configs = useFlowConfigs()
  const [mode, setMode] = useState<'template' | 'config'>('template')
  const [templateId, setTemplateId] = useState('')
  const [configId, setConfigId] = useState('')
  const [name, setName] = useState('')
  const defaultTemplate = templates.data?.find((t) => t.is_default)?.id ?? templates.data?.[0]?.id ?? ''
  const chosenTemplate = templateId || defaultTemplate
  const chosenConfig = configId || configs.data?.[0]?.id || ''
  const create = useMutation({
    mutationFn: async () => {
      if (mode === 'template') {
        const r = await api.flowTemplates.instantiate(chosenTemplate, name.trim() ? { name: name.trim() } : {})
        return r.flow_instance?.id
      }
      const cfg = configs.data?.find((c) => c.id === chosenConfig)
      const inst = await api.flowInstances.create({ flow_config_id: chosenConfig, name: name.trim() || cfg?.name || 'Conversation', description: '' })
      return inst.id
    },
    onSuccess: (id) => {
      void qc.invalidateQueries({ queryKey: qk.flowInstances })
      void qc.invalidateQueries({ queryKey: qk.flowConfigs })
      onClose()
      if (id) navigate(`/chat/${id}`)
    },
  })
  return (
    <Modal title="New conversation" onClose={onClose} testId="new-chat-dialog">
      <div className="segmented">
        <button type="button" className={mode === 'template' ? 'active' : ''} aria-pressed={mode === 'template'} onClick={() => setMode('template')} data-testid="mode-template">
          From a template
        </button>
        <button type="button" className={mode === 'config' ? 'active' : ''} aria-pressed={mode === 'config'} onClick={() => setMode('config')} data-testid="mode-config">
          From a flow config
        </button>
      </div>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault()
          create.mutate()
        }}
      >
        {mode === 'template' ? (
          <Field label="Template" hint="A conversation on the template’s flow config (an identical stored config is reused).">
            <select value={chosenTemplate} onChange={(e) => setTemplateId(e.target.value)} data-testid="template-select">
              {templates.data?.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                  {t.is_default ? ' (default)' : ''}
                </option>
              ))}
            </select>
          </Field>
        ) : (
          <Field label="Flow config">
            <select value={chosenConfig} onChange={(e) => setConfigId(e.target.value)} data-testid="config-select">
              {configs.data?.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field label="Name" hint="Optional.">
          <input autoFocus value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Medication questions" data-testid="new-chat-name" />
        </Field>
        <ErrorNote error={create.error} />
        <div className="modal-actions">
          <button className="button" type="button" onClick={onClose}>
            Cancel
          </button>
          <button className="button button-primary" type="submit" disabled={create.isPending || (mode === 'template' ? !chosenTemplate : !chosenConfig)} data-testid="create-chat-button">
            Create
          </button>
        </div>
      </form>
    </Modal>
  )
}

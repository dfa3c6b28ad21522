// One conversation: its header, every turn (history and live), the composer
// and the "Rerun with…" dialog.

import { useEffect, useState } from 'react'
import { Link, useSearchParams } from 'react-router'
import { useSocket } from '../../api/context'
import { useConstitutions, useFlowConfig, useFlowInstance, useFlowInstances, useSysprompts } from '../../api/hooks'
import { ApiError } from '../../api/restClient'
import type { Message } from '../../api/wsTypes'
import { Composer } from '../conversation/Composer'
import { TurnView } from '../conversation/TurnView'
import { EmptyState, ErrorNote } from '../../shared/ui'
import { useConversation } from '../conversation/useConversation'
import { useStickToBottom } from '../conversation/useStickToBottom'
import { usePageTitle } from '../../shared/usePageTitle'
import { conversationTotals, formatTotals } from '../conversation/totals'
import { ExportMenu } from './ExportMenu'
import { rememberConversation } from './lastConversation'
import { RerunDialog } from './RerunDialog'

export function ConversationView({ instanceId }: { instanceId: string }) {
  const socket = useSocket()
  const instance = useFlowInstance(instanceId)
  const config = useFlowConfig(instance.data?.data.flow_config_id)
  const constitutions = useConstitutions()
  const sysprompts = useSysprompts()
  const instances = useFlowInstances()
  const { conv, isLoading, error } = useConversation(instanceId)
  const [sendError, setSendError] = useState<unknown>(null)
  const [rerunOf, setRerunOf] = useState<Message | null>(null)
  // Follow the stream only while the reader is at the bottom; scrolling up
  // to read something stops the view from jumping away.
  const { ref: turnsRef, pin } = useStickToBottom<HTMLDivElement>()

  const nameOf = (id: string) => constitutions.data?.find((c) => c.id === id)?.name
  const syspromptName = (id: string) => sysprompts.data?.find((p) => p.id === id)?.name
  const running = conv.turns.filter((t) => t.status === 'running' && t.runId)
  const inst = instance.data?.data
  const base = config.data?.data
  // A fork runs with its overrides on top of the config, every turn: show
  // and rerun from what is actually in force, not the config's defaults.
  const o = inst?.overrides
  const cfg = base && {
    ...base,
    constitution_id: o?.constitution_id || base.constitution_id,
    sysprompt_id: o?.sysprompt_id || base.sysprompt_id,
    superego_enabled: o?.superego_enabled ?? base.superego_enabled,
  }
  const overridden = (k: 'constitution_id' | 'superego_enabled') => o?.[k] !== undefined && o?.[k] !== '' && o?.[k] !== base?.[k]
  const parent = inst?.parent_instance_id ? instances.data?.find((i) => i.id === inst.parent_instance_id) : undefined
  usePageTitle(inst?.name ?? 'Chat')
  const stopAll = () => running.forEach((t) => socket.cancel(t.runId!))
  const isRunning = running.length > 0
  useEffect(() => {
    if (inst) rememberConversation(inst.id)
  }, [inst])
  // A search result links here with ?message=<id>: show that message.
  const [params] = useSearchParams()
  const target = params.get('message')
  // ?draft= puts text in the message box (an eval case opened in chat).
  const waiting = params.get('draft') ?? ''
  const turnCount = conv.turns.length
  useEffect(() => {
    if (!target || turnCount === 0) return
    const el = document.querySelector(`[data-testid="turn"][data-message-ids~="${CSS.escape(target)}"]`)
    if (!el) return
    el.classList.add('highlighted')
    el.scrollIntoView({ block: 'center' })
    return () => el.classList.remove('highlighted')
  }, [target, turnCount])
  // Escape stops the running answer, from anywhere on the page, unless it
  // is closing something else first (a dialog, the drawer, a rename).
  useEffect(() => {
    if (!isRunning) return
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('[role="dialog"], .drawer-open')) return
      e.preventDefault()
      stopAll()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  })

  const send = async (content: string) => {
    setSendError(null)
    pin()
    try {
      await socket.request({ type: 'send_message', flow_instance_id: instanceId, content })
    } catch (e) {
      setSendError(e)
      throw e
    }
  }

  if (instance.error instanceof ApiError && instance.error.status === 404) {
    // Deleted (here or in another tab) or a stale link: nothing to send to.
    return (
      <EmptyState title="Conversation not found">
        <p data-testid="conversation-missing">It may have been deleted. Pick another one on the left, or start a new chat.</p>
      </EmptyState>
    )
  }

  return (
    <div className="conversation" data-testid="conversation" data-instance-id={instanceId}>
      <header className="conversation-head">
        <div className="conversation-head-main">
          <h1 data-testid="conversation-title">{inst?.name ?? '…'}</h1>
          <p className="muted">
            {cfg ? (
              <>
                <Link to={`/flow-configs/${cfg.id}`}>{cfg.name}</Link>
                {' · '}
                {cfg.superego_enabled ? (
                  <>
                    constitution <Link to={`/constitutions/${cfg.constitution_id}`}>{nameOf(cfg.constitution_id) ?? cfg.constitution_id}</Link>
                    {overridden('constitution_id') && <span className="pill">fork override</span>}
                  </>
                ) : (
                  <>
                    superego off{overridden('superego_enabled') && <span className="pill">fork override</span>}
                  </>
                )}
              </>
            ) : (
              // The line is kept while the config loads, so the turns below do not move.
              '\u00a0'
            )}
          </p>
          {inst?.parent_instance_id && (
            <p className="fork-note" data-testid="fork-note">
              Fork of <Link to={`/chat/${inst.parent_instance_id}`}>{parent?.name ?? inst.parent_instance_id}</Link>
              {inst.overrides && <> — {describeOverrides(inst.overrides, nameOf, syspromptName)}</>}
            </p>
          )}
        </div>
        <div className="conversation-tools">
          <span className="cost" data-testid="conversation-totals">
            {conv.turns.length > 0 ? formatTotals(conversationTotals(conv.turns)) : '\u00a0'}
          </span>
          {/* Shown from the start (the name only names the file), so the tools' row does not appear later and push the turns down. */}
          <ExportMenu instanceId={instanceId} name={inst?.name ?? instanceId} />
        </div>
      </header>
      <ErrorNote error={instance.error ?? error} />
      <div
        className="turns"
        data-testid="turns"
        ref={turnsRef}
      >
        {isLoading && <p className="muted pad">Loading…</p>}
        {!isLoading && conv.turns.length === 0 && <p className="muted pad">No messages yet. Say something to start.</p>}
        {conv.turns.map((t) => (
          <TurnView key={t.key} turn={t} constitutionName={nameOf} onRerun={setRerunOf} onStop={(id) => socket.cancel(id)} />
        ))}
      </div>
      <ErrorNote error={sendError} testId="send-error" />
      <Composer key={waiting} initialText={waiting} onSend={send} autoFocus busy={isRunning} onStop={stopAll} stopHint="Esc" />
      {rerunOf && <RerunDialog message={rerunOf} config={cfg} onClose={() => setRerunOf(null)} />}
    </div>
  )
}

function describeOverrides(
  o: { constitution_id?: string; sysprompt_id?: string; superego_enabled?: boolean },
  nameOf: (id: string) => string | undefined,
  syspromptName: (id: string) => string | undefined,
): string {
  const parts: string[] = []
  if (o.constitution_id) parts.push(`constitution ${nameOf(o.constitution_id) ?? o.constitution_id}`)
  if (o.sysprompt_id) parts.push(`system prompt ${syspromptName(o.sysprompt_id) ?? o.sysprompt_id}`)
  if (o.superego_enabled !== undefined) parts.push(`superego ${o.superego_enabled ? 'on' : 'off'}`)
  return parts.length ? `rerun with ${parts.join(', ')}` : 'rerun'
}

// One flow instance's conversation: stored history from REST merged with the
// live run events of the tab's WebSocket. Used by Chat and by every Compare
// column.

import { useQueryClient } from '@tanstack/react-query'
import { useEffect, useRef, useState } from 'react'
import { useApi, useSocket } from '../../api/context'
import { useQuery } from '@tanstack/react-query'
import { conversationQueries } from './api'
import { qk } from '../../api/queryKeys'
import { isRunEvent } from '../../api/wsTypes'
import { applyEvent, emptyConversation, fromHistory, mergeHistory, settleRun, type Conversation, type TurnStatus } from './turns'

export function useConversation(instanceId: string) {
  const socket = useSocket()
  const api = useApi()
  const qc = useQueryClient()
  const messages = useQuery(conversationQueries.messages(api, instanceId))
  // Start from what the socket already has for this instance: a run started
  // elsewhere in this tab (a rerun, a comparison) before this view mounted.
  const [conv, setConv] = useState<Conversation>(() => socket.eventsForInstance(instanceId).reduce(applyEvent, emptyConversation))
  const convRef = useRef(conv)
  useEffect(() => {
    convRef.current = conv
  }, [conv])
  const tried = useRef(new Set<string>())

  useEffect(() => {
    if (messages.data) setConv((c) => mergeHistory(c, fromHistory(messages.data)))
  }, [messages.data])

  // The server announces runs on the instance (from other tabs too) only
  // to the sockets that show it.
  useEffect(() => socket.watchInstance(instanceId), [socket, instanceId])

  useEffect(() => {
    const offEvents = socket.onEvent((e) => {
      if (!isRunEvent(e) || e.flow_instance_id !== instanceId) return
      setConv((c) => applyEvent(c, e))
      if (e.type === 'run_finished') void qc.invalidateQueries({ queryKey: qk.messages(instanceId) })
    })
    const offUnavailable = socket.onResumeUnavailable((runId) => {
      if (!convRef.current.turns.some((t) => t.runId === runId)) return
      // The server cannot replay this run (it restarted, or the log aged
      // out): what it stored is the truth now.
      void api.runs
        .get(runId)
        .then((run) => setConv((c) => settleRun(c, runId, run.status as TurnStatus, run.error)))
        .catch(() => setConv((c) => settleRun(c, runId, 'interrupted')))
        .finally(() => void qc.invalidateQueries({ queryKey: qk.messages(instanceId) }))
    })
    return () => {
      offEvents()
      offUnavailable()
    }
  }, [socket, api, qc, instanceId])

  // Follow runs that are still going but that this tab is not following yet
  // (page reload, another tab started them). Each is tried once per view.
  useEffect(() => {
    const last = conv.turns[conv.turns.length - 1]
    for (const t of conv.turns) {
      if (!t.runId || tried.current.has(t.runId) || socket.lastSeq(t.runId) !== undefined) continue
      const maybeLive = t.status === 'running' || (t === last && t.status === 'unknown')
      if (!maybeLive) continue
      tried.current.add(t.runId)
      socket.follow(t.runId, 0)
    }
  }, [conv, socket])

  return { conv, isLoading: messages.isLoading, error: messages.error }
}

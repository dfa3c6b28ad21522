// Chat: the sidebar of flow instances and the open conversation. Without a
// conversation in the URL it opens the last one this browser had open (else
// the most recent), so a lab day starts where the last one stopped.

import { useEffect } from 'react'
import { useNavigate, useParams } from 'react-router'
import { useFlowInstances } from '../../api/hooks'
import { Split } from '../../shared/Split'
import { EmptyState } from '../../shared/ui'
import { usePageTitle } from '../../shared/usePageTitle'
import { ConversationView } from './ConversationView'
import { InstanceSidebar } from './InstanceSidebar'
import { readLastConversation } from './lastConversation'

export function ChatPage() {
  const { instanceId } = useParams()
  const instances = useFlowInstances()
  const navigate = useNavigate()
  usePageTitle(!instanceId && 'Chat')
  useEffect(() => {
    if (instanceId || !instances.data) return
    const chats = instances.data.filter((i) => !i.comparison_id)
    const last = readLastConversation()
    const pick = chats.find((i) => i.id === last) ?? [...chats].sort((a, b) => (b.last_message_at ?? b.created_at).localeCompare(a.last_message_at ?? a.created_at))[0]
    if (pick) navigate(`/chat/${pick.id}`, { replace: true })
  }, [instanceId, instances.data, navigate])
  return (
    <Split label="Conversations" sidebar={<InstanceSidebar selectedId={instanceId} />}>
      {instanceId ? (
        <ConversationView key={instanceId} instanceId={instanceId} />
      ) : instances.data && instances.data.every((i) => i.comparison_id) ? (
        <EmptyState title="No conversations yet">
          <p>Start a new chat from a template or flow config with “+ New”.</p>
        </EmptyState>
      ) : (
        <p className="muted pad">Loading…</p>
      )}
    </Split>
  )
}

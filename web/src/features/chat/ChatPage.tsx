// Chat: the sidebar of flow instances and the open conversation.

import { useParams } from 'react-router'
import { EmptyState } from '../../shared/ui'
import { ConversationView } from './ConversationView'
import { InstanceSidebar } from './InstanceSidebar'

export function ChatPage() {
  const { instanceId } = useParams()
  return (
    <div className="split">
      <InstanceSidebar selectedId={instanceId} />
      <section className="split-main">
        {instanceId ? (
          <ConversationView key={instanceId} instanceId={instanceId} />
        ) : (
          <EmptyState title="Pick a conversation">
            <p>Choose a flow instance on the left, or start a new chat from a template or flow config.</p>
          </EmptyState>
        )}
      </section>
    </div>
  )
}

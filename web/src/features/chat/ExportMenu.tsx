// Export of the open conversation: JSONL (exact, re-importable) or Markdown.

import { useState } from 'react'
import { useApi } from '../../api/context'
import { useConstitutions } from '../../api/hooks'
import { download, fileSlug } from '../../shared/download'
import { ErrorNote } from '../../shared/ui'
import { conversationJsonl, conversationMarkdown } from '../conversation/exportFormat'

export function ExportMenu({ instanceId, name }: { instanceId: string; name: string }) {
  const api = useApi()
  const constitutions = useConstitutions()
  const [error, setError] = useState<unknown>(null)
  const run = async (format: 'jsonl' | 'md') => {
    setError(null)
    try {
      const [instance, messages] = await Promise.all([api.flowInstances.get(instanceId), api.flowInstances.messages(instanceId)])
      const data = { instance: instance.data, messages }
      const nameOf = (id: string) => constitutions.data?.find((c) => c.id === id)?.name ?? id
      if (format === 'jsonl') download(`${fileSlug(name)}.jsonl`, conversationJsonl(data), 'application/x-ndjson')
      else download(`${fileSlug(name)}.md`, conversationMarkdown(data, nameOf), 'text/markdown')
    } catch (e) {
      setError(e)
    }
  }
  return (
    <div className="export-menu">
      <button className="button button-small" onClick={() => void run('jsonl')} data-testid="export-jsonl">
        Export JSONL
      </button>
      <button className="button button-small" onClick={() => void run('md')} data-testid="export-markdown">
        Export Markdown
      </button>
      <ErrorNote error={error} />
    </div>
  )
}

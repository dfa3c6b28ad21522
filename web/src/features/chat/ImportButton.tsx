// Imports a conversation from a JSONL export (the exact data: ids, times,
// every message) and opens it.

import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useNavigate } from 'react-router'
import { useApi } from '../../api/context'
import { qk } from '../../api/queryKeys'
import { FileButton } from '../../shared/FileButton'
import { ErrorNote } from '../../shared/ui'
import { parseConversationJsonl } from '../conversation/exportFormat'

export function ImportButton() {
  const api = useApi()
  const qc = useQueryClient()
  const navigate = useNavigate()
  const imp = useMutation({
    mutationFn: async (text: string) => {
      const { instance, messages } = parseConversationJsonl(text)
      return api.importConversation({ flow_instance: instance, messages })
    },
    onSuccess: (inst) => {
      void qc.invalidateQueries({ queryKey: qk.flowInstances })
      navigate(`/chat/${inst.id}`)
    },
  })
  return (
    <>
      <FileButton accept=".jsonl,application/x-ndjson,application/json" onText={(t) => imp.mutate(t)} testId="import-conversation">
        Import
      </FileButton>
      {imp.error && <ErrorNote error={imp.error} testId="import-error" />}
    </>
  )
}

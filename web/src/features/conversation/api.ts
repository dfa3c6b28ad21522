// Queries of a conversation: its stored messages.

import { queryOptions } from '@tanstack/react-query'
import { qk } from '../../api/queryKeys'
import type { RestClient } from '../../api/restClient'

export const conversationQueries = {
  messages: (api: RestClient, instanceId: string | undefined) =>
    queryOptions({
      queryKey: qk.messages(instanceId ?? ''),
      queryFn: () => api.flowInstances.messages(instanceId!),
      enabled: !!instanceId,
      // A run started in another tab (or by another client) reaches this tab
      // through no event: coming back to the tab re-reads the conversation,
      // and a run found still going is then followed live.
      refetchOnWindowFocus: 'always',
    }),
}

// Queries of the system prompts feature.

import { queryOptions } from '@tanstack/react-query'
import { qk } from '../../api/queryKeys'
import type { RestClient } from '../../api/restClient'

export const syspromptQueries = {
  one: (api: RestClient, id: string | undefined) =>
    queryOptions({ queryKey: qk.sysprompt(id ?? ''), queryFn: () => api.sysprompts.get(id!), enabled: !!id }),
}

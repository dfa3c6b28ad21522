// Query options for the resources several features read (lists shown in
// pickers, the config a conversation runs on, the model list). A query a
// single feature makes lives in that feature's own api.ts instead.

import { queryOptions } from '@tanstack/react-query'
import { qk } from './queryKeys'
import type { RestClient } from './restClient'

export const sharedQueries = {
  models: (api: RestClient) => queryOptions({ queryKey: qk.models, queryFn: api.models, staleTime: 60_000 }),
  constitutions: (api: RestClient) => queryOptions({ queryKey: qk.constitutions, queryFn: api.constitutions.list }),
  sysprompts: (api: RestClient) => queryOptions({ queryKey: qk.sysprompts, queryFn: api.sysprompts.list }),
  flowConfigs: (api: RestClient) => queryOptions({ queryKey: qk.flowConfigs, queryFn: api.flowConfigs.list }),
  flowConfig: (api: RestClient, id: string | undefined) =>
    queryOptions({ queryKey: qk.flowConfig(id ?? ''), queryFn: () => api.flowConfigs.get(id!), enabled: !!id }),
  flowTemplates: (api: RestClient) => queryOptions({ queryKey: qk.flowTemplates, queryFn: api.flowTemplates.list }),
  flowInstances: (api: RestClient) => queryOptions({ queryKey: qk.flowInstances, queryFn: api.flowInstances.list }),
  flowInstance: (api: RestClient, id: string | undefined) =>
    queryOptions({ queryKey: qk.flowInstance(id ?? ''), queryFn: () => api.flowInstances.get(id!), enabled: !!id }),
}

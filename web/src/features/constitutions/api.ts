// Queries of the constitutions feature: one constitution (with its ETag),
// its version list and a stored version.

import { queryOptions } from '@tanstack/react-query'
import { qk } from '../../api/queryKeys'
import type { RestClient } from '../../api/restClient'

export const constitutionQueries = {
  one: (api: RestClient, id: string | undefined) =>
    queryOptions({ queryKey: qk.constitution(id ?? ''), queryFn: () => api.constitutions.get(id!), enabled: !!id }),
  versions: (api: RestClient, id: string | undefined) =>
    queryOptions({ queryKey: qk.constitutionVersions(id ?? ''), queryFn: () => api.constitutions.versions(id!), enabled: !!id }),
  version: (api: RestClient, id: string, n: number | undefined) =>
    queryOptions({
      queryKey: qk.constitutionVersion(id, n ?? 0),
      queryFn: () => api.constitutions.version(id, n!),
      enabled: !!id && !!n,
      staleTime: Infinity, // a stored version never changes
    }),
}
